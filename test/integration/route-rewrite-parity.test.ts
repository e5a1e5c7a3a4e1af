/**
 * Route parity under URL rewrites: an app that rewrites the request target before the shield
 * (`req.url = req.url.replace(/^\/v2\//, '/')` on Express, `ctx.url = …` / `ctx.path = …` on Koa as koa-rewrite
 * does, Fastify's `rewriteUrl` server option) routes the rewritten target, so the shield must resolve its route
 * options for that target too. The Express and Koa adapters read the target as received (`req.originalUrl`,
 * `ctx.originalUrl`): `GET /v2/admin/users` was checked under the `/v2/*` exemption (or the `/*` one) while the
 * router ran the `/admin/users` handler, whose entry asks for a token: no token, admin handler reached. Raw request
 * lines over real sockets, every Express and Koa major the integration suite runs; the differential check sends the
 * same requests to the same app without the shield and asserts each reaches the same handler, and that a handler
 * with a strict entry is only reached with a token.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import express417 from 'express417';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import Koa213 from 'koa213';
import compose from 'koa-compose';
import Router, { type RouterMiddleware } from '@koa/router';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { afterAll, describe, expect, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { koaShield } from '../../src/adapters/koa.js';
import { createShield, type Shield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { genuinePayload, PACKAGE, playKeys, playToken } from '../attestation/play-integrity/token-factory.js';
import { servePort } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

const attester = createTestAttester();
const token = { secret: attester.secret as string, header: 'x-attestation-token', binding: false as const };

/** The legacy `/v2/` area is exempt; the admin routes fall under the global options (a token). */
const V2_EXEMPT = { '/v2/*': false } as const;
/** Everything exempt but the admin routes: nothing names `/v2/admin/users`, the loose entry covers it. */
const ADMIN_ONLY = { '/*': false, '/admin/*': {} } as const;

const running: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const app of running.splice(0)) await app.close();
});

type Shape = 'root' | 'router' | 'nested-rewrite';

interface Outcome {
  status: number;
  ran: string[];
}

async function send(port: number, ran: string[], target: string, withToken: boolean, method = 'GET'): Promise<Outcome> {
  ran.length = 0;
  const headers: Record<string, string> = withToken ? { 'x-attestation-token': await attester.mint() } : {};
  const res = await rawRequest(port, method, target, headers);
  return { status: res.status, ran: [...ran] };
}

/**
 * The differential verdict for one target: `plain` is the app without the shield. With a token the shield refuses
 * nothing but a target whose spellings land on different `routes` entries (`/v2/Admin/users`: `/*` as written,
 * `/admin/*` read loosely, 400 `request_target_ambiguous`), so the same handler runs with the same status. Without
 * one, the admin handler (strict entry) is never reached; exempt handlers are, as without the shield.
 */
function expectSameHandler(target: string, plain: Outcome, withToken: Outcome, without: Outcome): void {
  const refused = { status: 400, ran: [] };
  if (withToken.status === 400) expect(withToken, target).toEqual(refused);
  else expect(withToken, target).toEqual(plain);
  if (plain.ran.includes('admin')) expect([401, 400], target).toContain(without.status);
  else if (without.status !== 400) expect(without, target).toEqual(plain);
  expect(without.ran.filter((h) => h === 'admin'), target).toEqual([]);
}

/** Targets the apps route (some rewritten, some not), in odd spellings a raw socket keeps as written. */
const TARGETS = [
  '/v2/admin/users',
  '/admin/users',
  '/v2/admin/users?x=1',
  '/v2/admin/users#f',
  'http://api.example/v2/admin/users',
  '/v2/Admin/users',
  '/v2/admin/users/',
  '/v2/public/info',
  '/public/info',
  '/v2/v2/admin/users',
  '/v2/',
  '/nothing',
];

type ExpressFactory = typeof express5;
const EXPRESS: readonly [string, ExpressFactory][] = [
  ['express4', express4 as unknown as ExpressFactory],
  ['express4.17', express417 as unknown as ExpressFactory],
  ['express5', express5],
];

