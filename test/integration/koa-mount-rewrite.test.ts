/**
 * Koa route parity when a URL rewrite and koa-mount meet: the routes table keys full paths, so a shield inside a
 * mounted app must resolve its options for the full path the routers dispatch. A rewrite inside the mounted app
 * (`/api/v2/admin/users` → `/admin/users` there) was checked as the bare `/admin/users`: with `/admin/*` exempt (a
 * root area, keys being full paths) and the token required elsewhere, it reached the `/api/admin/users` handler
 * without a token. Raw request lines over real sockets.
 */
import Koa3 from 'koa';
import Koa2 from 'koa2';
import compose from 'koa-compose';
import Router from '@koa/router';
import { afterAll, describe, expect, it } from 'vitest';
import { koaShield } from '../../src/adapters/koa.js';
import { createShield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { servePort } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

const attester = createTestAttester();
const token = { secret: attester.secret as string, header: 'x-attestation-token', binding: false as const };
/** Keys are full paths: `/admin/*` is a root area, `/v2/*` a legacy one; `/api/admin/users` falls under the token. */
const ROUTES = { '/admin/*': false, '/v2/*': false } as const;

const running: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const app of running.splice(0)) await app.close();
});

/** koa-mount's own logic (not a dependency): cuts `prefix` from `ctx.path`, records `ctx.mountPath`. */
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

const stripV2: Koa3.Middleware = async (ctx, next) => {
  ctx.url = ctx.url.replace(/^\/v2\//, '/');
  await next();
};

async function start(Koa: typeof Koa3, where: 'inside' | 'none', ran: string[], routes: Record<string, object | false> = ROUTES): Promise<number> {
  const sub = new Koa();
  if (where === 'inside') sub.use(stripV2);
  sub.use(koaShield(createShield({ token, routes: { ...routes } })) as unknown as Koa3.Middleware);
  const router = new Router();
  router.get('/admin/users', (ctx) => {
    ran.push('admin');
    ctx.body = { handler: 'admin' };
  });
  sub.use(router.routes() as unknown as Koa3.Middleware);
  const app = new Koa();
  app.use(mount('/api', sub));
  return servePort(running, app.callback());
}

async function get(port: number, ran: string[], target: string, withToken: boolean): Promise<{ status: number; ran: string[] }> {
  ran.length = 0;
  const headers: Record<string, string> = withToken ? { 'x-attestation-token': await attester.mint() } : {};
  const res = await rawRequest(port, 'GET', target, headers);
  return { status: res.status, ran: [...ran] };
}

for (const [name, Koa] of [['koa2', Koa2 as unknown as typeof Koa3], ['koa3', Koa3]] as const) {
  describe(`koa-mount and a URL rewrite (${name})`, () => {
    it('a rewrite inside the mounted app: the full routed path /api/admin/users is checked', async () => {
      const ran: string[] = [];
      const port = await start(Koa, 'inside', ran);
      expect(await get(port, ran, '/api/v2/admin/users', false)).toEqual({ status: 401, ran: [] });
      expect(await get(port, ran, '/api/v2/admin/users?x=1', false)).toEqual({ status: 401, ran: [] });
      expect(await get(port, ran, '/api/v2/admin/users', true)).toEqual({ status: 200, ran: ['admin'] });
    });

    it('no rewrite: the mount alone is not a rewrite', async () => {
      const ran: string[] = [];
      const port = await start(Koa, 'none', ran);
      expect(await get(port, ran, '/api/admin/users', false)).toEqual({ status: 401, ran: [] });
      expect(await get(port, ran, '/api/admin/users', true)).toEqual({ status: 200, ran: ['admin'] });
    });

    it('an absolute-form target: koa-mount keeps the scheme and host in ctx.url, the full path is still checked', async () => {
      // `GET http://h/api/admin/users` leaves `ctx.url` `http://h/admin/users` inside the mount: read as a rewrite, its
      // bare path `/admin/users` fell under the root `/admin/*` exemption with no rewrite in the app at all.
      for (const where of ['none', 'inside'] as const) {
        const ran: string[] = [];
        const port = await start(Koa, where, ran);
        for (const target of ['http://h/api/admin/users', 'http://h/api/admin/users?x=1']) {
          expect(await get(port, ran, target, false), `${where} ${target}`).toEqual({ status: 401, ran: [] });
          expect(await get(port, ran, target, true), `${where} ${target}`).toEqual({ status: 200, ran: ['admin'] });
        }
        expect(await get(port, ran, 'http://h/api/v2/admin/users', false), where).toEqual({ status: 401, ran: [] });
      }
      // Everything exempt but the API's admin area: the path read must be `/api/admin/users`, not `/apihttp://h/…`.
      const ran: string[] = [];
      const port = await start(Koa, 'inside', ran, { '/*': false, '/api/admin/*': {} });
      for (const target of ['http://h/api/admin/users', 'http://h/api/v2/admin/users', '/api/v2/admin/users']) {
        const out = await get(port, ran, target, false);
        expect(out.ran, target).toEqual([]);
        expect([400, 401, 404], target).toContain(out.status);
      }
    });
  });
}
