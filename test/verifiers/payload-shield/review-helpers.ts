/** Shared helpers for the review-*.test.ts and sqli-review-*.test.ts files: check() through createShield, and real HTTP through Express 5. */
import { createShield } from '../../../src/shield.js';
import type { PayloadShieldOptions } from '../../../src/verifiers/payload-shield/index.js';
import { ADAPTERS, type RunningApp } from '../../helpers/adapters.js';
import { rawRequest } from '../../helpers/raw-http.js';

const shields = new Map<string, ReturnType<typeof createShield>>();

/** The decision for a JSON body through createShield({ payload }).check() (and `query`, already encoded). */
export async function checkBody(body: unknown, payload: PayloadShieldOptions = {}, query = ''): Promise<{ allowed: boolean; detail: string }> {
  const key = JSON.stringify(payload);
  let shield = shields.get(key);
  if (shield === undefined) shields.set(key, (shield = createShield({ payload })));
  const d = await shield.check({
    method: 'POST',
    path: '/api/v1/items',
    headers: { 'user-agent': 'okhttp/4.12.0', 'content-type': 'application/json' },
    ip: '127.0.0.1',
    query,
    body,
  });
  const deny = d.results.find((r) => r.outcome === 'deny');
  return { allowed: d.allowed, detail: String(deny?.detail ?? '') };
}

/** `[value, allowed]` pairs for every value under `field`: one `toEqual` shows every wrong answer at once. */
export async function verdicts(field: string, values: readonly string[]): Promise<[string, boolean][]> {
  const out: [string, boolean][] = [];
  for (const v of values) out.push([v, (await checkBody({ [field]: v })).allowed]);
  return out;
}

/** Starts the Express 5 test app with POST /api/v1/items and GET /api/v1/items. */
export async function startExpress(): Promise<{ app: RunningApp; port: number }> {
  const harness = ADAPTERS.find((a) => a.name === 'express5')!;
  const app = await harness.start(createShield({ payload: {} }), [
    { method: 'POST', path: '/api/v1/items' },
    { method: 'GET', path: '/api/v1/items' },
  ]);
  return { app, port: Number(new URL(app.url).port) };
}

/** POSTs a JSON body over a real socket; returns the status. */
export async function postJson(port: number, body: unknown): Promise<number> {
  const res = await rawRequest(port, 'POST', '/api/v1/items', { 'content-type': 'application/json', 'user-agent': 'okhttp/4.12.0' }, JSON.stringify(body));
  return res.status;
}

/** GETs with a query string (already encoded) over a real socket; returns the status. */
export async function getQuery(port: number, query: string): Promise<number> {
  const res = await rawRequest(port, 'GET', `/api/v1/items?${query}`, { 'user-agent': 'okhttp/4.12.0' });
  return res.status;
}
