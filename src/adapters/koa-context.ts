import type { IncomingMessage, ServerResponse } from 'node:http';
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
 * `ctx.ip` when it can be the client's: with `app.proxy` on, Koa takes the leftmost X-Forwarded-For entry, which the
 * client writes, unless `app.maxIpsCount` keeps only the entries the proxies appended. Without it, undefined: the
 * shield then keys on the socket address (the proxy's), so a client cannot choose its IP (docs/options.md).
 */
export function koaFrameworkIp(ctx: { ip?: unknown; app: { proxy?: unknown; maxIpsCount?: unknown } }): string | undefined {
  if (typeof ctx.ip !== 'string') return undefined;
  const count = ctx.app.maxIpsCount;
  return ctx.app.proxy === true && !(typeof count === 'number' && count > 0) ? undefined : ctx.ip;
}
