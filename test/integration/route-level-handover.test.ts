/**
 * Express and Koa: a global middleware leaves its denial (or the body) to a route's own route-level check only when
 * nothing between the two can answer the request: a sub-application, an answering middleware (static files) or an
 * `app.param` callback in between would otherwise run on a request no check under its own options passed
 * (reviewer-found: a SQL injection reached a legacy sub-app's handler, static files were served without a token). With
 * only the shield's own layers and known body parsers in between, the route-level relaxation still applies.
 */
import http from 'node:http';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import Router, { type RouterMiddleware } from '@koa/router';
import bodyParser from 'koa-bodyparser';
import { afterAll, describe, expect, it } from 'vitest';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { koaShield, koaShieldBody } from '../../src/adapters/koa.js';
import { createShield, type Shield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { listen, type RunningApp } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

const attester = createTestAttester();
const token = { secret: attester.secret as string, header: 'x-attestation-token' };
const newShield = (): Shield => createShield({ token, payload: {} });
const ATTACK = JSON.stringify({ name: "x' UNION SELECT password FROM users--" });
const JSON_HEADERS = { 'content-type': 'application/json' };

const staticDir = mkdtempSync(path.join(os.tmpdir(), 'handover-'));
mkdirSync(path.join(staticDir, 'files'));
writeFileSync(path.join(staticDir, 'files', 'report.txt'), 'SECRET REPORT');

const running: RunningApp[] = [];
afterAll(async () => {
  for (const app of running) await app.close();
});
async function start(server: http.Server): Promise<number> {
  const app = await listen(server);
  running.push(app);
  return Number(new URL(app.url).port);
}

for (const [name, factory] of [
  ['express4', express4 as unknown as typeof express5],
  ['express5', express5],
] as const) {
  describe(`${name}: what runs between the global middleware and a route-level check`, () => {
    it('a sub-application mounted before the route gets no unchecked body', async () => {
      const shield = newShield();
      const app = factory();
      app.use(expressShield(shield));
      app.use(factory.json());
      app.use(expressShieldBody(shield));
      const legacy = factory();
      legacy.post('/users/:id', (req, res) => void res.json({ handler: 'legacy', body: req.body }));
      app.use('/api', legacy);
      app.post('/api/users/login', expressShield(shield, { token: false }), (_req, res) => void res.json({ handler: 'login' }));
      const port = await start(http.createServer(app));
      const res = await rawRequest(port, 'POST', '/api/users/login', JSON_HEADERS, ATTACK);
      expect(res.status).toBe(401); // no token: the global decision stands, the legacy handler never runs
      expect(res.body).not.toContain('legacy');
      const withToken = await rawRequest(port, 'POST', '/api/users/login', { ...JSON_HEADERS, 'x-attestation-token': await attester.mint() }, ATTACK);
      expect(withToken.status).toBe(403);
      expect(withToken.body).toContain('payload_attack');
    });

    it('an answering middleware (static files) before a relaxing route serves nothing without a token', async () => {
      const shield = newShield();
      const app = factory();
      app.use(expressShield(shield));
      app.use(factory.static(staticDir));
      app.get('/files/:name', expressShield(shield, { token: { binding: false } }), (_req, res) => void res.send('route'));
      const port = await start(http.createServer(app));
      const res = await rawRequest(port, 'GET', '/files/report.txt', {});
      expect(res.status).toBe(401);
      expect(res.body).not.toContain('SECRET REPORT');
    });

    it('an app.param callback never runs on a refused request', async () => {
      const shield = newShield();
      const app = factory();
      const seen: string[] = [];
      app.use(expressShield(shield));
      app.param('id', (_req, _res, next, id) => {
        seen.push(String(id));
        next();
      });
      app.get('/users/:id', expressShield(shield, { token: { binding: false } }), (_req, res) => void res.send('route'));
      const port = await start(http.createServer(app));
      const res = await rawRequest(port, 'GET', "/users/1'%20UNION%20SELECT%20password%20FROM%20users--", {});
      expect(res.status).toBe(401);
      expect(seen).toEqual([]);
    });

    it("a param callback of a router's mount path never runs on a refused request", async () => {
      const shield = newShield();
      const app = factory();
      const seen: string[] = [];
      app.use(expressShield(shield));
      app.param('id', (_req, _res, next, id) => {
        seen.push(String(id));
        next();
      });
      const users = factory.Router();
      users.get('/profile', expressShield(shield, { token: { binding: false } }), (_req, res) => void res.send('route'));
      app.use('/users/:id', users);
      const port = await start(http.createServer(app));
      const res = await rawRequest(port, 'GET', "/users/1'%20UNION%20SELECT%20password%20FROM%20users--/profile", {});
      expect(res.status).toBe(401);
      expect(seen).toEqual([]);
    });

    it('with only the shield and a body parser in between, the route-level relaxation applies', async () => {
      const shield = newShield();
      const app = factory();
      app.use(expressShield(shield));
      app.use(factory.json());
      app.use(expressShieldBody(shield));
      app.post('/public/signup', expressShield(shield, { token: false }), (req, res) => void res.json({ got: req.body }));
      const port = await start(http.createServer(app));
      const ok = await rawRequest(port, 'POST', '/public/signup', JSON_HEADERS, JSON.stringify({ name: 'alice' }));
      expect([ok.status, ok.body]).toEqual([200, JSON.stringify({ got: { name: 'alice' } })]);
      // The route-level check still inspects the body under its own options.
      expect((await rawRequest(port, 'POST', '/public/signup', JSON_HEADERS, ATTACK)).status).toBe(403);
    });
  });
}

for (const [name, Koa] of [
  ['koa2', Koa2 as unknown as typeof Koa3],
  ['koa3', Koa3],
] as const) {
  describe(`${name}: what runs between the global middleware and a route-level check`, () => {
    it('an answering middleware before a relaxing route serves nothing without a token', async () => {
      const shield = newShield();
      const app = new Koa();
      const router = new Router();
      app.use(koaShield(shield) as unknown as Koa3.Middleware);
      app.use(async (ctx, next) => {
        if (ctx.path === '/files/report.txt') ctx.body = 'SECRET REPORT';
        else await next();
      });
      router.get('/files/:name', koaShield(shield, { token: { binding: false } }) as unknown as RouterMiddleware, (ctx) => void (ctx.body = 'route'));
      app.use(router.routes());
      const port = await start(http.createServer(app.callback()));
      const res = await rawRequest(port, 'GET', '/files/report.txt', {});
      expect(res.status).toBe(401);
      expect(res.body).not.toContain('SECRET REPORT');
    });

    it("an earlier router's not-found handler is in between too", async () => {
      const shield = newShield();
      const app = new Koa();
      const legacy = new Router();
      legacy.get('/legacy/status', (ctx) => void (ctx.body = 'status'));
      (legacy as unknown as { on(event: string, handler: (ctx: Koa3.Context) => void): void }).on('not-found', (ctx) => {
        ctx.body = 'LEGACY CONTENT';
      });
      const api = new Router();
      api.get('/files/:name', koaShield(shield, { token: { binding: false } }) as unknown as RouterMiddleware, (ctx) => void (ctx.body = 'route'));
      app.use(koaShield(shield) as unknown as Koa3.Middleware);
      app.use(legacy.routes());
      app.use(api.routes());
      const port = await start(http.createServer(app.callback()));
      const res = await rawRequest(port, 'GET', '/files/report.txt', {});
      expect(res.status).toBe(401);
      expect(res.body).not.toContain('LEGACY CONTENT');
    });

    it('a global check mounted with router.use() still hands over to a route-level relaxation', async () => {
      const shield = newShield();
      const app = new Koa();
      const api = new Router({ prefix: '/api' });
      api.use(koaShield(shield) as unknown as RouterMiddleware);
      api.get('/signup', koaShield(shield, { token: false }) as unknown as RouterMiddleware, (ctx) => void (ctx.body = 'signed up'));
      api.get('/me', (ctx) => void (ctx.body = 'me'));
      app.use(api.routes());
      const port = await start(http.createServer(app.callback()));
      expect((await rawRequest(port, 'GET', '/api/signup', {})).status).toBe(200);
      expect((await rawRequest(port, 'GET', '/api/me', {})).status).toBe(401);
    });

    it('router.use() middleware that could answer counts as in between too', async () => {
      const shield = newShield();
      const app = new Koa();
      const router = new Router();
      const ran: string[] = [];
      app.use(koaShield(shield) as unknown as Koa3.Middleware);
      router.use(async (_ctx, next) => {
        ran.push('router middleware');
        await next();
      });
      router.get('/files/:name', koaShield(shield, { token: { binding: false } }) as unknown as RouterMiddleware, (ctx) => void (ctx.body = 'route'));
      app.use(router.routes());
      const port = await start(http.createServer(app.callback()));
      expect((await rawRequest(port, 'GET', '/files/report.txt', {})).status).toBe(401);
      expect(ran).toEqual([]);
    });

    it('with only the shield and a body parser in between, the route-level relaxation applies', async () => {
      const shield = newShield();
      const app = new Koa();
      const router = new Router();
      app.use(koaShield(shield) as unknown as Koa3.Middleware);
      app.use(bodyParser() as unknown as Koa3.Middleware);
      app.use(koaShieldBody(shield) as unknown as Koa3.Middleware);
      router.post('/public/signup', koaShield(shield, { token: false }) as unknown as RouterMiddleware, (ctx) => {
        ctx.body = { got: (ctx.request as { body?: unknown }).body };
      });
      app.use(router.routes());
      const port = await start(http.createServer(app.callback()));
      const ok = await rawRequest(port, 'POST', '/public/signup', JSON_HEADERS, JSON.stringify({ name: 'alice' }));
      expect([ok.status, ok.body]).toEqual([200, JSON.stringify({ got: { name: 'alice' } })]);
      expect((await rawRequest(port, 'POST', '/public/signup', JSON_HEADERS, ATTACK)).status).toBe(403);
    });
  });
}
