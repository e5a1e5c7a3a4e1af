/**
 * Device body binding with the app's parser in charge (issue 9): the shield gets the body's bytes through the
 * parsers' own hooks (body-parser's `verify` via `captureRawBody()`, a copy of the stream for Koa's parsers, Fastify's
 * `preParsing`), with Content-Encoding removed, so a compressed body (OkHttp/URLSession request compression) is
 * bound by the hash of what the app put in it. Without a way to see the bytes, the binding refuses.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { createGunzip, createInflate, deflateSync, gzipSync } from 'node:zlib';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import koaBodyParser from 'koa-bodyparser';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { captureRawBody, expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { koaShield, koaShieldBody } from '../../src/adapters/koa.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import type { Shield, ShieldConfig } from '../../src/shield.js';
import { createShield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { genuinePayload, PACKAGE, playKeys, playToken } from '../attestation/play-integrity/token-factory.js';
import { listen, type RunningApp } from '../helpers/adapters.js';

/** What these tests need of a server: its URL and how to close it (Fastify builds its own). */
type Running = Pick<RunningApp, 'url' | 'close'>;

const attester = createTestAttester({ header: 'approov-token' });
const keys = playKeys();

function deviceShield(extra: Partial<ShieldConfig> = {}): Shield {
  return createShield({
    ...extra,
    token: { ...approov({ secret: attester.secret as string }), binding: false },
    device: {
      playIntegrity: { packageName: PACKAGE, decryptionKey: keys.decryptionKey, verificationKey: keys.verificationKey },
      tokenClaims: { deviceId: 'did', platform: 'os' },
    },
  });
}

type Builder = (shield: Shield) => Promise<Running>;

const expressApp = (factory: typeof express5, capture: boolean): Builder => async (shield) => {
  const app = factory();
  app.use(expressShield(shield));
  app.use(factory.json(capture ? { verify: captureRawBody() } : {}));
  app.use(expressShieldBody(shield));
  app.post('/payments', (req, res) => void res.json({ received: req.body }));
  return listen(http.createServer(app));
};

const koaApp = (Koa: typeof Koa3): Builder => async (shield) => {
  const app = new Koa();
  app.use(koaShield(shield) as unknown as Koa3.Middleware);
  app.use(koaBodyParser() as unknown as Koa3.Middleware);
  app.use(koaShieldBody(shield) as unknown as Koa3.Middleware);
  app.use((ctx) => void (ctx.body = { received: (ctx.request as { body?: unknown }).body }));
  return listen(http.createServer(app.callback()));
};

/** Fastify with the app's own request decompression (a preParsing hook added after the shield's). */
const fastifyApp = (factory: typeof fastify5): Builder => async (shield) => {
  const app = factory();
  await app.register(fastifyShield as never, { shield });
  app.addHook('preParsing', async (req, _reply, payload: Readable) => {
    const coding = req.headers['content-encoding'];
    if (coding !== 'gzip' && coding !== 'deflate') return payload;
    const decoder = coding === 'gzip' ? createGunzip() : createInflate();
    payload.on('error', (e) => decoder.destroy(e));
    delete req.headers['content-length'];
    return payload.pipe(decoder);
  });
  app.post('/payments', async (req) => ({ received: req.body }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: async () => void (await app.close()) };
};

async function proofHeaders(bodyHash: string): Promise<Record<string, string>> {
  // The v2 canonical request (no query string, no Authorization header), as the device verifier binds it.
  const nonce = createHash('sha256').update(`v2\nPOST\n/payments\n\nauthorization:\n${bodyHash}`).digest('base64url');
  return {
    'approov-token': await attester.mint({ claims: { did: 'dev-1', os: 'android' } }),
    'x-play-integrity': await playToken(keys, genuinePayload(Date.now(), { nonce })),
    'x-shield-body-sha256': bodyHash,
  };
}

async function post(url: string, wire: Buffer, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/payments`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: wire });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

const BODY = JSON.stringify({ to: 'bob', amount: 25 });
const HASH = createHash('sha256').update(BODY).digest('base64url');
const OTHER = JSON.stringify({ to: 'mallory', amount: 2500 });

const APPS: readonly [string, Builder][] = [
  ['express4', expressApp(express4 as unknown as typeof express5, true)],
  ['express5', expressApp(express5, true)],
  ['koa2', koaApp(Koa2 as unknown as typeof Koa3)],
  ['koa3', koaApp(Koa3)],
  ['fastify4', fastifyApp(fastify4 as unknown as typeof fastify5)],
  ['fastify5', fastifyApp(fastify5)],
];

for (const [name, build] of APPS) {
  describe(`device body binding over the app's bytes: ${name}`, () => {
    let app: Running;
    beforeAll(async () => {
      app = await build(deviceShield());
    });
    afterAll(() => app.close());

    it('plain, gzip and deflate bodies are bound by the hash of the decoded body', async () => {
      for (const [coding, wire] of [['identity', Buffer.from(BODY)], ['gzip', gzipSync(BODY)], ['deflate', deflateSync(BODY)]] as const) {
        const res = await post(app.url, wire, { ...(await proofHeaders(HASH)), 'content-encoding': coding });
        expect({ coding, status: res.status, body: res.body }).toEqual({ coding, status: 200, body: { received: JSON.parse(BODY) } });
      }
    });

    it('another body behind the same proof is refused, compressed or not', async () => {
      for (const wire of [Buffer.from(OTHER), gzipSync(OTHER)]) {
        const coding = wire[0] === 0x1f ? 'gzip' : 'identity';
        const res = await post(app.url, wire, { ...(await proofHeaders(HASH)), 'content-encoding': coding });
        expect(res.status).toBe(403);
        expect((res.body as { code?: string }).code).toBe('device_untrusted');
      }
    });
  });
}

for (const [name, build] of APPS) {
  it(`${name}: a route enforcing device-risk under a monitoring shield enforces the body binding too`, async () => {
    const app = await build(deviceShield({ mode: 'monitor', routes: { 'POST /payments': { verifiers: { 'device-risk': 'enforce' } } } }));
    try {
      const res = await post(app.url, Buffer.from(OTHER), await proofHeaders(HASH));
      expect(res.status).toBe(403);
      expect((res.body as { code?: string }).code).toBe('device_untrusted');
      expect((await post(app.url, Buffer.from(BODY), await proofHeaders(HASH))).status).toBe(200);
    } finally {
      await app.close();
    }
  });
}

describe('Express without captureRawBody(): the bytes are unknown and a bound body is refused', () => {
  it('fails closed', async () => {
    const app = await expressApp(express5, false)(deviceShield());
    try {
      const res = await post(app.url, Buffer.from(BODY), await proofHeaders(HASH));
      expect(res.status).toBe(403);
      expect((res.body as { code?: string }).code).toBe('device_untrusted');
    } finally {
      await app.close();
    }
  });
});
