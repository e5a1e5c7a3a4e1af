/**
 * Routes registered in an order that makes an earlier route run for a path a later table entry names. Express and
 * Koa try routes in registration order: with `/products/:id` registered before `/products/featured`, the `:id`
 * handler runs for `/products/featured`, and the table's exemption for the featured route must not reach it (nor a
 * relaxed entry reach a route whose own entry is strict). The router's answer is a lookahead and only ever tightens:
 * a plain middleware that answers first, or a route that passes the request on, never gets an exempt route's
 * entry. Fastify knows the route it runs. Raw request lines over real sockets, every adapter.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Router from '@koa/router';
import { expressShield } from '../../src/adapters/express.js';
import { koaShield } from '../../src/adapters/koa.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { createShield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, listen, recordingRoutes, type RunningApp } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

const attester = createTestAttester({ header: 'approov-token' });
const USER = 'Bearer alice';

/** 0 exempt, 1 token without binding, 2 bound token (the global options). */
type Level = 0 | 1 | 2;

// Parameter routes first, on purpose: the static routes after them never run on Express and Koa.
const HANDLERS: readonly { name: string; path: string; level: Level }[] = [
  { name: 'product', path: '/products/:id', level: 2 },
  { name: 'featured', path: '/products/featured', level: 0 },
  { name: 'section', path: '/:section/info', level: 2 },
  { name: 'public', path: '/public/info', level: 0 },
  { name: 'field', path: '/account/:field', level: 2 },
  { name: 'avatar', path: '/account/avatar', level: 1 },
];

// The shadowing routes are in the table too: an entry another pattern also matches makes the shield ask the router.
const ROUTES = {
  'GET /products/featured': false,
  'GET /products/:id': {},
  '/public/*': false,
  'GET /:section/info': {},
  'GET /account/avatar': { token: { binding: false } },
  'GET /account/:field': {},
} as const;

const ALLOWED_LEVEL = { none: 0, mismatched: 1, bound: 2 } as const;

async function credentials(kind: keyof typeof ALLOWED_LEVEL): Promise<Record<string, string>> {
  if (kind === 'none') return {};
  const token = await attester.mint({ bindTo: USER });
  return { authorization: kind === 'bound' ? USER : 'Bearer mallory', 'approov-token': token };
}

for (const adapter of ADAPTERS) {
  describe(`routes registered parameter-first (${adapter.name})`, () => {
    let app: RunningApp;
    let port: number;
    const ran: string[] = [];
    beforeAll(async () => {
      const shield = createShield({ token: approov({ secret: attester.secret as string }), routes: { ...ROUTES } });
      app = await adapter.start(shield, recordingRoutes(HANDLERS, ran));
      port = (app.server.address() as AddressInfo).port;
    });
    afterAll(() => app.close());

    it('a table entry for a path is applied only when its route is the one that runs', async () => {
      const violations: string[] = [];
      for (const kind of ['none', 'mismatched', 'bound'] as const) {
        const headers = await credentials(kind);
        for (const target of ['/products/featured', '/public/info', '/account/avatar', '/account/email', '/products/42']) {
          for (const method of ['GET', 'HEAD'] as const) {
            ran.length = 0;
            const res = await rawRequest(port, method, target, headers);
            expect(res.status, `${method} ${target}`).not.toBe(500);
            for (const name of ran) {
              const level = HANDLERS.find((h) => h.name === name)!.level;
              if (level > ALLOWED_LEVEL[kind]) violations.push(`${kind}: ${method} ${target} ran ${name} (${res.status})`);
            }
          }
        }
      }
      expect(violations).toEqual([]);
    });

    it('serves each route the framework runs with the credentials its own entry asks for', async () => {
      // Express and Koa run the parameter route for the static spellings; Fastify runs the static route.
      const staticFirst = adapter.name.startsWith('fastify');
      const cases: readonly (readonly [string, keyof typeof ALLOWED_LEVEL, string])[] = [
        ['/products/featured', staticFirst ? 'none' : 'bound', staticFirst ? 'featured' : 'product'],
        ['/public/info', staticFirst ? 'none' : 'bound', staticFirst ? 'public' : 'section'],
      ];
      for (const [target, kind, handler] of cases) {
        ran.length = 0;
        const res = await rawRequest(port, 'GET', target, await credentials(kind));
        expect([target, res.status, ran]).toEqual([target, 200, [handler]]);
      }
      // A relaxed entry whose route never runs (Express, Koa) against the strict entry of the route that does: two
      // different option sets, no guess.
      ran.length = 0;
      const avatar = await rawRequest(port, 'GET', '/account/avatar', await credentials(staticFirst ? 'mismatched' : 'bound'));
      if (staticFirst) expect([avatar.status, ran]).toEqual([200, ['avatar']]);
      else expect([avatar.status, JSON.parse(avatar.body).code, ran]).toEqual([400, 'request_target_ambiguous', []]);
    });
  });
}

