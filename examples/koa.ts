/** A minimal Koa API protected by mobile-api-shield. Run: `npx tsx examples/koa.ts`. */
import Koa from 'koa';
import Router from '@koa/router';
import { approov, createShield } from '../src/index.js';
import bodyParser from 'koa-bodyparser';
import { koaShield, koaShieldBody } from '../src/adapters/koa.js';
import { createTestAttester } from '../src/testing/index.js';

const attester = createTestAttester({ header: 'approov-token', secret: process.env.APPROOV_SECRET });
const shield = createShield({
  token: approov({ secret: attester.secret as string }),
  routes: { 'GET /health': false },
});

const app = new Koa();
const router = new Router();
app.use(koaShield(shield)); // before the body parser: the token is checked before anything else
app.use(bodyParser());
app.use(koaShieldBody(shield)); // after it: inspects ctx.request.body exactly as the parser made it
router.get('/health', (ctx) => void (ctx.body = { status: 'ok' }));
router.get('/me', (ctx) => void (ctx.body = { device: ctx.state.shield?.attestation?.claims.did ?? null }));
router.post('/login', koaShield(shield, { token: { binding: false } }), (ctx) => void (ctx.body = { session: 'demo' }));
app.use(router.routes());

const port = Number(process.env.PORT ?? 3001);
app.listen(port, '127.0.0.1', async () => {
  const token = await attester.mint({ bindTo: 'Bearer demo-user' });
  console.log(`Koa example on http://127.0.0.1:${port}`);
  console.log(`curl -H 'authorization: Bearer demo-user' -H 'approov-token: ${token}' http://127.0.0.1:${port}/me`);
});
