import type { IncomingMessage, ServerResponse } from 'node:http';
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