for (const adapter of ADAPTERS) {
  it(`an exemption does not reach an earlier route the table does not name (${adapter.name})`, async () => {
    const shield = createShield({ token: approov({ secret: attester.secret as string }), routes: { 'GET /products/featured': false } });
    const ran: string[] = [];
    const app = await adapter.start(shield, recordingRoutes(HANDLERS.slice(0, 2), ran));
    try {
      const port = (app.server.address() as AddressInfo).port;
      const res = await rawRequest(port, 'GET', '/products/featured');
      // Express and Koa run `/products/:id` (global options: a token); Fastify runs the exempt static route.
      if (adapter.name.startsWith('fastify')) expect([res.status, ran]).toEqual([200, ['featured']]);
      else expect([res.status, ran]).toEqual([401, []]);
    } finally {
      await app.close();
    }
  });
}

describe('the router\'s lookahead only ever tightens (a plain middleware answers, a route passes on)', () => {
  const noToken = async (port: number, target: string) => (await rawRequest(port, 'GET', target)).status;
  const shield = () =>
    createShield({
      token: approov({ secret: attester.secret as string }),
      routes: { 'GET /*': false, '* /graphql': {}, 'GET /files/:name': false, 'GET /files/secret': {} },
    });

  it.each([
    ['express4', express4 as unknown as typeof express5],
    ['express5', express5],
  ])('%s', async (_name, express) => {
    const app = express();
    app.use(expressShield(shield()));
    app.use('/graphql', (_req, res) => void res.json({ ran: 'graphql' }));
    app.get('/files/:name', (req, res, next) => (req.params.name === 'secret' ? next() : void res.json({ ran: 'file' })));
    app.get('/files/secret', (_req, res) => void res.json({ ran: 'secret' }));
    app.get(express === express5 ? '/*splat' : '*', (_req, res) => void res.json({ ran: 'spa' }));
    const running = await listen(http.createServer(app));
    try {
      const port = Number(new URL(running.url).port);
      expect([await noToken(port, '/graphql'), await noToken(port, '/files/secret'), await noToken(port, '/files/a'), await noToken(port, '/home')]).toEqual([401, 401, 200, 200]);
    } finally {
      await running.close();
    }
  });

  it('koa3', async () => {
    const app = new Koa3();
    app.use(koaShield(shield()) as unknown as Koa3.Middleware);
    app.use(async (ctx, next) => {
      if (ctx.path === '/graphql') ctx.body = { ran: 'graphql' };
      else await next();
    });
    const router = new Router();
    router.get('/files/:name', async (ctx, next) => {
      if (ctx.params.name === 'secret') await next();
      else ctx.body = { ran: 'file' };
    });
    router.get('/files/secret', (ctx) => {
      ctx.body = { ran: 'secret' };
    });
    router.get('/*path', (ctx) => {
      ctx.body = { ran: 'spa' };
    });
    app.use(router.routes() as unknown as Koa3.Middleware);
    const running = await listen(http.createServer(app.callback()));
    try {
      const port = Number(new URL(running.url).port);
      expect([await noToken(port, '/graphql'), await noToken(port, '/files/secret'), await noToken(port, '/files/a'), await noToken(port, '/home')]).toEqual([401, 401, 200, 200]);
    } finally {
      await running.close();
    }
  });
});

describe('an exempt route whose pattern has optional parts the table cannot read keeps its exemption', () => {
  const shield = () => createShield({ token: approov({ secret: attester.secret as string }), routes: { 'GET /docs': false } });
  it.each([
    ['express4', '/docs/:page?', express4 as unknown as typeof express5],
    ['express5', '/docs{/:page}', express5],
  ])('%s %s', async (_name, pattern, express) => {
    const app = express();
    app.use(expressShield(shield()));
    app.get(pattern, (_req, res) => void res.json({ ran: 'docs' }));
    app.get('/private', (_req, res) => void res.json({ ran: 'private' }));
    const running = await listen(http.createServer(app));
    try {
      const port = Number(new URL(running.url).port);
      expect([(await rawRequest(port, 'GET', '/docs')).status, (await rawRequest(port, 'GET', '/private')).status]).toEqual([200, 401]);
    } finally {
      await running.close();
    }
  });
  it('koa3 /docs{/:page}', async () => {
    const app = new Koa3();
    app.use(koaShield(shield()) as unknown as Koa3.Middleware);
    const router = new Router();
    router.get('/docs{/:page}', (ctx) => {
      ctx.body = { ran: 'docs' };
    });
    app.use(router.routes() as unknown as Koa3.Middleware);
    const running = await listen(http.createServer(app.callback()));
    try {
      expect((await rawRequest(Number(new URL(running.url).port), 'GET', '/docs')).status).toBe(200);
    } finally {
      await running.close();
    }
  });
});

describe('routes table keys', () => {
  it('refuses a HEAD key: every framework answers HEAD with the GET handler, which a GET key covers', () => {
    expect(() => createShield({ routes: { 'HEAD /api/export': false } })).toThrow(/HEAD keys are not supported/);
    expect(() => createShield({ routes: { 'GET /api/export': false } })).not.toThrow();
  });
});
