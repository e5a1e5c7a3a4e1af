/**
 * Prometheus metrics for mobile-api-shield with prom-client: decisions by outcome and code, each verifier's latency
 * (from `decision.results[].durationMs`), the token cache hit rate and the store's latency, served on `/metrics`.
 *
 *   npx tsx examples/prometheus.ts          # serves on PORT (default 3000); scrape http://127.0.0.1:3000/metrics
 *   npx tsx examples/prometheus.ts --demo   # sends a few requests to itself, prints /metrics and exits
 *
 * Labels are verifier names, outcomes and deny codes only: never a header, a token, a path or an IP (cardinality,
 * and nothing secret in the metrics).
 */
import express from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { MemoryStore, approov, createShield, timedStore } from '../src/index.js';
import type { Decision } from '../src/index.js';
import { expressShield, expressShieldBody } from '../src/adapters/express.js';
import { createTestAttester } from '../src/testing/index.js';

const registry = new Registry();
collectDefaultMetrics({ register: registry });
// 5 µs to 2.5 s: a cached token check takes microseconds, a JWKS fetch or a Redis round trip milliseconds.
const buckets = [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5];

const decisions = new Counter({
  name: 'mobile_api_shield_decisions_total',
  help: 'Requests the shield decided on, by outcome (allowed, denied, monitored, exempt), deny code and mode',
  labelNames: ['outcome', 'code', 'mode'] as const,
  registers: [registry],
});
const verifierSeconds = new Histogram({
  name: 'mobile_api_shield_verifier_duration_seconds',
  help: 'Time a verifier took on a request',
  labelNames: ['verifier', 'outcome'] as const,
  buckets,
  registers: [registry],
});
const cacheLookups = new Counter({
  name: 'mobile_api_shield_verifier_cache_lookups_total',
  help: 'Verifier cache lookups (the token cache hit rate is hit / all)',
  labelNames: ['verifier', 'result'] as const,
  registers: [registry],
});
const storeSeconds = new Histogram({
  name: 'mobile_api_shield_store_duration_seconds',
  help: 'Time of a store operation',
  labelNames: ['operation', 'outcome'] as const,
  buckets,
  registers: [registry],
});

/** The recipe: everything comes from the decision `onDecision` receives. */
function recordDecision(decision: Decision): void {
  // exempt: the shield is off on the route (`/metrics` here), nothing was checked.
  const outcome = !decision.allowed ? 'denied' : decision.code !== undefined ? 'monitored' : decision.results.length === 0 ? 'exempt' : 'allowed';
  decisions.inc({ outcome, code: decision.code ?? '', mode: decision.mode });
  for (const result of decision.results) {
    // A 0 ms skip did not run (off, or not for this route): not a latency.
    if (result.durationMs !== undefined && !(result.outcome === 'skip' && result.durationMs === 0)) {
      verifierSeconds.observe({ verifier: result.verifier, outcome: result.outcome }, result.durationMs / 1000);
    }
    if (result.cache !== undefined) cacheLookups.inc({ verifier: result.verifier, result: result.cache });
  }
}

const attester = createTestAttester({ header: 'approov-token', secret: process.env.APPROOV_SECRET });
const shield = createShield({
  token: approov({ secret: attester.secret as string }),
  // The store's latency: every operation (replay checks here; counters and lockouts with credentials) is timed.
  store: timedStore(new MemoryStore(), (operation, ms, failed) =>
    storeSeconds.observe({ operation, outcome: failed ? 'error' : 'ok' }, ms / 1000),
  ),
  routes: { 'GET /metrics': false, 'POST /transfer': { token: { replay: true } } },
  onDecision: recordDecision,
});

const app = express();
app.use(expressShield(shield));
app.use(express.json());
app.use(expressShieldBody(shield));
app.get('/metrics', async (_req, res) => void res.type(registry.contentType).send(await registry.metrics()));
app.get('/me', (req, res) => void res.json({ device: req.shield?.attestation?.claims.sub ?? null }));
app.post('/transfer', (_req, res) => void res.json({ ok: true }));

const demo = process.argv.includes('--demo');
const server = app.listen(demo ? 0 : Number(process.env.PORT ?? 3000), '127.0.0.1', async () => {
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const auth = 'Bearer demo-user-session';
  const token = await attester.mint({ bindTo: auth });
  if (!demo) {
    console.log(`Prometheus example on ${base}; metrics on ${base}/metrics`);
    console.log(`curl -H 'authorization: ${auth}' -H 'approov-token: ${token}' ${base}/me`);
    return;
  }
  const once = await attester.mint({ bindTo: auth, singleUse: true });
  const transfer = { method: 'POST', headers: { authorization: auth, 'approov-token': once, 'content-type': 'application/json' }, body: '{"amount":5}' };
  const answers = [
    await fetch(`${base}/me`, { headers: { authorization: auth, 'approov-token': token } }), // token cache miss
    await fetch(`${base}/me`, { headers: { authorization: auth, 'approov-token': token } }), // hit
    await fetch(`${base}/me`, { headers: { authorization: auth } }), // 401 token_missing
    await fetch(`${base}/transfer`, transfer), // single use: a store write
    await fetch(`${base}/transfer`, transfer), // 401 token_replayed
  ];
  console.log(`statuses: ${answers.map((a) => a.status).join(' ')}`);
  process.stdout.write(await (await fetch(`${base}/metrics`)).text());
  server.close();
});
