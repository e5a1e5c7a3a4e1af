import type { IncomingMessage, ServerResponse } from 'node:http';
// Types only (erased at build): the composition root's decision, typed with the built-in modules.
import type { Decision } from '../shield.js';
import { protohostOf } from './express-lookahead.js';

/** The parts of an Express request the adapter reads and writes. */
export interface ExpressLikeRequest extends IncomingMessage {
  originalUrl?: string;
  /** The mount path of the router (or sub-application) the request is in, as matched (`/api`); `''` at the root. */
  baseUrl?: string;
  body?: unknown;
  /** Express 5 gives a `*splat` parameter as an array of segments. */
  params?: Record<string, string | string[]>;
  app?: unknown;
  shield?: Decision;
}

/**
 * An Express middleware (Express 4 and 5). Structural, so the package needs no Express types, yet assignable to
 * Express's own `RequestHandler` (`const h: RequestHandler = expressShield(shield)`); test/types proves it.
 */
export type ExpressShieldMiddleware = (
  req: ExpressLikeRequest,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * The request target the app's routers match from the shield's position on, as a full path from the app's root
 * (mount paths included, as the `routes` table keys are): the target as received (`req.originalUrl`) unless a
 * middleware before the shield rewrote `req.url` (`req.url = req.url.replace(/^\/v2\//, '/')`), in which case the
 * routers dispatch the rewritten target and so must the shield's route options: a re-parse of the received target
 * would check `/v2/admin/users` under the options of `/v2/*` (or none) while the `/admin/users` handler runs.
 * Inside a router or sub-application mounted at a path, `req.url` is the rest after the mount (`req.baseUrl`): the
 * received target is kept when it is that mount followed by that rest (Express cut the mount, nothing rewrote), else
 * the target is the mount path followed by the (rewritten) rest. A rewrite *after* the shield is not seen: the
 * shield checks the request where it is mounted (docs/how-it-works.md).
 */
export function routedTarget(req: { url?: string; originalUrl?: string; baseUrl?: string }): string {
  lastRewrite = undefined;
  const url = req.url ?? '/';
  const original = req.originalUrl;
  // The common case: at the app's root, nothing rewritten (two own properties read, one comparison).
  if (original === undefined || original === url) return url;
  const base = req.baseUrl ?? '';
  const protohost = base === '' ? '' : protohostOf(url);
  const rest = url.slice(protohost.length);
  // At the root Express cuts nothing from `req.url`: a different target is a rewrite, and the router routes on it.
  if (base !== '' && cutByMountOnly(original, protohost, rest, base)) return original;
  lastRewrite = original;
  return base === '' ? url : `${protohost}${base}${rest}`;
}

/** The received target the last `routedTarget` call found rewritten (see `rewrittenFrom`). */
let lastRewrite: string | undefined;

/**
 * The target as received when the last `routedTarget` call found it rewritten before the shield, else undefined:
 * what the client sent (and a device proof signed). For an adapter that asks right after, in the same tick; it saves
 * a second read of `req.originalUrl` (a full lookup on an Express request) on every request that was not rewritten.
 */
export function rewrittenFrom(): string | undefined {
  return lastRewrite;
}

/**
 * True when `rest` is what Express's routers leave of the received target after cutting the mount paths `base`
 * spells: the received target is the mount text followed by `rest` (or by `rest` without the `/` Express adds when
 * the mount took the whole path), after the same `http://host` of an absolute-form target.
 */
function cutByMountOnly(original: string, protohost: string, rest: string, base: string): boolean {
  if (!original.startsWith(protohost)) return false;
  const sent = original.slice(protohost.length);
  if (sent.endsWith(rest) && sameMount(sent.slice(0, sent.length - rest.length), base)) return true;
  return rest.charCodeAt(0) === 0x2f && sent.endsWith(rest.slice(1)) && sameMount(sent.slice(0, sent.length - rest.length + 1), base);
}

/**
 * Whether the mount text cut from the target (`/api/` or `/a//b`) is the one `req.baseUrl` records: Express drops
 * the trailing `/` of each mount level's text there.
 */
function sameMount(cut: string, base: string): boolean {
  return cut === base || cut.replace(TRAILING_SLASHES, '') === base.replace(TRAILING_SLASHES, '');
}

/** A `/` before another `/` or at the end (the one Express drops from each level's mount text in `req.baseUrl`). */
const TRAILING_SLASHES = /\/(?=\/|$)/g;
