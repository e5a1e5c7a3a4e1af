/**
 * Which @koa/router route runs, as the Koa lookahead names it for the routes table and the payload shield
 * (`findRoutePattern`). With `exclusive: true` @koa/router runs only the LAST matched layer (with
 * `exclusive: 'specificity'`, the one with the fewest parameters), and a router with a `host` option is skipped when
 * `ctx.host` does not match it, while `router.match()` ignores both. Naming the first matched route instead gave an
 * exemption for `/products/featured` to the strict `/products/:id` handler that runs. Real servers, raw sockets, every
 * Koa major the harness runs (one @koa/router, as installed).
 */
import http from 'node:http';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import Koa213 from 'koa213';
import Router, { type RouterOptions } from '@koa/router';
import { afterEach, describe, expect, it } from 'vitest';
import { koaShield } from '../../src/adapters/koa.js';
import { findRoutePattern, hostLimitedRouters, routePatternFinder } from '../../src/adapters/koa-lookahead.js';
import { approov } from '../../src/attestation/approov.js';
import { createShield, type Shield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { servePort } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

const attester = createTestAttester({ header: 'approov-token' });
const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const app of running.splice(0)) await app.close();
});

/** The reviewer's table: the static route exempt, the parameter route strict (so the shield asks the router). */
const CONTESTED = { 'GET /products/featured': false, 'GET /products/:id': {} } as const;
/** Only the exemption: the parameter route falls under the global (strict) options. */
const UNCONTESTED = { 'GET /products/featured': false } as const;

