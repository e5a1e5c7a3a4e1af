/**
 * For tests of what a held decision keeps alive: forced full collections (V8's `gc`, exposed at run time), and the
 * servers such a test listens with closed after each test.
 */
import type http from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, expect } from 'vitest';
import type { Decision } from '../../src/shield.js';
import { rawRequest } from './raw-http.js';
import { listen, type RunningApp } from './adapters.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Full collections across turns of the event loop (a WeakRef read in a job keeps its target until the job ends). */
export async function collect(): Promise<void> {
  for (let i = 0; i < 4; i += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
}

const running: RunningApp[] = [];
afterEach(async () => {
  for (const app of running.splice(0)) await app.close();
});

/** Listens on an ephemeral loopback port (the suite's `listen`; closed after the test) and resolves the port. */
export async function listenForTest(server: http.Server): Promise<number> {
  const app = await listen(server);
  running.push(app);
  return Number(new URL(app.url).port);
}

/**
 * Sends three order requests to `server` over a real socket (each must pass), forces full collections, and asserts
 * that the decisions the handler kept in `held` are intact while nothing in `refs` (the framework's request
 * objects, taken in the handler) survived.
 */
export async function expectOnlyDecisionsSurvive(
  server: http.Server,
  headers: Record<string, string>,
  held: readonly Decision[],
  refs: readonly WeakRef<object>[],
): Promise<void> {
  const port = await listenForTest(server);
  for (let i = 0; i < 3; i += 1) {
    const response = await rawRequest(port, 'POST', `/v1/orders/${i}`, headers, '{"sku":"A1","qty":1}');
    expect(response.status).toBe(200);
  }
  expect(held).toHaveLength(3);
  expect(held.every((decision) => decision.allowed && decision.complete)).toBe(true);
  await collect();
  // The decisions are still reachable (held by the caller); the request objects are not.
  expect(held.map((decision) => decision.allowed)).toEqual([true, true, true]);
  expect(refs.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
}
