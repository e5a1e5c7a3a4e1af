/**
 * The Fastify plugin declares the properties it keeps on a request (its header stage's `Head`, its decision slot) on
 * Fastify's request class, as it declares `shield`: a property added to each request after Fastify built it changes
 * the request's shape on every request (docs/performance.md). Own keys are counted when the request reaches the
 * first hook and again in the handler, with the shield's two stages run in between, over a real socket.
 */
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import fastify40 from 'fastify40';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { createShield } from '../../src/shield.js';
import { rawRequest } from '../helpers/raw-http.js';

const running: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const app of running) await app.close();
});

/** The shield's own keys (symbols named `mobile-api-shield.*`). */
const shieldKeys = (keys: readonly (string | symbol)[]): string[] =>
  keys.filter((k): k is symbol => typeof k === 'symbol' && (k.description ?? '').startsWith('mobile-api-shield')).map((k) => k.description!);

for (const [name, fastify] of [
  ['fastify4.0', fastify40 as unknown as typeof fastify5],
  ['fastify4', fastify4 as unknown as typeof fastify5],
  ['fastify5', fastify5],
] as const) {
  describe(`${name} request shape`, () => {
    it('adds no property of the shield to a request after Fastify built it (header and body stages)', async () => {
      const app = fastify();
      let atFirstHook: (string | symbol)[] = [];
      let inHandler: (string | symbol)[] = [];
      app.addHook('onRequest', (req, _reply, done) => {
        atFirstHook = Reflect.ownKeys(req);
        done();
      });
      await app.register(fastifyShield as never, { shield: createShield({ payload: {} }) });
      app.post('/orders', async (req) => {
        inHandler = Reflect.ownKeys(req);
        return { ok: (req as { shield?: { allowed: boolean } }).shield?.allowed };
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      running.push({ close: async () => void (await app.close()) });
      const port = (app.server.address() as AddressInfo).port;
      const res = await rawRequest(port, 'POST', '/orders', { 'content-type': 'application/json' }, '{"q":"shoes"}');
      expect(res.status).toBe(200);
      // The shield keeps its Head and decision slot on this request (a body stage ran) ...
      expect(shieldKeys(inHandler).sort()).toEqual(['mobile-api-shield.decision', 'mobile-api-shield.head']);
      // ... on keys the request had from the start.
      expect(shieldKeys(atFirstHook).sort()).toEqual(shieldKeys(inHandler).sort());
      expect(atFirstHook.includes('shield')).toBe(true);
    });
  });
}