for (const [name, express] of EXPRESS) {
  describe(`a URL rewrite before the shield (${name})`, () => {
    /**
     * `root`: rewrite and shield in the app. `router`: rewrite in the app, shield and routes in a router at `/admin`
     * (the public route at the root, unchecked: it is exempt anyway). `nested-rewrite`: rewrite, shield and routes
     * in a router mounted at `/api`, rewriting `/api/legacy/…` to `/api/…`.
     */
    async function start(shape: Shape, shield: Shield | undefined, ran: string[]): Promise<number> {
      const app = express();
      const handler = (label: string): express5.RequestHandler => (_req, res) => void (ran.push(label), res.json({ handler: label }));
      const guard = (target: { use(h: express5.RequestHandler): unknown }): void => {
        if (shield) target.use(expressShield(shield) as unknown as express5.RequestHandler);
      };
      if (shape === 'nested-rewrite') {
        const api = express.Router();
        api.use((req, _res, next) => {
          req.url = req.url.replace(/^\/legacy\//, '/');
          next();
        });
        guard(api);
        api.get('/admin/users', handler('admin'));
        api.get('/public/info', handler('public'));
        app.use('/api', api);
      } else {
        app.use((req, _res, next) => {
          req.url = req.url.replace(/^\/v2\//, '/');
          next();
        });
        if (shape === 'root') {
          guard(app);
          app.get('/admin/users', handler('admin'));
        } else {
          const admin = express.Router();
          guard(admin);
          admin.get('/users', handler('admin'));
          app.use('/admin', admin);
        }
        app.get('/public/info', handler('public'));
      }
      app.get('/v2/public/info', handler('v2-public'));
      return servePort(running, app as unknown as http.RequestListener);
    }

    for (const [routes, label] of [
      [V2_EXEMPT, '/v2/* exempt'],
      [ADMIN_ONLY, '/* exempt, /admin/* strict'],
    ] as const) {
      it(`the rewritten route's options apply: /v2/admin/users needs the token of /admin/users (${label})`, async () => {
        const ran: string[] = [];
        const port = await start('root', createShield({ token, routes: { ...routes } }), ran);
        expect(await send(port, ran, '/v2/admin/users', false)).toEqual({ status: 401, ran: [] });
        expect(await send(port, ran, '/v2/admin/users?x=1#f', false)).toEqual({ status: 401, ran: [] });
        expect(await send(port, ran, '/v2/admin/users', true)).toEqual({ status: 200, ran: ['admin'] });
        expect(await send(port, ran, '/admin/users', false)).toEqual({ status: 401, ran: [] });
      });
    }

    it('a shield in a router mounted at /admin, the rewrite in the app before it', async () => {
      const ran: string[] = [];
      const port = await start('router', createShield({ token, routes: { ...ADMIN_ONLY } }), ran);
      expect(await send(port, ran, '/v2/admin/users', false)).toEqual({ status: 401, ran: [] });
      expect(await send(port, ran, '/v2/admin/users', true)).toEqual({ status: 200, ran: ['admin'] });
      // No rewrite: the mount alone cut the path (the received target is read, as before).
      expect(await send(port, ran, '/admin/users', false)).toEqual({ status: 401, ran: [] });
    });

    it('a rewrite inside a router mounted at /api, before the shield there', async () => {
      const ran: string[] = [];
      const routes = { '/*': false, '/api/admin/*': {} } as const;
      const port = await start('nested-rewrite', createShield({ token, routes: { ...routes } }), ran);
      expect(await send(port, ran, '/api/legacy/admin/users', false)).toEqual({ status: 401, ran: [] });
      expect(await send(port, ran, '/api/legacy/admin/users', true)).toEqual({ status: 200, ran: ['admin'] });
      expect(await send(port, ran, '/api/legacy/public/info', false)).toEqual({ status: 200, ran: ['public'] });
    });

    it('a rewrite after the global shield: a route-level shield on the route checks the rewritten path', async () => {
      // The global shield ran before the rewrite and checked `/v2/admin/users` (exempt): it cannot see a later rewrite.
      // The route-level middleware runs where the router dispatched the rewritten path: that path's entry applies.
      const ran: string[] = [];
      const shield = createShield({ token, routes: { ...V2_EXEMPT } });
      const app = express();
      app.use(expressShield(shield) as unknown as express5.RequestHandler);
      app.use((req, _res, next) => {
        req.url = req.url.replace(/^\/v2\//, '/');
        next();
      });
      app.get('/admin/users', expressShield(shield, {}) as unknown as express5.RequestHandler, (_req, res) => void (ran.push('admin'), res.json({})));
      const port = await servePort(running, app as unknown as http.RequestListener);
      expect(await send(port, ran, '/v2/admin/users', false)).toEqual({ status: 401, ran: [] });
      expect(await send(port, ran, '/v2/admin/users', true)).toEqual({ status: 200, ran: ['admin'] });
    });

    for (const shape of ['root', 'router'] as const) {
      it(`differential (${shape}): with and without the shield each request reaches the same handler`, async () => {
        const plainRan: string[] = [];
        const shieldedRan: string[] = [];
        const plain = await start(shape, undefined, plainRan);
        const shielded = await start(shape, createShield({ token, routes: { ...ADMIN_ONLY } }), shieldedRan);
        for (const target of TARGETS) {
          const expected = await send(plain, plainRan, target, false);
          expectSameHandler(target, expected, await send(shielded, shieldedRan, target, true), await send(shielded, shieldedRan, target, false));
        }
      });
    }
  });
}

type KoaFactory = typeof Koa3;
const KOA: readonly [string, KoaFactory][] = [
  ['koa2', Koa2 as unknown as KoaFactory],
  ['koa2.13', Koa213 as unknown as KoaFactory],
  ['koa3', Koa3],
];

/** koa-mount's own logic (the package is not a dependency): cuts `prefix` from `ctx.path`, records `ctx.mountPath`. */
function mount(prefix: string, sub: Koa3): Koa3.Middleware {
  const downstream = compose(sub.middleware);
  return async (ctx, upstream) => {
    const prev = ctx.path;
    if (!prev.startsWith(prefix)) return upstream();
    const newPath = prev.slice(prefix.length) || '/';
    if (newPath[0] !== '/') return upstream();
    (ctx as unknown as { mountPath: string }).mountPath = prefix;
    ctx.path = newPath;
    await downstream(ctx, async () => {
      ctx.path = prev;
      await upstream();
      ctx.path = newPath;
    });
    ctx.path = prev;
  };
}

for (const [name, Koa] of KOA) {
  describe(`a URL rewrite before the shield (${name})`, () => {
    type Rewrite = 'url' | 'path';
    async function start(rewrite: Rewrite, shield: Shield | undefined, ran: string[]): Promise<number> {
      const app = new Koa();
      app.use(async (ctx, next) => {
        // koa-rewrite assigns `ctx.url`; other rewrites assign `ctx.path` (the query is kept).
        if (rewrite === 'url') ctx.url = ctx.url.replace(/^\/v2\//, '/');
        else ctx.path = ctx.path.replace(/^\/v2\//, '/');
        await next();
      });
      if (shield) app.use(koaShield(shield) as unknown as Koa3.Middleware);
      const router = new Router();
      for (const [path, label] of [
        ['/admin/users', 'admin'],
        ['/public/info', 'public'],
        ['/v2/public/info', 'v2-public'],
      ]) {
        router.get(path!, (ctx) => {
          ran.push(label!);
          ctx.body = { handler: label };
        });
      }
      app.use(router.routes());
      return servePort(running, app.callback());
    }

    for (const rewrite of ['url', 'path'] as const) {
      for (const [routes, label] of [
        [V2_EXEMPT, '/v2/* exempt'],
        [ADMIN_ONLY, '/* exempt, /admin/* strict'],
      ] as const) {
        it(`ctx.${rewrite} rewritten: the rewritten route's options apply (${label})`, async () => {
          const ran: string[] = [];
          const port = await start(rewrite, createShield({ token, routes: { ...routes } }), ran);
          expect(await send(port, ran, '/v2/admin/users', false)).toEqual({ status: 401, ran: [] });
          expect(await send(port, ran, '/v2/admin/users?x=1', false)).toEqual({ status: 401, ran: [] });
          expect(await send(port, ran, '/v2/admin/users', true)).toEqual({ status: 200, ran: ['admin'] });
          expect(await send(port, ran, '/admin/users', false)).toEqual({ status: 401, ran: [] });
        });
      }

      it(`differential (ctx.${rewrite}): with and without the shield each request reaches the same handler`, async () => {
        const plainRan: string[] = [];
        const shieldedRan: string[] = [];
        const plain = await start(rewrite, undefined, plainRan);
        const shielded = await start(rewrite, createShield({ token, routes: { ...ADMIN_ONLY } }), shieldedRan);
        for (const target of TARGETS) {
          const expected = await send(plain, plainRan, target, false);
          expectSameHandler(target, expected, await send(shielded, shieldedRan, target, true), await send(shielded, shieldedRan, target, false));
        }
      });
    }

    it('a rewrite after the global shield: a route-level shield on the route checks the rewritten path', async () => {
      const ran: string[] = [];
      const shield = createShield({ token, routes: { ...V2_EXEMPT } });
      const app = new Koa();
      app.use(koaShield(shield) as unknown as Koa3.Middleware);
      app.use(async (ctx, next) => {
        ctx.url = ctx.url.replace(/^\/v2\//, '/');
        await next();
      });
      const router = new Router();
      router.get('/admin/users', koaShield(shield, {}) as unknown as RouterMiddleware, (ctx) => {
        ran.push('admin');
        ctx.body = {};
      });
      app.use(router.routes());
      const port = await servePort(running, app.callback());
      expect(await send(port, ran, '/v2/admin/users', false)).toEqual({ status: 401, ran: [] });
      expect(await send(port, ran, '/v2/admin/users', true)).toEqual({ status: 200, ran: ['admin'] });
    });

    it('inside koa-mount the routes table keeps reading the full path (the mount is not a rewrite)', async () => {
      const ran: string[] = [];
      const sub = new Koa();
      // `/admin/*` is the path the mounted app sees, not a full path: it must not exempt `/api/admin/users`.
      sub.use(koaShield(createShield({ token, routes: { '/admin/*': false, '/api/public/*': false } })) as unknown as Koa3.Middleware);
      const router = new Router();
      for (const [path, label] of [
        ['/admin/users', 'admin'],
        ['/public/info', 'public'],
      ]) {
        router.get(path!, (ctx) => {
          ran.push(label!);
          ctx.body = { handler: label };
        });
      }
      sub.use(router.routes());
      const app = new Koa();
      app.use(mount('/api', sub as unknown as Koa3));
      const port = await servePort(running, app.callback());
      expect(await send(port, ran, '/api/admin/users', false)).toEqual({ status: 401, ran: [] });
      expect(await send(port, ran, '/api/admin/users?x=1', false)).toEqual({ status: 401, ran: [] });
      expect(await send(port, ran, '/api/admin/users', true)).toEqual({ status: 200, ran: ['admin'] });
      expect(await send(port, ran, '/api/public/info?x=1', false)).toEqual({ status: 200, ran: ['public'] });
      expect(await send(port, ran, '/api/public/info', false)).toEqual({ status: 200, ran: ['public'] });
    });
  });
}

type FastifyFactory = typeof fastify5;
const FASTIFY: readonly [string, FastifyFactory][] = [
  ['fastify4', fastify4 as unknown as FastifyFactory],
  ['fastify5', fastify5],
];

for (const [name, fastify] of FASTIFY) {
  describe(`Fastify's rewriteUrl (${name})`, () => {
    it('the shield gets the route Fastify matched for the rewritten URL', async () => {
      const ran: string[] = [];
      const app = fastify({ rewriteUrl: (req) => (req.url ?? '/').replace(/^\/v2\//, '/') });
      await app.register(fastifyShield as never, { shield: createShield({ token, routes: { ...V2_EXEMPT } }) });
      app.get('/admin/users', async () => (ran.push('admin'), { handler: 'admin' }));
      await app.listen({ port: 0, host: '127.0.0.1' });
      running.push({ close: async () => void (await app.close()) });
      const port = (app.server.address() as { port: number }).port;
      expect(await send(port, ran, '/v2/admin/users', false)).toEqual({ status: 401, ran: [] });
      expect(await send(port, ran, '/v2/admin/users', true)).toEqual({ status: 200, ran: ['admin'] });
    });
  });
}

describe('a device proof behind a URL rewrite covers the path the client sent', () => {
  const keys = playKeys();
  const deviceShield = (): Shield =>
    createShield({ device: { playIntegrity: { packageName: PACKAGE, decryptionKey: keys.decryptionKey, verificationKey: keys.verificationKey } } });
  /** A Play Integrity token bound to the v2 canonical request (no Authorization header, no body). */
  async function proof(path: string, query: string): Promise<Record<string, string>> {
    const nonce = createHash('sha256').update(`v2\nGET\n${path}\n${query}\nauthorization:\n`).digest('base64url');
    return { 'x-play-integrity': await playToken(keys, genuinePayload(Date.now(), { nonce })) };
  }
  const apps: [string, () => Promise<number>][] = [
    ...EXPRESS.map(([name, express]): [string, () => Promise<number>] => [
      name,
      () => {
        const app = express();
        app.use((req, _res, next) => {
          req.url = req.url.replace(/^\/v2\//, '/');
          next();
        });
        app.use(expressShield(deviceShield()) as unknown as express5.RequestHandler);
        app.get('/transfer', (_req, res) => void res.json({}));
        return servePort(running, app as unknown as http.RequestListener);
      },
    ]),
    ...KOA.map(([name, Koa]): [string, () => Promise<number>] => [
      name,
      () => {
        const app = new Koa();
        app.use(async (ctx, next) => {
          ctx.url = ctx.url.replace(/^\/v2\//, '/');
          await next();
        });
        app.use(koaShield(deviceShield()) as unknown as Koa3.Middleware);
        app.use((ctx) => {
          ctx.body = {};
        });
        return servePort(running, app.callback());
      },
    ]),
    ...FASTIFY.map(([name, fastify]): [string, () => Promise<number>] => [
      name,
      async () => {
        const app = fastify({ rewriteUrl: (req) => (req.url ?? '/').replace(/^\/v2\//, '/') });
        await app.register(fastifyShield as never, { shield: deviceShield() });
        app.get('/transfer', async () => ({}));
        await app.listen({ port: 0, host: '127.0.0.1' });
        running.push({ close: async () => void (await app.close()) });
        return (app.server.address() as { port: number }).port;
      },
    ]),
  ];
  for (const [name, start] of apps) {
    it(name, async () => {
      const port = await start();
      expect((await rawRequest(port, 'GET', '/v2/transfer?to=alice', await proof('/v2/transfer', 'to=alice'))).status).toBe(200);
      expect((await rawRequest(port, 'GET', '/transfer?to=alice', await proof('/transfer', 'to=alice'))).status).toBe(200);
      // Still bound: a proof for another path or query is refused.
      expect((await rawRequest(port, 'GET', '/v2/transfer?to=mallory', await proof('/v2/transfer', 'to=alice'))).status).toBe(403);
      expect((await rawRequest(port, 'GET', '/v2/transfer?to=alice', await proof('/v2/other', 'to=alice'))).status).toBe(403);
    });
  }
});
