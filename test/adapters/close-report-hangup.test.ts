/**
 * A client that hangs up while a check is still deciding is reported to `onDecision` once, with the right decision:
 * - while the header stage decides (a pending header verifier): the adapter's 'close' listener is added after the
 *   response closed, so it must run at once instead of waiting for a 'close' that will not come again (every adapter;
 *   Express also with a route-level middleware mounted, which defers the global check's report to 'close');
 * - while a multipart body stage waits on an earlier verifier: the body read that begins after the hang-up must end
 *   at once (`payload_malformed`), not wait for the verifier deadline (`shield_unavailable`).
 * Found by a review helper; raw sockets, since the hang-up is the point.
 */
import net from 'node:net';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import type { Verifier } from '../../src/core/verifier.js';
import { createShield, type Decision, type ShieldConfig } from '../../src/shield.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, type RunningApp } from '../helpers/adapters.js';

const attester = createTestAttester({ header: 'approov-token' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const running: { close(): Promise<unknown> }[] = [];
afterAll(async () => {
  for (const a of running) await a.close();
});

/** A header-stage verifier answering after 100 ms (a store read, a key fetch). */
const slowHeaders: Verifier = { name: 'slow-headers', stage: 'headers', verify: () => new Promise((r) => setTimeout(() => r({ outcome: 'pass' }), 100)) };
const bodyStage: Verifier = { name: 'body', stage: 'body', verify: () => ({ outcome: 'pass' }) };

/** Sends `request` on a raw socket and hangs up `after` ms later. */
async function hangUp(port: number, request: string, after: number): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.write(request);
  await sleep(after);
  socket.destroy();
}

/** The reports once the first has come (or 5 s passed), and 150 ms more for a second one that must not come. */
async function settledReports<T>(reports: T[]): Promise<T[]> {
  for (let waited = 0; reports.length === 0 && waited < 5_000; waited += 20) await sleep(20);
  await sleep(150);
  return reports;
}

const portOf = (url: string): number => Number(new URL(url).port);
const monitorShield = (reports: Decision[], verifiers: Verifier[]) =>
  createShield({ mode: 'monitor', token: approov({ secret: attester.secret! }), verifiers, onDecision: (d) => void reports.push(d) });
const JSON_POST_CUT = 'POST /orders HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"qty":';

for (const adapter of ADAPTERS.filter((a) => ['express4', 'express5', 'koa2', 'koa3', 'fastify4', 'fastify5'].includes(a.name))) {
  describe(`${adapter.name}: client hangs up while the header stage decides`, () => {
    for (const [title, after] of [
      ['a POST with a body is reported once', 30],
      ['control: the same hang-up after the header stage decided is reported once', 250],
    ] as const) {
      it(title, async () => {
        const reports: Decision[] = [];
        const app: RunningApp = await adapter.start(monitorShield(reports, [slowHeaders, bodyStage]), [{ method: 'POST', path: '/orders' }]);
        running.push(app);
        await hangUp(portOf(app.url), JSON_POST_CUT, after);
        expect((await settledReports(reports)).map((d) => [d.code, d.complete])).toEqual([['token_missing', true]]);
      });
    }
  });
}

for (const adapter of ADAPTERS.filter((a) => ['express4', 'express5', 'koa2', 'koa3'].includes(a.name))) {
  describe(`${adapter.name} with a route-level middleware mounted: hang-up while the global check decides`, () => {
    for (const after of [30, 250]) {
      it(`a GET (hang-up at ${after} ms) is reported once`, async () => {
        const reports: Decision[] = [];
        const app = await adapter.start(monitorShield(reports, [slowHeaders]), [
          { method: 'GET', path: '/orders' },
          { method: 'POST', path: '/login', shield: { mode: 'monitor' } },
        ]);
        running.push(app);
        await hangUp(portOf(app.url), 'GET /orders HTTP/1.1\r\nhost: x\r\n\r\n', after);
        expect((await settledReports(reports)).map((d) => [d.code, d.complete])).toEqual([['token_missing', true]]);
      });
    }
  });
}

/** A login route whose credential check waits 100 ms (`skip`) before it reads the multipart body. */
const loginShield = (reports: Decision[]): ShieldConfig => ({
  token: approov({ secret: attester.secret! }),
  store: new MemoryStore(),
  verifierTimeoutMs: 2_000,
  credentials: { consecutiveFailures: { limit: 5, lockSeconds: 60 }, skip: () => sleep(100).then(() => false) },
  routes: { 'POST /login': { token: { binding: false }, credentials: { login: { username: 'body.email' } } } },
  onDecision: (d) => void reports.push(d),
});
const multipartLoginCut = async (): Promise<string> =>
  `POST /login HTTP/1.1\r\nhost: x\r\napproov-token: ${await attester.mint({ claims: { did: 'd1' } })}\r\n` +
  'content-type: multipart/form-data; boundary=XX\r\ncontent-length: 500\r\n\r\n--XX\r\ncontent-disposition: form-data; name="email"\r\n\r\na@b';

for (const adapter of ADAPTERS.filter((a) => ['express4', 'express5', 'koa2', 'koa3'].includes(a.name))) {
  describe(`${adapter.name}: multipart login body, client gone while an earlier verifier runs`, () => {
    it('is reported once as the cut body it is, not as a verifier timeout', async () => {
      const reports: Decision[] = [];
      const app = await adapter.start(createShield(loginShield(reports)), [{ method: 'POST', path: '/login' }]);
      running.push(app);
      await hangUp(portOf(app.url), await multipartLoginCut(), 30);
      expect((await settledReports(reports)).map((d) => d.code)).toEqual(['payload_malformed']);
    }, 10_000);
  });
}

for (const [name, fastify] of [
  ['fastify4', fastify4 as unknown as typeof fastify5],
  ['fastify5', fastify5],
] as const) {
  describe(`${name}: multipart login body left in the stream, client gone while an earlier verifier runs`, () => {
    it('is reported once as the cut body it is, not as a verifier timeout', async () => {
      const reports: Decision[] = [];
      const app = fastify();
      // Leaves the body in the stream, as @fastify/multipart does.
      app.addContentTypeParser('multipart/form-data', (_req, _payload, done) => done(null));
      await app.register(fastifyShield as never, { shield: createShield(loginShield(reports)) });
      app.post('/login', async () => ({ ok: true }));
      await app.listen({ port: 0, host: '127.0.0.1' });
      running.push(app);
      await hangUp((app.server.address() as AddressInfo).port, await multipartLoginCut(), 30);
      expect((await settledReports(reports)).map((d) => d.code)).toEqual(['payload_malformed']);
    }, 10_000);
  });
}
