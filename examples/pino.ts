/**
 * Structured decision logs for mobile-api-shield with pino (the logger Fastify uses): one JSON line per request with
 * the decision code, the reference (the one in the problem body a user quotes to support), each verifier's outcome
 * and time, and the request as `onDecision` sees it (credentials and proofs already masked by the shield).
 *
 *   npx tsx examples/pino.ts          # serves on PORT (default 3000)
 *   npx tsx examples/pino.ts --demo   # sends a few requests to itself, then exits (the log lines are on stdout)
 */
import Fastify from 'fastify';
import { pino } from 'pino';
import { approov, createShield } from '../src/index.js';
import type { Decision, LoggedRequest } from '../src/index.js';
import { fastifyShield } from '../src/adapters/fastify.js';
import { createTestAttester } from '../src/testing/index.js';

const logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  // Belt and braces: the shield already masks these in what onDecision gets; pino's redaction covers any other log
  // line of the app that might carry a request's headers.
  redact: ['req.headers.authorization', 'req.headers["approov-token"]', 'request.headers.authorization', 'request.headers["approov-token"]'],
});

/** The recipe: a projection of the decision, not the decision itself (its attestation claims stay out of logs). */
function logDecision(decision: Decision, request: LoggedRequest): void {
  const line = {
    reference: decision.reference,
    allowed: decision.allowed,
    code: decision.code,
    status: decision.status,
    mode: decision.mode,
    ip: decision.ip,
    request,
    // Per verifier: what it said and how long it took (ms). `detail` is a server-side reason, never a secret.
    verifiers: decision.results.map((r) => ({ verifier: r.verifier, outcome: r.outcome, code: r.code, ms: r.durationMs, cache: r.cache, detail: r.detail })),
    shieldMs: decision.results.reduce((sum, r) => sum + (r.durationMs ?? 0), 0),
  };
  // Denials at warn, so an alert on warn-level lines sees attacks; allowed requests at info (or drop them with LOG_LEVEL=warn).
  if (decision.allowed) logger.info({ shield: line }, 'shield decision');
  else logger.warn({ shield: line }, 'shield decision');
}

const attester = createTestAttester({ header: 'approov-token', secret: process.env.APPROOV_SECRET });
const shield = createShield({
  token: approov({ secret: attester.secret as string }),
  routes: { 'GET /health': false },
  onDecision: logDecision,
});

// Fastify logs through the same pino instance: one stream, one format.
const app = Fastify({ loggerInstance: logger });
await app.register(fastifyShield, { shield });
app.get('/health', async () => ({ status: 'ok' }));
app.get('/me', async (request) => ({ device: request.shield?.attestation?.claims.sub ?? null }));

const demo = process.argv.includes('--demo');
const base = await app.listen({ port: demo ? 0 : Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
const auth = 'Bearer demo-user-session';
const token = await attester.mint({ bindTo: auth });
if (!demo) {
  // A test token for trying it out, printed to the terminal, never to the log stream.
  console.log(`curl -H 'authorization: ${auth}' -H 'approov-token: ${token}' ${base}/me`);
} else {
  await fetch(`${base}/me`, { headers: { authorization: auth, 'approov-token': token } }); // allowed, token cache miss
  await fetch(`${base}/me`, { headers: { authorization: auth, 'approov-token': token } }); // allowed, hit
  await fetch(`${base}/me`, { headers: { authorization: 'Bearer someone-else', 'approov-token': token } }); // 401 binding
  await fetch(`${base}/me`, { headers: { authorization: auth } }); // 401 token_missing
  await app.close();
}
