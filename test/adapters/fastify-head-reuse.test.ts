/**
 * The Fastify body stage reuses the request line its header stage read (the route's config, the path and query,
 * the client) instead of reading them again; a hook that rewrote the URL in between makes it read them again, so
 * what it inspects is never older than what a handler reading `request.url` sees. Headers and params a hook replaced
 * between `onRequest` and `preValidation` (Fastify's `request.headers` setter, a `request.params` assignment) are read
 * again too: the body stage inspects what the handler reads.
 */
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { createShield } from '../../src/shield.js';
import { rawRequest } from '../helpers/raw-http.js';

const running: { close(): Promise<void> }[] = [];
const ATTACK = "1' UNION SELECT password FROM users--";
const b64 = (s: string): string => Buffer.from(s).toString('base64url');
afterAll(async () => {
  for (const app of running) await app.close();
});

for (const [name, fastify] of [
  ['fastify4', fastify4 as unknown as typeof fastify5],
  ['fastify5', fastify5],
] as const) {
  describe(`${name} body stage`, () => {
    it('reads the URL again when a hook rewrote it after the header stage', async () => {
      const app = fastify();
      await app.register(fastifyShield as never, { shield: createShield({ payload: {} }) });
      app.addHook('onRequest', (req, _reply, done) => {
        if (req.headers['x-rewrite'] !== undefined) req.raw.url = `/orders?q=${encodeURIComponent("1' UNION SELECT password FROM users--")}`;
        done();
      });
      app.post('/orders', async (req) => ({ url: req.url }));
      await app.listen({ port: 0, host: '127.0.0.1' });
      running.push({ close: async () => void (await app.close()) });
      const port = (app.server.address() as AddressInfo).port;
      const json = { 'content-type': 'application/json' };
      expect((await rawRequest(port, 'POST', '/orders', json, '{"q":"shoes"}')).status).toBe(200);
      const rewritten = await rawRequest(port, 'POST', '/orders', { ...json, 'x-rewrite': '1' }, '{"q":"shoes"}');
      expect([rewritten.status, rewritten.body.includes('payload_attack')]).toEqual([403, true]);
    });

    it('inspects params a hook decoded after the header stage (base64url ids)', async () => {
      const app = fastify();
      await app.register(fastifyShield as never, { shield: createShield({ payload: {} }) });
      app.addHook('onRequest', (req, _reply, done) => {
        req.params = { id: Buffer.from((req.params as { id: string }).id, 'base64url').toString() };
        done();
      });
      app.post('/items/:id', async (req) => ({ id: (req.params as { id: string }).id }));
      await app.listen({ port: 0, host: '127.0.0.1' });
      running.push({ close: async () => void (await app.close()) });
      const port = (app.server.address() as AddressInfo).port;
      const json = { 'content-type': 'application/json' };
      expect((await rawRequest(port, 'POST', `/items/${b64('42')}`, json, '{"q":"shoes"}')).status).toBe(200);
      const res = await rawRequest(port, 'POST', `/items/${b64(ATTACK)}`, json, '{"q":"shoes"}');
      expect([res.status, res.body.includes('payload_attack')]).toEqual([403, true]);
    });

    it('inspects headers a hook set through request.headers after the header stage', async () => {
      const app = fastify();
      await app.register(fastifyShield as never, { shield: createShield({ payload: { headers: ['x-search'] } }) });
      app.addHook('onRequest', (req, _reply, done) => {
        const packed = req.headers['x-search-b64'];
        if (typeof packed === 'string') req.headers = { 'x-search': Buffer.from(packed, 'base64url').toString() };
        done();
      });
      app.post('/search', async (req) => ({ search: req.headers['x-search'] }));
      await app.listen({ port: 0, host: '127.0.0.1' });
      running.push({ close: async () => void (await app.close()) });
      const port = (app.server.address() as AddressInfo).port;
      const json = { 'content-type': 'application/json' };
      expect((await rawRequest(port, 'POST', '/search', { ...json, 'x-search-b64': b64('shoes') }, '{}')).status).toBe(200);
      const res = await rawRequest(port, 'POST', '/search', { ...json, 'x-search-b64': b64(ATTACK) }, '{}');
      expect([res.status, res.body.includes('payload_attack'), res.body.includes('UNION')]).toEqual([403, true, false]);
    });
  });
}
