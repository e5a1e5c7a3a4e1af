/**
 * A minimal Express API protected by mobile-api-shield. Run: `npx tsx examples/express.ts` and call it with a token
 * from `createTestAttester` (printed at start-up) or from your Approov account (set APPROOV_SECRET).
 */
import express from 'express';
import { approov, createShield } from '../src/index.js';
import { expressShield, expressShieldBody } from '../src/adapters/express.js';
import { createTestAttester } from '../src/testing/index.js';

const attester = createTestAttester({ header: 'approov-token', secret: process.env.APPROOV_SECRET });
const shield = createShield({
  token: approov({ secret: attester.secret as string }),
  routes: { 'GET /health': false },
});

const app = express();
app.use(expressShield(shield)); // before the body parser: the token is checked before anything else
app.use(express.json());
app.use(expressShieldBody(shield)); // after the body parser: inspects req.body exactly as express.json() made it
app.get('/health', (_req, res) => void res.json({ status: 'ok' }));
app.get('/me', (req, res) => void res.json({ device: req.shield?.attestation?.claims.did ?? null }));
app.post('/login', expressShield(shield, { token: { binding: false } }), (_req, res) => void res.json({ session: 'demo' }));

const port = Number(process.env.PORT ?? 3000);
app.listen(port, '127.0.0.1', async () => {
  const token = await attester.mint({ bindTo: 'Bearer demo-user' });
  console.log(`Express example on http://127.0.0.1:${port}`);
  console.log(`curl -H 'authorization: Bearer demo-user' -H 'approov-token: ${token}' http://127.0.0.1:${port}/me`);
});
