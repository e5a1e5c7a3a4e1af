/**
 * Route parity by differential tests over raw request lines: Express and Koa route on the `parseurl` pathname of the
 * request target, which hands any target with a `#` (or in absolute form) to Node's `url.parse`: that turns `\` into
 * `/` and reads `//user@host/path` as a host and a path. A shield that splits the target itself checked another path
 * than the router routed: the routes table exempted `//u@h/files/1#` (`'GET /*': false`) while the router ran the
 * protected `/files/:id`, and the route-level lookahead found the exempt `/:name` for `/files\1#` and left the global
 * denial to it while the router ran `/files/:id` unchecked.
 *
 * A generator composes request-target spellings (fragments, absolute form, backslashes, `//`, `//user@host`, dot and
 * encoded dot segments, `%2F`, `%252e`, `;params`, `?` in the path, case, trailing `/`, characters `url.parse`
 * escapes) for every path, sends each with several methods to the same app with and without the shield, and asserts:
 * the path the shield checked is the path the framework routed; a handler that ran with the shield is the handler
 * the router picks without it; and a request without a token reaches only handlers whose own options exempt it.
 */
import http from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import express417 from 'express417';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import Koa213 from 'koa213';
import Router, { type RouterMiddleware } from '@koa/router';
import { afterAll, describe, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { koaShield } from '../../src/adapters/koa.js';
import { createShield, type Shield } from '../../src/shield.js';
import type { RouteOptions } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { listen, type RunningApp } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

const attester = createTestAttester();
const token = { secret: attester.secret as string, header: 'x-attestation-token' };

type Spell = (path: string) => string;

/** One transformation each: what some router (or `url.parse`) may read differently from a plain split. */
const TRANSFORMS: Record<string, Spell> = {
  plain: (p) => p,
  fragment: (p) => `${p}#f`,
  emptyQueryFragment: (p) => `${p}?#`,
  queryInPath: (p) => p.replace(/\/([^/]*)$/, '?/$1'),
  absolute: (p) => `http://api.example${p}`,
  backslashes: (p) => p.replace(/(?!^)\//g, '\\'),
  firstBackslash: (p) => `/${p.slice(1).replace('/', '\\')}`,
  trailingBackslash: (p) => `${p}\\`,
  userHost: (p) => `//u@h${p}`,
  doubleSlash: (p) => `/${p}`,
  dot: (p) => `/.${p}`,
  dotDot: (p) => `/x/..${p}`,
  encodedDot: (p) => `/%2e${p}`,
  encodedDotDot: (p) => `/x/%2e%2e${p}`,
  doubleEncodedDot: (p) => `/x/%252e%252e${p}`,
  encodedSlash: (p) => `/${p.slice(1).replace(/\//g, '%2F')}`,
  trailingSlash: (p) => `${p}/`,
  matrix: (p) => `${p};x=1`,
  upper: (p) => p.toUpperCase(),
  escaped: (p) => `${p}'{}`,
};

/** Composition order: a transformation that adds a prefix or suffix last, so both parts of each pair show. */
const LAST = ['fragment', 'emptyQueryFragment', 'absolute', 'userHost'];

/** Every transformation, and every pair of them (the second one of those that add a fragment, host or scheme). */
export function spellings(path: string): string[] {
  const out = new Set<string>();
  for (const first of Object.values(TRANSFORMS)) {
    out.add(first(path));
    for (const name of LAST) out.add((TRANSFORMS[name] as Spell)(first(path)));
  }
  return [...out];
}

const running: RunningApp[] = [];
afterAll(async () => {
  for (const app of running) await app.close();
});

async function start(server: http.Server): Promise<number> {
  const app = await listen(server);
  running.push(app);
  return Number(new URL(app.url).port);
}

/** A handler of the test apps: `exempt` when its own options let a request without a token through. */
interface Handler {
  name: string;
  method: 'get' | 'post' | 'all';
  /** Relative to the router it is in (`in`): the app's own (default), or the scenario's outer or inner router. */
  path: string;
  in?: 'outer' | 'inner';
  exempt: boolean;
  /** Route-level options (its first handler), or none. */
  route?: RouteOptions | false;
}

/** A scenario: the shield's config, the app's handlers and the (full) paths to spell. */
interface Scenario {
  name: string;
  routes?: Record<string, RouteOptions | false>;
  handlers: readonly Handler[];
  paths: readonly string[];
  /** Where the outer router is mounted in the app, and the inner one in the outer (Express) or under it (Koa). */
  mounts?: { outer: string; inner: string };
}

/** A handler's full path, with the mount paths of the routers it is in. */
function fullPath(h: Handler, scenario: Scenario): string {
  if (h.in === undefined || scenario.mounts === undefined) return h.path;
  return `${scenario.mounts.outer}${h.in === 'inner' ? scenario.mounts.inner : ''}${h.path}`;
}

/** An app under test: started with or without the shield, it records the handler that ran in `ran`. */
type Build = (shield: Shield | undefined, scenario: Scenario, ran: string[], seen: string[]) => http.Server;

type ExpressFactory = typeof express5;
const expressBuild =
  (factory: ExpressFactory): Build =>
  (shield, scenario, ran, seen) => {
    const app = factory();
    // Before the shield: the path the app's router matches (Express's `req.path` is the parseurl pathname).
    app.use((req, _res, next) => void (seen.push(req.path), next()));
    if (shield) app.use(expressShield(shield) as unknown as express5.RequestHandler);
    const outer = factory.Router({ caseSensitive: true, strict: true, mergeParams: true });
    const inner = factory.Router({ mergeParams: true });
    if (scenario.mounts) outer.use(scenario.mounts.inner, inner);
    for (const h of scenario.handlers) {
      const stack: express5.RequestHandler[] = [];
      if (shield && h.route !== undefined) stack.push(expressShield(shield, h.route) as unknown as express5.RequestHandler);
      stack.push((_req, res) => void (ran.push(h.name), res.json({ handler: h.name })));
      (h.in === 'inner' ? inner : h.in === 'outer' ? outer : app)[h.method](h.path, ...stack);
    }
    if (scenario.mounts) app.use(scenario.mounts.outer, outer);
    return http.createServer(app);
  };

type KoaFactory = typeof Koa3;
const koaBuild =
  (Koa: KoaFactory): Build =>
  (shield, scenario, ran, seen) => {
    const app = new Koa();
    const router = new Router();
    const outer = new Router({ prefix: scenario.mounts?.outer, strict: true, sensitive: true });
    const inner = new Router();
    app.use((ctx, next) => (seen.push(ctx.path), next()));
    if (shield) app.use(koaShield(shield) as unknown as Koa3.Middleware);
    for (const h of scenario.handlers) {
      const stack: RouterMiddleware[] = [];
      if (shield && h.route !== undefined) stack.push(koaShield(shield, h.route) as unknown as RouterMiddleware);
      stack.push((ctx) => void (ran.push(h.name), (ctx.body = { handler: h.name })));
      const methods = h.method === 'all' ? ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] : [h.method.toUpperCase()];
      (h.in === 'inner' ? inner : h.in === 'outer' ? outer : router).register(h.path, methods, stack);
    }
    if (scenario.mounts) {
      outer.use(scenario.mounts.inner, inner.routes());
      app.use(outer.routes());
    }
    app.use(router.routes());
    return http.createServer(app.callback());
  };

const FRAMEWORKS: readonly [string, Build][] = [
  ['express4', expressBuild(express4 as unknown as ExpressFactory)],
  ['express4.17', expressBuild(express417 as unknown as ExpressFactory)],
  ['express5', expressBuild(express5)],
  ['koa2', koaBuild(Koa2 as unknown as KoaFactory)],
  ['koa2.13', koaBuild(Koa213 as unknown as KoaFactory)],
  ['koa3', koaBuild(Koa3)],
];

const METHODS = ['GET', 'HEAD', 'POST', 'OPTIONS'] as const;

const SCENARIOS: readonly Scenario[] = [
  {
    // A route-level exemption on a parameter route after a protected route: the lookahead must match what routes.
    name: 'route-level exemption',
    handlers: [
      { name: 'files', method: 'get', path: '/files/:id', exempt: false },
      { name: 'admin', method: 'all', path: '/admin/:op', exempt: false },
      { name: 'page', method: 'get', path: '/:name', exempt: true, route: false },
      { name: 'login', method: 'post', path: '/login', exempt: true, route: { token: false } },
    ],
    paths: ['/files/1', '/admin/drop', '/about', '/login'],
  },
  {
    // A table that exempts every GET but the protected patterns: the path looked up must be the one routed.
    name: 'routes-table exemption',
    routes: { 'GET /*': false, 'GET /files/:id': {}, 'GET /account/*': {} },
    handlers: [
      { name: 'files', method: 'get', path: '/files/:id', exempt: false },
      { name: 'account', method: 'get', path: '/account/me', exempt: false },
      { name: 'about', method: 'get', path: '/about', exempt: true },
    ],
    paths: ['/files/1', '/account/me', '/about'],
  },
  {
    // Nested routers (Express: case-sensitive, strict, mergeParams; Koa: a prefix and a nested router) with
    // route-level exemptions beside protected parameter routes, and `all()`.
    name: 'nested routers',
    mounts: { outer: '/api', inner: '/:user/items' },
    handlers: [
      { name: 'item', method: 'get', path: '/:item', in: 'inner', exempt: false },
      { name: 'itemView', method: 'get', path: '/:item/:view', in: 'inner', exempt: true, route: false },
      { name: 'user', method: 'get', path: '/:user', in: 'outer', exempt: false },
      { name: 'public', method: 'all', path: '/:user/public', in: 'outer', exempt: true, route: false },
      { name: 'login', method: 'post', path: '/login', in: 'outer', exempt: true, route: { token: false } },
    ],
    paths: ['/api/u1/items/i1', '/api/u1/items/i1/full', '/api/u1', '/api/u1/public', '/api/login'],
  },
  {
    // The same routers under a table: a router mounted at a path reads the rest of the target as received.
    name: 'nested routers, routes table',
    mounts: { outer: '/api', inner: '/:user/items' },
    routes: { 'GET /*': false, 'GET /api/:user/items/:item': {}, 'GET /api/:user': {} },
    handlers: [
      { name: 'item', method: 'get', path: '/:item', in: 'inner', exempt: false },
      { name: 'itemView', method: 'get', path: '/:item/:view', in: 'inner', exempt: true },
      { name: 'user', method: 'get', path: '/:user', in: 'outer', exempt: false },
    ],
    paths: ['/api/u1/items/i1', '/api/u1/items/i1/full', '/api/u1'],
  },
];

// Each app is its own server with its own records: the frameworks and scenarios run side by side.
describe.concurrent('route spellings', () => {
for (const [framework, build] of FRAMEWORKS) {
  for (const scenario of SCENARIOS) {
    describe(`${framework}: ${scenario.name}`, () => {
      it('checks the path the router routes, and lets a request without a token reach only exempt handlers', async ({ expect }) => {
        const checked: string[] = [];
        const shield = createShield({ token, ...(scenario.routes ? { routes: scenario.routes } : {}), onDecision: (_d, r) => void checked.push(r.path) });
        const ran: string[] = [];
        const seen: string[] = [];
        const bareRan: string[] = [];
        const bareSeen: string[] = [];
        const port = await start(build(shield, scenario, ran, seen));
        const barePort = await start(build(undefined, scenario, bareRan, bareSeen));
        const pathMismatches: string[] = [];
        const rerouted: string[] = [];
        const bypasses: string[] = [];
        let sent = 0;
        for (const path of scenario.paths) {
          for (const target of spellings(path)) {
            for (const method of METHODS) {
              ran.length = seen.length = checked.length = bareRan.length = bareSeen.length = 0;
              const res = await rawRequest(port, method, target);
              await rawRequest(barePort, method, target);
              sent++;
              expect(res.status, `${method} ${target}`).not.toBe(500);
              // Wait for the decision report (a global check that a route-level one may refine reports on 'close').
              for (let i = 0; i < 50 && seen.length > 0 && checked.length === 0; i++) await new Promise((r) => setTimeout(r, 2));
              if (seen.length > 0 && checked[0] !== seen[0]) pathMismatches.push(`${method} ${target}: checked ${checked[0]}, routed ${seen[0]}`);
              for (const name of ran) {
                if (!bareRan.includes(name)) rerouted.push(`${method} ${target}: ${name} ran, ${bareRan.join() || 'nothing'} without the shield`);
                if (!scenario.handlers.find((h) => h.name === name)?.exempt) bypasses.push(`${method} ${target} ran ${name} (${res.status})`);
              }
            }
          }
        }
        expect(sent).toBeGreaterThan(scenario.paths.length * 150);
        expect({ pathMismatches, rerouted, bypasses }).toEqual({ pathMismatches: [], rerouted: [], bypasses: [] });
      });

      it('still serves every handler its canonical path under its own options', async ({ expect }) => {
        const shield = createShield({ token, ...(scenario.routes ? { routes: scenario.routes } : {}) });
        const ran: string[] = [];
        const port = await start(build(shield, scenario, ran, []));
        const headers = { 'x-attestation-token': await attester.mint() };
        for (const h of scenario.handlers) {
          const path = fullPath(h, scenario).replace(/:\w+/g, 'x');
          const method = h.method === 'post' ? 'POST' : 'GET';
          for (const withToken of [false, true]) {
            ran.length = 0;
            const res = await rawRequest(port, method, path, withToken ? headers : {});
            const expected = withToken || h.exempt ? 200 : 401;
            expect(res.status, `${method} ${path} token=${withToken}`).toBe(expected);
            expect(ran).toEqual(expected === 200 ? [h.name] : []);
          }
        }
      });
    });
  }
}
});
