import type { IncomingMessage, ServerResponse } from 'node:http';
import { protohostOf } from './express-lookahead.js';
import { rightmostOf } from './node-http.js';
// Types only (erased at build): the composition root's decision, typed with the built-in modules.
import type { Decision } from '../shield.js';
import type { AttestationClaims } from '../core/verifier.js';

/**
 * What the Koa adapter keeps on `ctx.state`. `new Koa()` and `new Router()` apps get it through Koa's `DefaultState`
 * (augmented by this module); an app with its own state type includes it: `new Koa<MyState & KoaShieldState>()`,
 * `new Router<MyState & KoaShieldState>()`. `Claims` types `ctx.state.shield.attestation.claims`.
 */
export interface KoaShieldState<Claims extends object = AttestationClaims> {
  /** The mobile-api-shield decision for this request. */
  shield?: Decision<Claims>;
}

/** The parts of a Koa context the adapter reads and writes (Koa 2 and 3). */
export interface KoaLikeContext {
  req: IncomingMessage;
  res: ServerResponse;
  app: { middleware?: unknown; proxy?: unknown; maxIpsCount?: unknown };
  method: string;
  url: string;
  originalUrl?: string;
  status: number;
  body: unknown;
  type: string;
  state: KoaShieldState;
  request: { body?: unknown; rawBody?: unknown };
  params?: Record<string, string>;
  set(field: Record<string, string>): void;
}

/** `ctx.state` as the adapter uses it: the decision plus the adapter's private symbol-keyed marks. */
export function adapterState(ctx: KoaLikeContext): KoaShieldState & Record<symbol, unknown> {
  return ctx.state as KoaShieldState & Record<symbol, unknown>;
}

/**
 * The client IP Koa's proxy setting stands for. With `app.proxy` on and `app.maxIpsCount` unset, Koa answers the
 * leftmost X-Forwarded-For entry, which the client writes itself: the shield takes the rightmost one instead, the
 * address the proxy in front saw (what `maxIpsCount: 1` gives). Set `maxIpsCount` to the number of proxies when
 * there are several (docs/options.md).
 */
export function koaFrameworkIp(ctx: { ip?: unknown; ips?: unknown; app: { proxy?: unknown; maxIpsCount?: unknown } }): string | undefined {
  if (typeof ctx.ip !== 'string') return undefined;
  const count = ctx.app.maxIpsCount;
  if (ctx.app.proxy !== true || (typeof count === 'number' && count > 0)) return ctx.ip;
  return rightmostOf(ctx.ips) ?? ctx.ip;
}

/**
 * The request target Koa's routers match from the shield's position on (@koa/router reads `ctx.path`, the path of
 * `ctx.url`): the target as received (`ctx.originalUrl`) unless a middleware before the shield rewrote it
 * (`ctx.url = …`, `ctx.path = …`, koa-rewrite), in which case the routers dispatch the rewritten target and so must
 * the shield's route options (a re-parse of the received target checked `/v2/admin/users` under the options of
 * `/v2/*`, or none, while the `/admin/users` route ran). Inside koa-mount (which cuts its prefix from `ctx.path` and
 * records it as `ctx.mountPath`) the received target is kept when it ends with that prefix followed by the path
 * left, as before: `routes` keys are full paths. A rewrite *after* the shield is not seen (docs/how-it-works.md).
 */
export function koaRoutedTarget(ctx: { url: string; originalUrl?: string; mountPath?: unknown }): string {
  lastRewrite = undefined;
  const url = ctx.url;
  const original = ctx.originalUrl;
  // The common case: nothing rewritten or mounted (two reads, one comparison).
  if (original === undefined || original === url) return url;
  const mount = ctx.mountPath;
  if (typeof mount !== 'string' || mount === '') {
    lastRewrite = original;
    return url;
  }
  // koa-mount keeps an absolute-form target's `http://host` in `ctx.url` (`http://h/admin` inside `/api`).
  const protohost = protohostOf(url);
  const rest = url.slice(protohost.length);
  if (original.startsWith(protohost) && mountedOnly(original.slice(protohost.length), rest, mount)) return original;
  lastRewrite = original;
  // Inside koa-mount `ctx.url` is the rest after the mount, while `routes` keys are full paths: the bare rest
  // (`/admin/users` for `/api/admin/users`) was looked up under another area's options. The mount goes back in front.
  // (Only the innermost mount is recorded: a rewrite under nested mounts still reads without the outer ones.)
  return `${protohost}${mount.endsWith('/') ? mount.slice(0, -1) : mount}${rest}`;
}

/** The received target the last `koaRoutedTarget` call found rewritten (see `koaRewrittenFrom`). */
let lastRewrite: string | undefined;

/**
 * The target as received when the last `koaRoutedTarget` call found it rewritten before the shield, else undefined:
 * what the client sent (and a device proof signed). For an adapter that asks right after, in the same tick.
 */
export function koaRewrittenFrom(): string | undefined {
  return lastRewrite;
}

/** True when `url` is what koa-mount leaves of `original` (path and query) after cutting `mount` from its path. */
function mountedOnly(original: string, url: string, mount: string): boolean {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const search = q === -1 ? '' : url.slice(q);
  if (!original.endsWith(search)) return false;
  const sent = original.slice(0, original.length - search.length);
  const trimmed = mount.endsWith('/') ? mount.slice(0, -1) : mount;
  // koa-mount leaves `/` for the mount path itself (`/api` and `/api/` under `/api`).
  return sent.endsWith(`${trimmed}${path}`) || (path === '/' && (sent.endsWith(trimmed) || sent.endsWith(`${trimmed}/`)));
}
