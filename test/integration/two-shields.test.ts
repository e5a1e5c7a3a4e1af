/**
 * Two shields on one app (the mobile API's, and a partner API's own under a prefix): each checks requests under its
 * own configuration and finishes only its own checks. A decision of one is never the other's earlier stage
 * (reviewer-found: the partner shield skipped every request the mobile shield had passed, and its route-level check
 * reused the mobile token's pass).
 */
import http from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import Router, { type RouterMiddleware } from '@koa/router';
import bodyParser from 'koa-bodyparser';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { koaShield, koaShieldBody } from '../../src/adapters/koa.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { reportLoginOutcome } from '../../src/index.js';
import { createShield, type Shield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { listen, type RunningApp } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

const mobile = createTestAttester();
const partner = createTestAttester();
const header = 'x-attestation-token';
const shields = (): { mobileShield: Shield; partnerShield: Shield } => ({
  // The mobile API's shield leaves the partner routes to the partner's own.
  mobileShield: createShield({ token: { secret: mobile.secret as string, header }, routes: { 'POST /partner/data': false, 'POST /partner/route': false } }),
  partnerShield: createShield({ token: { secret: partner.secret as string, header }, payload: {} }),
});
const ATTACK = JSON.stringify({ q: "1' UNION SELECT password FROM users--" });

const running: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const app of running) await app.close();
});
async function port(app: RunningApp): Promise<number> {
  running.push(app);
  return Number(new URL(app.url).port);
}

type Build = () => Promise<number>;

const expressApp = (factory: typeof express5): Build => async () => {
  const { mobileShield, partnerShield } = shields();
  const app = factory();
  app.use(expressShield(mobileShield));
  app.use('/partner', expressShield(partnerShield));
  app.use(factory.json());
  app.use(expressShieldBody(mobileShield));
  app.use('/partner', expressShieldBody(partnerShield));
  app.post('/partner/data', (_req, res) => void res.json({ handler: 'data' }));
  app.post('/partner/route', expressShield(partnerShield, { token: { binding: false } }), (_req, res) => void res.json({ handler: 'route' }));
  return port(await listen(http.createServer(app)));
};

const koaApp = (Koa: typeof Koa3): Build => async () => {
  const { mobileShield, partnerShield } = shields();
  const app = new Koa();
  const router = new Router({ prefix: '/partner' });
  // Both global (the test only calls partner routes, which the mobile shield leaves to the partner's).
  app.use(koaShield(mobileShield) as unknown as Koa3.Middleware);
  app.use(koaShield(partnerShield) as unknown as Koa3.Middleware);
  app.use(bodyParser() as unknown as Koa3.Middleware);
  app.use(koaShieldBody(mobileShield) as unknown as Koa3.Middleware);
  app.use(koaShieldBody(partnerShield) as unknown as Koa3.Middleware);
  router.post('/data', (ctx) => void (ctx.body = { handler: 'data' }));
  router.post('/route', koaShield(partnerShield, { token: { binding: false } }) as unknown as RouterMiddleware, (ctx) => void (ctx.body = { handler: 'route' }));
  app.use(router.routes());
  return port(await listen(http.createServer(app.callback())));
};

const fastifyApp = (factory: typeof fastify5): Build => async () => {
  const { mobileShield, partnerShield } = shields();
  const app = factory();
  await app.register(fastifyShield as never, { shield: mobileShield });
  await app.register(
    async (scoped) => {
      await scoped.register(fastifyShield as never, { shield: partnerShield });
      scoped.post('/data', async () => ({ handler: 'data' }));
      // (A route's `config.shield` is read by every shield registered on it, so no route-level case here.)
      scoped.post('/route', async () => ({ handler: 'route' }));
    },
    { prefix: '/partner' },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  running.push({ close: async () => void (await app.close()) });
  return (app.server.address() as AddressInfo).port;
};

const APPS: readonly [string, Build][] = [
  ['express4', expressApp(express4 as unknown as typeof express5)],
  ['express5', expressApp(express5)],
  ['koa2', koaApp(Koa2 as unknown as typeof Koa3)],
  ['koa3', koaApp(Koa3)],
  ['fastify4', fastifyApp(fastify4 as unknown as typeof fastify5)],
  ['fastify5', fastifyApp(fastify5)],
];

for (const [name, build] of APPS) {
  describe(`two shields on one ${name} app`, () => {
    it("the partner shield checks the partner's token and body, whatever the mobile shield decided", async () => {
      const p = await build();
      const json = { 'content-type': 'application/json' };
      for (const path of ['/partner/data', '/partner/route']) {
        // The mobile shield's decision (off on these routes) is not the partner shield's: the partner checks.
        expect([path, (await rawRequest(p, 'POST', path, json, '{}')).status]).toEqual([path, 401]);
        expect([path, (await rawRequest(p, 'POST', path, { ...json, [header]: await mobile.mint() }, '{}')).status]).toEqual([path, 401]);
        // Its body checks run too (its payload shield), not skipped as finished.
        const attack = await rawRequest(p, 'POST', path, { ...json, [header]: await partner.mint() }, ATTACK);
        expect([path, attack.status, attack.body.includes('payload_attack')]).toEqual([path, 403, true]);
        const ok = await rawRequest(p, 'POST', path, { ...json, [header]: await partner.mint() }, '{"q":"shoes"}');
        expect([path, ok.status]).toEqual([path, 200]);
      }
    });
  });
}

describe('reportLoginOutcome with two shields on the request', () => {
  const loginShields = () => ({
    main: createShield({
      credentials: { consecutiveFailures: { limit: 3, lockSeconds: 60 } },
      routes: { 'POST /login': { token: false, credentials: { login: { username: 'body.email', password: 'body.password' } } } },
    }),
    other: createShield({ payload: {} }),
  });
  const wrongLogins = async (p: number): Promise<number[]> => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await rawRequest(p, 'POST', '/login', { 'content-type': 'application/json' }, '{"email":"alice@example.com","password":"x"}')).status);
    }
    return statuses;
  };

  it('express: the failure reaches the shield that counts logins, whichever decided last', async () => {
    const { main, other } = loginShields();
    const app = express5();
    app.use(expressShield(main));
    app.use(expressShield(other));
    app.use(express5.json());
    app.use(expressShieldBody(main));
    app.use(expressShieldBody(other));
    app.post('/login', (req, res) => {
      void reportLoginOutcome(req, 'failure');
      res.json({ ok: false });
    });
    expect(await wrongLogins(await port(await listen(http.createServer(app))))).toEqual([200, 200, 200, 429, 429, 429]);
  });

  it('koa: the failure reaches the shield that counts logins, whichever decided last', async () => {
    const { main, other } = loginShields();
    const app = new Koa3();
    app.use(koaShield(main) as unknown as Koa3.Middleware);
    app.use(koaShield(other) as unknown as Koa3.Middleware);
    app.use(bodyParser() as unknown as Koa3.Middleware);
    app.use(koaShieldBody(main) as unknown as Koa3.Middleware);
    app.use(koaShieldBody(other) as unknown as Koa3.Middleware);
    app.use((ctx) => {
      void reportLoginOutcome(ctx, 'failure');
      ctx.body = { ok: false };
    });
    expect(await wrongLogins(await port(await listen(http.createServer(app.callback()))))).toEqual([200, 200, 200, 429, 429, 429]);
  });
});
