/**
 * Client IP behind a real chain (issue 9): a reverse proxy on 127.0.0.1 forwards to the app and writes
 * X-Forwarded-For, as a load balancer does. With `trustProxy: 'framework'` the shield keys its credential counters
 * on the client the framework reports (`req.ip`, `ctx.ip`, `request.ip`), with the framework's trust on and off, on
 * Express 4/5, Koa 2/3 and Fastify 4/5. A shield left at its own `trustProxy: false` behind a proxy-trusting
 * framework says so once through `onError`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import koaBodyParser from 'koa-bodyparser';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { koaShield, koaShieldBody } from '../../src/adapters/koa.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import type { Decision } from '../../src/shield.js';
import type { Shield } from '../../src/shield.js';
import { createShield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { listen, type RunningApp } from '../helpers/adapters.js';

/** What these tests need of a server: its URL and how to close it (Fastify builds its own). */
type Running = Pick<RunningApp, 'url' | 'close'>;

const attester = createTestAttester({ header: 'approov-token' });
const PASSWORD = 'correct-password';
const IP_FAILURE_LIMIT = 3;

/** What the login handler answers: the framework's client and the shield's, and 200/401 by password. */
function login(frameworkIp: string | undefined, body: unknown, decision: Decision | undefined) {
  const ok = (body as { password?: unknown } | undefined)?.password === PASSWORD;
  return { status: ok ? 200 : 401, body: { frameworkIp, shieldIp: decision?.ip } };
}

type Builder = (shield: Shield, trust: boolean) => Promise<Running>;

const expressBuilder = (factory: typeof express5): Builder => async (shield, trust) => {
  const app = factory();
  app.set('trust proxy', trust ? 'loopback' : false);
  app.use(expressShield(shield));
  app.use(factory.json());
  app.use(expressShieldBody(shield));
  app.post('/login', (req, res) => {
    const out = login(req.ip, req.body, req.shield);
    res.status(out.status).json(out.body);
  });
  return listen(http.createServer(app));
};

const koaBuilder = (Koa: typeof Koa3): Builder => async (shield, trust) => {
  const app = new Koa();
  app.proxy = trust;
  app.maxIpsCount = 1; // one proxy: Koa then reads the entry it appended, not the leftmost one a client wrote
  app.use(koaShield(shield) as unknown as Koa3.Middleware);
  app.use(koaBodyParser() as unknown as Koa3.Middleware);
  app.use(koaShieldBody(shield) as unknown as Koa3.Middleware);
  app.use((ctx) => {
    const out = login(ctx.ip, (ctx.request as { body?: unknown }).body, ctx.state.shield as Decision | undefined);
    ctx.status = out.status;
    ctx.body = out.body;
  });
  return listen(http.createServer(app.callback()));
};

