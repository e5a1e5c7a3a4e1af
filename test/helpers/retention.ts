/**
 * For tests of what a held decision keeps alive: forced full collections (V8's `gc`, exposed at run time), and the
 * servers such a test listens with closed after each test.
 */
import type http from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach } from 'vitest';
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
