/** A minimal Fastify API protected by mobile-api-shield. Run: `npx tsx examples/fastify.ts`. */
import Fastify from 'fastify';
import { approov, createShield } from '../src/index.js';
import { fastifyShield } from '../src/adapters/fastify.js';
import { createTestAttester } from '../src/testing/index.js';

const attester = createTestAttester({ header: 'approov-token', secret: process.env.APPROOV_SECRET });
const shield = createShield({ token: approov({ secret: attester.secret as string }) });

const app = Fastify();
await app.register(fastifyShield, { shield });
app.get('/health', { config: { shield: false } }, async () => ({ status: 'ok' }));
app.get('/me', async (request) => ({ device: request.shield?.attestation?.claims.did ?? null }));
app.post('/login', { config: { shield: { token: { binding: false } } } }, async () => ({ session: 'demo' }));

const port = Number(process.env.PORT ?? 3002);
await app.listen({ port, host: '127.0.0.1' });
const token = await attester.mint({ bindTo: 'Bearer demo-user' });
console.log(`Fastify example on http://127.0.0.1:${port}`);
console.log(`curl -H 'authorization: Bearer demo-user' -H 'approov-token: ${token}' http://127.0.0.1:${port}/me`);
