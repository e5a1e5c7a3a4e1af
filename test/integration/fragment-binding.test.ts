/**
 * A `#` in the request target, sent over a raw socket (clients never send one; an attacker can). Fastify's router
 * hands the handler everything after the first `?` or `#` as the query, a `#` included; Express and Koa end the
 * query at `#`. A device proof binds the query the handler parses, so on Fastify a proof for `?to=alice` must not
 * cover `?to=alice#&to=mallory`, nor a proof for no query `#&to=mallory`.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import express4 from 'express4';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import Koa from 'koa';
import { afterAll, describe, expect, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { koaShield } from '../../src/adapters/koa.js';
import { createShield } from '../../src/shield.js';
import { genuinePayload, PACKAGE, playKeys, playToken } from '../attestation/play-integrity/token-factory.js';
import { rawRequest } from '../helpers/raw-http.js';

const keys = playKeys();
const shield = () =>
  createShield({ device: { playIntegrity: { packageName: PACKAGE, decryptionKey: keys.decryptionKey, verificationKey: keys.verificationKey } } });

/** A Play Integrity token bound to the v2 canonical request (no Authorization header, no body). */
async function proof(path: string, query: string): Promise<Record<string, string>> {
  const nonce = createHash('sha256').update(`v2\nGET\n${path}\n${query}\nauthorization:\n`).digest('base64url');
  return { 'x-play-integrity': await playToken(keys, genuinePayload(Date.now(), { nonce })) };
}

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as AddressInfo).port;
}

type Fastify = typeof fastify5;
async function startFastify(factory: Fastify): Promise<number> {
  const app = factory();
  await app.register(fastifyShield, { shield: shield() });
  app.get('/transfer', async (req) => ({ query: req.query }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  closers.push(() => app.close());
  return (app.server.address() as AddressInfo).port;
}

function startExpress(factory: typeof express5): Promise<number> {
  const app = factory();
  app.use(expressShield(shield()));
  app.get('/transfer', (req, res) => void res.json({ query: req.query }));
  return listen(http.createServer(app));
}

function startKoa(): Promise<number> {
  const app = new Koa();
  app.use(koaShield(shield()));
  app.use((ctx) => {
    ctx.body = { query: ctx.query };
  });
  return listen(http.createServer(app.callback()));
}

describe('Fastify: the query after a "#" is the query the proof must cover', () => {
  for (const [name, factory] of [['Fastify 5', fastify5], ['Fastify 4', fastify4 as unknown as Fastify]] as const) {
    it(name, async () => {
      const port = await startFastify(factory);
      expect((await rawRequest(port, 'GET', '/transfer?to=alice', await proof('/transfer', 'to=alice'))).status).toBe(200);
      const extra = await rawRequest(port, 'GET', '/transfer?to=alice#&to=mallory&amount=9999', await proof('/transfer', 'to=alice'));
      expect(extra.status).toBe(403);
      expect(JSON.parse(extra.body).code).toBe('device_untrusted');
      expect((await rawRequest(port, 'GET', '/transfer#&to=mallory', await proof('/transfer', ''))).status).toBe(403);
      // A proof of the query Fastify parses covers it.
      const signed = await rawRequest(port, 'GET', '/transfer#&to=mallory', await proof('/transfer', '&to=mallory'));
      expect(signed.status).toBe(200);
      expect(JSON.parse(signed.body).query).toEqual({ to: 'mallory' });
    });
  }
});

describe('Express and Koa end the query at "#": the handler never sees what follows, and the proof holds', () => {
  for (const [name, start] of [
    ['Express 5', () => startExpress(express5)],
    ['Express 4', () => startExpress(express4 as unknown as typeof express5)],
    ['Koa', startKoa],
  ] as const) {
    it(name, async () => {
      const port = await start();
      const extra = await rawRequest(port, 'GET', '/transfer?to=alice#&to=mallory&amount=9999', await proof('/transfer', 'to=alice'));
      expect(extra.status).toBe(200);
      expect(JSON.parse(extra.body).query).toEqual({ to: 'alice' });
    });
  }
});