/** A GET with the Host header given (rawRequest always sends `Host: api.example`, and Node keeps the first Host). */
function getWithHost(port: number, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { host, connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

const shieldWith = (routes: Readonly<Record<string, false | object>>): Shield =>
  createShield({ token: approov({ secret: attester.secret as string }), routes: { ...routes } });

/** A router with the routes in the order given; each handler records its name in `ran`. */
function router(options: RouterOptions, paths: readonly string[], ran: string[]): Router {
  const r = new Router(options);
  for (const path of paths) {
    r.get(path, (ctx) => {
      ran.push(path);
      ctx.body = { path };
    });
  }
  return r;
}

const KOAS = [
  ['koa3', Koa3],
  ['koa2', Koa2 as unknown as typeof Koa3],
  ['koa2.13', Koa213 as unknown as typeof Koa3],
] as const;

for (const [name, Koa] of KOAS) {
  async function serve(shield: Shield, routers: readonly Router[], proxy = false): Promise<number> {
    const app = new Koa();
    app.proxy = proxy;
    app.use(koaShield(shield) as unknown as Koa3.Middleware);
    for (const r of routers) app.use(r.routes() as unknown as Koa3.Middleware);
    return servePort(running, app.callback() as http.RequestListener);
  }

  describe(`${name}: an exclusive router runs one layer, and the table applies that route's entry`, () => {
    it('exclusive: true runs the last matched route (strict), not the exempt one registered first', async () => {
      for (const routes of [CONTESTED, UNCONTESTED]) {
        const ran: string[] = [];
        const port = await serve(shieldWith(routes), [router({ exclusive: true }, ['/products/featured', '/products/:id'], ran)]);
        const res = await rawRequest(port, 'GET', '/products/featured');
        expect([res.status, ran]).toEqual([401, []]);
      }
    });

    it('exclusive: true with the exempt route registered last: it runs, and stays exempt', async () => {
      const ran: string[] = [];
      const port = await serve(shieldWith(CONTESTED), [router({ exclusive: true }, ['/products/:id', '/products/featured'], ran)]);
      const res = await rawRequest(port, 'GET', '/products/featured');
      expect([res.status, ran]).toEqual([200, ['/products/featured']]);
    });

    it("exclusive: 'specificity' runs the route with the fewest parameters, whatever the order", async () => {
      for (const order of [['/products/:id', '/products/featured'], ['/products/featured', '/products/:id']]) {
        const ran: string[] = [];
        const port = await serve(shieldWith(CONTESTED), [router({ exclusive: 'specificity' } as RouterOptions, order, ran)]);
        const res = await rawRequest(port, 'GET', '/products/featured');
        expect([order, res.status, ran]).toEqual([order, 200, ['/products/featured']]);
        ran.length = 0;
        expect((await rawRequest(port, 'GET', '/products/42')).status).toBe(401);
        expect(ran).toEqual([]);
      }
    });

    it('control: a router without exclusive still names the first matched route', async () => {
      const ran: string[] = [];
      const exemptFirst = await serve(shieldWith(CONTESTED), [router({}, ['/products/featured', '/products/:id'], ran)]);
      expect([(await rawRequest(exemptFirst, 'GET', '/products/featured')).status, ran]).toEqual([200, ['/products/featured']]);
      ran.length = 0;
      const strictFirst = await serve(shieldWith(CONTESTED), [router({}, ['/products/:id', '/products/featured'], ran)]);
      expect([(await rawRequest(strictFirst, 'GET', '/products/featured')).status, ran]).toEqual([401, []]);
    });
  });

  describe(`${name}: a router limited to a host lends no exemption to requests for another host`, () => {
    const hostRouters = (host: RouterOptions['host'], ran: string[]) => [router({ host }, ['/products/featured'], ran), router({}, ['/products/:id'], ran)];

    it('another host: the next router\'s strict route runs, under its own entry', async () => {
      for (const routes of [CONTESTED, UNCONTESTED]) {
        const ran: string[] = [];
        const port = await serve(shieldWith(routes), hostRouters('shop.example', ran));
        const res = await rawRequest(port, 'GET', '/products/featured'); // Host: api.example
        expect([res.status, ran]).toEqual([401, []]);
      }
    });

    it('control: the matching host (string, list, RegExp) runs the exempt route, exempt', async () => {
      for (const host of ['shop.example', ['admin.example', 'shop.example'], /^shop\./]) {
        const ran: string[] = [];
        const port = await serve(shieldWith(CONTESTED), hostRouters(host, ran));
        const status = await getWithHost(port, '/products/featured', 'shop.example');
        expect([String(host), status, ran]).toEqual([String(host), 200, ['/products/featured']]);
      }
    });

    it('X-Forwarded-Host decides only behind a trusted proxy (app.proxy), as ctx.host does', async () => {
      const ran: string[] = [];
      const trusted = await serve(shieldWith(CONTESTED), hostRouters('shop.example', ran), true);
      const forwarded = { 'x-forwarded-host': 'shop.example' };
      expect([(await rawRequest(trusted, 'GET', '/products/featured', forwarded)).status, ran]).toEqual([200, ['/products/featured']]);
      ran.length = 0;
      const untrusted = await serve(shieldWith(CONTESTED), hostRouters('shop.example', ran), false);
      expect([(await rawRequest(untrusted, 'GET', '/products/featured', forwarded)).status, ran]).toEqual([401, []]);
    });

    it('a global RegExp host (its answer depends on lastIndex): no guess, a contested exemption is refused', async () => {
      const ran: string[] = [];
      const port = await serve(shieldWith(CONTESTED), hostRouters(/^shop\.example$/g, ran));
      expect(await getWithHost(port, '/products/featured', 'shop.example')).toBe(400); // request_target_ambiguous
      expect(ran).toEqual([]);
    });
  });
}

describe('findRoutePattern names the route that runs (the payload shield names parameters by it)', () => {
  const stack = (...routers: Router[]) => routers.map((r) => r.routes());

  it('exclusive, specificity, host', () => {
    const ran: string[] = [];
    expect(findRoutePattern(stack(router({ exclusive: true }, ['/files/:name', '/files/:id'], ran)), 'GET', '/files/a')).toBe('/files/:id');
    expect(findRoutePattern(stack(router({}, ['/files/:name', '/files/:id'], ran)), 'GET', '/files/a')).toBe('/files/:name');
    const specific = router({ exclusive: 'specificity' } as RouterOptions, ['/:kind/:id', '/files/:id'], ran);
    expect(findRoutePattern(stack(specific), 'GET', '/files/a')).toBe('/files/:id');
    const hosts = stack(router({ host: 'shop.example' }, ['/files/:name'], ran), router({}, ['/files/:id'], ran));
    expect(findRoutePattern(hosts, 'GET', '/files/a', 'api.example')).toBe('/files/:id');
    expect(findRoutePattern(hosts, 'GET', '/files/a', 'shop.example')).toBe('/files/:name');
    // Host unknown: the host-limited router may or may not run.
    expect(findRoutePattern(hosts, 'GET', '/files/a')).toBeUndefined();
  });

  it('knows which apps have a host-limited router, and notices one added later', () => {
    const ran: string[] = [];
    const middleware: unknown[] = stack(router({}, ['/files/:id'], ran));
    expect(hostLimitedRouters(middleware)).toBe(false);
    middleware.push(router({ host: 'shop.example' }, ['/files/:name'], ran).routes());
    expect(hostLimitedRouters(middleware)).toBe(true);
    expect(routePatternFinder(middleware, 'GET', '/files/a', undefined)()).toBe('/files/:id');
  });
});
