/**
 * Route-level options inside routers and plugins, and the scope of a relaxation: a route-level middleware may relax a
 * global check for its own route (found in Express 4/5 routers, nested routers and `route()`, @koa/router prefixes and
 * nested routers, Fastify plugin prefixes), and a relaxed decision never reaches a later handler through `next()`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import Router, { type RouterMiddleware } from '@koa/router';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { afterEach, describe, expect, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { koaShield } from '../../src/adapters/koa.js';
import { approov } from '../../src/attestation/approov.js';
import { createShield, type Shield } from '../../src/core/shield.js';
import type { RouteOptions } from '../../src/core/route-options.js';
import { createTestAttester } from '../../src/testing/index.js';
import { rawRequest } from '../helpers/raw-http.js';

const attester = createTestAttester({ header: 'approov-token' });
const RELAX: RouteOptions = { token: { binding: false } };

/** A token bound to Alice, sent with Mallory's Authorization: only routes that relax binding accept it. */
async function mismatched(): Promise<Record<string, string>> {
  return { authorization: 'Bearer mallory', 'approov-token': await attester.mint({ bindTo: 'Bearer alice' }) };
}

function newShield(routes?: Record<string, RouteOptions | false>): Shield {
  return createShield({ token: approov({ secret: attester.secret as string }), ...(routes ? { routes } : {}) });
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function listen(server: http.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

type ExpressFactory = typeof express5;
const EXPRESS: [string, ExpressFactory][] = [
  ['express4', express4 as unknown as ExpressFactory],
  ['express5', express5],
];

for (const [name, express] of EXPRESS) {
  describe(`route-level scope (${name})`, () => {
    const ran: string[] = [];
    const handler = (label: string): express5.RequestHandler => (_req, res) => {
      ran.push(label);
      res.json({ ok: label });
    };
    const relax = (shield: Shield) => expressShield(shield, RELAX) as unknown as express5.RequestHandler;

    it('a relaxed route that passes the request on does not hand its decision to a later, stricter route', async () => {
      ran.length = 0;
      const shield = newShield();
      const app = express();
      app.use(expressShield(shield) as unknown as express5.RequestHandler);
      app.post('/login', relax(shield), (_req, _res, next) => next());
      app.post('/:any', handler('strict'));
      const port = await listen(http.createServer(app));
      const res = await rawRequest(port, 'POST', '/login', await mismatched());
      expect(res.status).toBe(401);
      expect(ran).toEqual([]);
    });

    it('finds relaxations in a router mounted at a path, in nested routers and in route()', async () => {
      ran.length = 0;
      const shield = newShield();
      const app = express();
      app.use(expressShield(shield) as unknown as express5.RequestHandler);
      const auth = express.Router();
      auth.post('/login', relax(shield), handler('login'));
      auth.route('/session').post(relax(shield), handler('session'));
      const inner = express.Router();
      inner.post('/login', relax(shield), handler('v1-login'));
      auth.use('/v1', inner);
      auth.post('/strict', handler('strict'));
      app.use('/auth', auth);
      const port = await listen(http.createServer(app));
      for (const [path, label] of [['/auth/login', 'login'], ['/auth/session', 'session'], ['/auth/v1/login', 'v1-login']]) {
        const res = await rawRequest(port, 'POST', path as string, await mismatched());
        expect(res.status, path).toBe(200);
        expect(ran.pop()).toBe(label);
      }
      expect((await rawRequest(port, 'POST', '/auth/strict', await mismatched())).status).toBe(401);
      expect(ran).toEqual([]);
    });

    it('a later route that begins with its own route-level middleware is checked under its own options', async () => {
      ran.length = 0;
      const shield = newShield();
      const app = express();
      app.use(expressShield(shield) as unknown as express5.RequestHandler);
      app.post('/login', relax(shield), (_req, _res, next) => next());
      app.post('/:any', expressShield(shield, {}) as unknown as express5.RequestHandler, handler('strict'));
      const port = await listen(http.createServer(app));
      const res = await rawRequest(port, 'POST', '/login', await mismatched());
      expect(res.status).toBe(401);
      expect(ran).toEqual([]);
    });
  });
}

const KOA: [string, typeof Koa3][] = [
  ['koa2', Koa2 as unknown as typeof Koa3],
  ['koa3', Koa3],
];

for (const [name, Koa] of KOA) {
  describe(`route-level scope (${name})`, () => {
    const ran: string[] = [];
    const handler = (label: string): RouterMiddleware => (ctx) => {
      ran.push(label);
      ctx.body = { ok: label };
    };
    const relax = (shield: Shield) => koaShield(shield, RELAX) as unknown as RouterMiddleware;

    it('a relaxed route that calls next() does not hand its decision to a later route', async () => {
      ran.length = 0;
      const shield = newShield();
      const app = new Koa();
      const router = new Router();
      router.post('/login', relax(shield), (_ctx, next) => next());
      router.post('/:any', handler('strict'));
      app.use(koaShield(shield) as unknown as Koa3.Middleware);
      app.use(router.routes());
      const port = await listen(http.createServer(app.callback()));
      const res = await rawRequest(port, 'POST', '/login', await mismatched());
      expect(res.status).toBe(401);
      expect(ran).toEqual([]);
    });

    it('finds relaxations under router prefixes and nested routers, with allowedMethods() after the router', async () => {
      ran.length = 0;
      const shield = newShield();
      const app = new Koa();
      const auth = new Router({ prefix: '/auth' });
      auth.post('/login', relax(shield), handler('login'));
      auth.post('/strict', handler('strict'));
      const inner = new Router();
      inner.post('/login', relax(shield), handler('v1-login'));
      auth.use('/v1', inner.routes());
      app.use(koaShield(shield) as unknown as Koa3.Middleware);
      app.use(auth.routes());
      app.use(auth.allowedMethods());
      const port = await listen(http.createServer(app.callback()));
      for (const [path, label] of [['/auth/login', 'login'], ['/auth/v1/login', 'v1-login']]) {
        const res = await rawRequest(port, 'POST', path as string, await mismatched());
        expect(res.status, path).toBe(200);
        expect(ran.pop()).toBe(label);
      }
      expect((await rawRequest(port, 'POST', '/auth/strict', await mismatched())).status).toBe(401);
      expect(ran).toEqual([]);
    });
  });
}

const FASTIFY: [string, typeof fastify5][] = [
  ['fastify4', fastify4 as unknown as typeof fastify5],
  ['fastify5', fastify5],
];

for (const [name, fastify] of FASTIFY) {
  describe(`route options under plugin prefixes (${name})`, () => {
    it('applies route config and table keys by the full, prefixed route', async () => {
      const ran: string[] = [];
      const shield = newShield({ 'POST /auth/session': RELAX });
      const app = fastify();
      await app.register(fastifyShield as never, { shield });
      await app.register(
        async (sub) => {
          sub.post('/login', { config: { shield: RELAX } }, async () => (ran.push('login'), { ok: 1 }));
          sub.post('/session', async () => (ran.push('session'), { ok: 1 }));
          sub.post('/strict', async () => (ran.push('strict'), { ok: 1 }));
        },
        { prefix: '/auth' },
      );
      await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        const port = (app.server.address() as AddressInfo).port;
        expect((await rawRequest(port, 'POST', '/auth/login', await mismatched())).status).toBe(200);
        expect((await rawRequest(port, 'POST', '/auth/session', await mismatched())).status).toBe(200);
        expect((await rawRequest(port, 'POST', '/auth/strict', await mismatched())).status).toBe(401);
        expect(ran).toEqual(['login', 'session']);
      } finally {
        await app.close();
      }
    });

    it('reads config.shield of routes declared before the plugin finished loading', async () => {
      const shield = newShield();
      const app = fastify();
      void app.register(fastifyShield as never, { shield }); // not awaited: routes below are declared first
      app.post('/login', { config: { shield: RELAX } }, async () => ({ ok: 1 }));
      await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        const port = (app.server.address() as AddressInfo).port;
        expect((await rawRequest(port, 'POST', '/login', await mismatched())).status).toBe(200);
      } finally {
        await app.close();
      }
    });
  });
}