const fastifyBuilder = (factory: typeof fastify5): Builder => async (shield, trust) => {
  const app = factory({ trustProxy: trust ? '127.0.0.1' : false });
  await app.register(fastifyShield as never, { shield });
  app.post('/login', async (req, reply) => {
    const out = login(req.ip, req.body, (req as unknown as { shield?: Decision }).shield);
    return reply.code(out.status).send(out.body);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: async () => void (await app.close()) };
};

const FRAMEWORKS: readonly [string, Builder][] = [
  ['express4', expressBuilder(express4 as unknown as typeof express5)],
  ['express5', expressBuilder(express5)],
  ['koa2', koaBuilder(Koa2 as unknown as typeof Koa3)],
  ['koa3', koaBuilder(Koa3)],
  ['fastify4', fastifyBuilder(fastify4 as unknown as typeof fastify5)],
  ['fastify5', fastifyBuilder(fastify5)],
];

/**
 * A reverse proxy on 127.0.0.1: forwards every request to `target` and writes `X-Forwarded-For` with the client's
 * public address (taken from `x-test-client`, standing in for the address the balancer saw), replacing whatever
 * the client sent, as a load balancer configured to overwrite does.
 */
async function startProxy(target: string): Promise<Running> {
  const server = http.createServer((req, res) => {
    const headers: http.OutgoingHttpHeaders = { ...req.headers, 'x-forwarded-for': String(req.headers['x-test-client'] ?? req.socket.remoteAddress) };
    delete headers['x-test-client'];
    const upstream = http.request(`${target}${req.url}`, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  return listen(server);
}

function shieldFor(trustProxy: 'framework' | false, errors: unknown[] = []): Shield {
  return createShield({
    token: approov({ secret: attester.secret as string }),
    trustProxy,
    credentials: {
      ipFailures: { limit: IP_FAILURE_LIMIT, windowSeconds: 3600 },
      consecutiveFailures: { limit: 100, lockSeconds: 60, maxLockSeconds: 600 },
      ipDistinctUsernames: { limit: 100, windowSeconds: 3600 },
      deviceDistinctUsernames: { limit: 100, windowSeconds: 3600 },
      deviceFailures: { limit: 100, windowSeconds: 3600 },
    },
    routes: { 'POST /login': { token: { binding: false }, credentials: { login: { username: 'body.email' } } } },
    onError: (error: unknown) => void errors.push(error),
  } as unknown as Parameters<typeof createShield>[0]);
}

async function post(proxy: string, client: string, n: number, password = 'wrong'): Promise<{ status: number; body: { frameworkIp?: string; shieldIp?: string; code?: string } }> {
  const token = await attester.mint({ claims: { did: `device-${client}-${n}` } });
  const res = await fetch(`${proxy}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'approov-token': token, 'x-test-client': client },
    body: JSON.stringify({ email: `user${n}@example.com`, password }),
  });
  // The failure is counted once the response has finished: give the counter a tick to land.
  const body = (await res.json()) as { frameworkIp?: string; shieldIp?: string; code?: string };
  await new Promise((r) => setTimeout(r, 5));
  return { status: res.status, body };
}

const ATTACKER = '203.0.113.7';
const BYSTANDER = '198.51.100.9';

for (const [name, build] of FRAMEWORKS) {
  for (const trust of [true, false]) {
    describe(`client IP through a proxy: ${name}, framework trust ${trust ? 'on' : 'off'}`, () => {
      let app: Running;
      let proxy: Running;
      beforeAll(async () => {
        app = await build(shieldFor('framework'), trust);
        proxy = await startProxy(app.url);
      });
      afterAll(async () => {
        await proxy.close();
        await app.close();
      });

      it('the shield keys its counters on the client the framework reports', async () => {
        const first = await post(proxy.url, ATTACKER, 0);
        expect(first.status).toBe(401);
        const expected = trust ? ATTACKER : '127.0.0.1';
        expect(first.body.frameworkIp?.replace(/^::ffff:/, '')).toBe(expected);
        expect(first.body.shieldIp).toBe(expected);
        for (let i = 1; i < IP_FAILURE_LIMIT; i++) expect((await post(proxy.url, ATTACKER, i)).status).toBe(401);
        // The attacker's address is now over its failure limit.
        const blocked = await post(proxy.url, ATTACKER, 99);
        expect(blocked.status).toBe(429);
        // Another client behind the same proxy: its own key when the framework knows it, the proxy's (shared,
        // hence blocked too) when the framework does not trust the proxy.
        const bystander = await post(proxy.url, BYSTANDER, 100, PASSWORD);
        expect(bystander.status).toBe(trust ? 200 : 429);
        if (trust) expect(bystander.body.shieldIp).toBe(BYSTANDER);
      });
    });
  }

  it(`${name}: a shield left at its own trustProxy behind a proxy-trusting framework warns once through onError`, async () => {
    const errors: unknown[] = [];
    const app = await build(shieldFor(false, errors), true);
    const proxy = await startProxy(app.url);
    try {
      const res = await post(proxy.url, ATTACKER, 0);
      await post(proxy.url, BYSTANDER, 1);
      // The shield's own resolution stands (the proxy's address), and the mismatch was reported once.
      expect(res.body.shieldIp).toBe('127.0.0.1');
      const warnings = errors.filter((e) => (e as { code?: unknown }).code === 'proxy_trust_mismatch');
      expect(warnings).toHaveLength(1);
      expect(String((warnings[0] as Error).message)).toMatch(/trustProxy to 'framework'/);
    } finally {
      await proxy.close();
      await app.close();
    }
  });
}
