import type { Shield } from '../core/shield.js';
import { isGlobalCheckOf, passesThrough, routeLevelOf } from './route-level.js';

interface KoaRouterLayer {
  methods: string[];
  stack: unknown[];
  path?: unknown;
  paramNames?: unknown;
}

interface KoaRouterLike {
  match(path: string, method: string): { pathAndMethod: KoaRouterLayer[]; route: boolean };
  opts?: { exclusive?: unknown };
  /** Set from `opts.exclusive` at construction; dispatch reads this one. */
  exclusive?: unknown;
  /** The `host` option: dispatch skips the router (`next()`) when `matchHost(ctx.host)` is false. */
  host?: unknown;
  matchHost?(input: string): unknown;
  /** @koa/router 15: builds the chain of the layers that run (where `exclusive: 'specificity'` is read). */
  _buildMiddlewareChain?: unknown;
  /** @koa/router 15+: `router.on('not-found', handler)` handlers, run instead of `next()` when no route matches. */
  _events?: { _handlers?: unknown };
}

/** True when a router may answer a path it has no route for itself (its `not-found` handlers, or events it cannot read). */
function answersUnmatched(router: KoaRouterLike): boolean {
  const events = router._events;
  if (events === undefined) return false;
  const handlers = events._handlers;
  if (!(handlers instanceof Map)) return true;
  const notFound: unknown = handlers.get('not-found');
  return Array.isArray(notFound) ? notFound.length > 0 : notFound !== undefined;
}

/** Middleware after the router that only post-processes 404/405 answers (`router.allowedMethods()`), by its code. */
const passThrough = new WeakMap<object, boolean>();

function isAllowedMethods(fn: object): boolean {
  let known = passThrough.get(fn);
  if (known === undefined) {
    const source = Function.prototype.toString.call(fn);
    known = source.includes('_shouldProcessAllowedMethods') || source.includes('allowedArr');
    passThrough.set(fn, known);
  }
  return known;
}

/**
 * Looks ahead in the app's @koa/router (or koa-router) dispatchers for the layers that can receive this request (the
 * router's own `match`, with its prefixes and nested routers). A global middleware may leave its denial (or the body)
 * to a route-level middleware only when:
 * - between the global middleware and the route, only middleware the shield knows passes every request on runs (its
 *   body stage, known body parsers: `passesThrough`), in the app and as `router.use()` middleware; any other could
 *   answer the request unchecked;
 * - the first matching route begins with a route-level middleware of this shield, and nothing after it can receive
 *   the request but routes that begin with such a middleware too (each checks again under its own options) and
 *   `router.allowedMethods()`.
 * So a relaxed decision never reaches another handler, before the route or through `await next()`. Any doubt answers
 * false and the global decision stands.
 */
export function routeHandsCheckToRouteLevel(middleware: unknown, shield: Shield, method: string, path: string): boolean {
  if (!Array.isArray(middleware)) return false;
  let after = false;
  let found = false;
  for (const fn of middleware) {
    const router = (fn as { router?: KoaRouterLike } | null)?.router;
    if (!router || typeof router.match !== 'function') {
      // Middleware before the global middleware asking have run (a global mounted where this cannot see it: false).
      if (!after) {
        after = isGlobalCheckOf(fn, shield);
        continue;
      }
      // Plain app middleware: before the route it could answer (unless known to pass on); after it, it could receive
      // what the route passes on.
      if (found ? !(typeof fn === 'function' && isAllowedMethods(fn)) : !passesThrough(fn, shield)) return false;
      continue;
    }
    let matched: ReturnType<KoaRouterLike['match']>;
    try {
      matched = router.match(path, method);
    } catch {
      return false;
    }
    if (!matched.route) {
      // A router without the route passes the request on, unless its not-found handlers answer it instead.
      if (after && answersUnmatched(router)) return false;
      continue;
    }
    for (const layer of matched.pathAndMethod) {
      if (!after) {
        // A global middleware mounted with `router.use()`: what its layer runs after it must pass requests on.
        const at = layer.methods.length === 0 ? layer.stack.findIndex((handler) => isGlobalCheckOf(handler, shield)) : -1;
        if (at === -1) continue;
        after = true;
        if (!layer.stack.slice(at + 1).every((handler) => passesThrough(handler, shield))) return false;
        continue;
      }
      if (layer.methods.length === 0) {
        if (found) return false; // router.use() middleware after the route
        // router.use() middleware before it: only middleware known to pass every request on.
        if (!layer.stack.every((handler) => passesThrough(handler, shield))) return false;
        continue;
      }
      if (routeLevelOf(layer.stack[0], shield) === undefined) return false;
      found = true;
    }
  }
  return found;
}

/** The lookahead cannot tell which layer @koa/router runs: the caller answers "cannot say". */
const UNSURE: unique symbol = Symbol('unsure');

/**
 * Whether @koa/router dispatches this router for a request to `host` (Koa's `ctx.host`): its own `matchHost`, called
 * as dispatch calls it, so each version's rules apply; undefined when that cannot be told (host not known).
 */
function runsForHost(router: KoaRouterLike, host: string | undefined): boolean | undefined {
  const limit = router.host;
  if (!limit) return true; // no `host` option: every host (matchHost's own first test)
  // A global or sticky RegExp answers by its `lastIndex`: testing it here would change the answer dispatch gets.
  if (host === undefined || typeof router.matchHost !== 'function' || (limit instanceof RegExp && (limit.global || limit.sticky))) {
    return undefined;
  }
  try {
    return router.matchHost(host) === true;
  } catch {
    return undefined;
  }
}

/** Whether this router's dispatch reads `exclusive: 'specificity'` (@koa/router 15+), by its code. */
const readsSpecificity = new WeakMap<object, boolean>();

function ranksBySpecificity(router: KoaRouterLike): boolean {
  const build = router._buildMiddlewareChain;
  if (typeof build !== 'function') return false;
  let known = readsSpecificity.get(build);
  if (known === undefined) {
    known = Function.prototype.toString.call(build).includes('specificity');
    readsSpecificity.set(build, known);
  }
  return known;
}

/**
 * The layer of this router whose route handler receives the request, as @koa/router's dispatch picks it: without
 * `exclusive`, every matched layer runs in order, so the first route layer is the first handler; with `exclusive`,
 * only one layer runs: the last matched, or with `exclusive: 'specificity'` the one with the fewest parameters (the
 * first of those). Undefined when that one layer is `router.use()` middleware (no route of this router runs: the
 * request goes on past the router when it calls `next()`).
 */
function layerThatRuns(router: KoaRouterLike, layers: readonly KoaRouterLayer[]): KoaRouterLayer | undefined | typeof UNSURE {
  const exclusive = typeof router.exclusive === 'boolean' ? router.exclusive : Boolean(router.opts?.exclusive);
  if (!exclusive) return layers.find((l) => l.methods.length > 0);
  const last = layers.at(-1);
  let chosen = last;
  if (router.opts?.exclusive === 'specificity') {
    let fewest: KoaRouterLayer | undefined;
    for (const layer of layers) {
      if (!Array.isArray(layer.paramNames)) return UNSURE;
      if (fewest === undefined || layer.paramNames.length < (fewest.paramNames as unknown[]).length) fewest = layer;
    }
    // A version that does not read 'specificity' takes it as plain `exclusive` (the last layer): when the two
    // choices differ and the code does not say which applies, no guess.
    if (fewest !== last && !ranksBySpecificity(router)) return UNSURE;
    chosen = fewest;
  }
  return chosen !== undefined && chosen.methods.length > 0 ? chosen : undefined;
}

/**
 * The full pattern (with router prefixes) of the route @koa/router runs for this method, path and host: the routers
 * in app order, skipping those dispatch passes over (no route matched, or a `host` option this host does not match),
 * and in the first that runs a route, the layer its dispatch picks (see `layerThatRuns`). `host` is Koa's `ctx.host`
 * (see `hostLimitedRouters`); without it, a host-limited router that matches answers "cannot say". Undefined
 * when there is no such route or the answer is not certain; the routes table then keeps only a path's uncontested
 * entry (route-resolver.ts).
 */
export function findRoutePattern(middleware: unknown, method: string, path: string, host?: string): string | undefined {
  if (!Array.isArray(middleware)) return undefined;
  for (const fn of middleware) {
    const router = (fn as { router?: KoaRouterLike } | null)?.router;
    if (!router || typeof router.match !== 'function') continue;
    let matched: ReturnType<KoaRouterLike['match']>;
    try {
      matched = router.match(path, method);
    } catch {
      return undefined;
    }
    if (!matched.route) continue;
    // `router.match()` ignores the host; dispatch checks it first and calls `next()` on a mismatch.
    const runs = runsForHost(router, host);
    if (runs === undefined) return undefined;
    if (!runs) continue;
    const layer = layerThatRuns(router, matched.pathAndMethod);
    if (layer === UNSURE) return undefined;
    if (layer === undefined) continue;
    return typeof layer.path === 'string' ? layer.path : undefined;
  }
  return undefined;
}

/** Per middleware stack: its length when last looked at, and whether a router in it has a `host` option. */
const hostLimited = new WeakMap<object, { length: number; limited: boolean }>();

/**
 * True when a router in the app's middleware has a `host` option, so the lookahead needs `ctx.host` (a getter worth
 * skipping on every other app). Remembered per stack until middleware is added.
 */
export function hostLimitedRouters(middleware: unknown): boolean {
  if (!Array.isArray(middleware)) return false;
  const known = hostLimited.get(middleware);
  if (known !== undefined && known.length === middleware.length) return known.limited;
  const limited = middleware.some((fn) => Boolean((fn as { router?: KoaRouterLike } | null)?.router?.host));
  hostLimited.set(middleware, { length: middleware.length, limited });
  return limited;
}

/**
 * `findRoutePattern` for one request, as a closure that holds only the app's (long-lived) middleware stack and
 * three strings. Built here, not in the middleware: V8 gives all closures made in one call a shared context, so a
 * closure made there could keep `ctx` (and the whole request graph) reachable from the ShieldRequest. `host` is
 * `ctx.host` (what dispatch reads) when `hostLimitedRouters`, else undefined.
 */
export function routePatternFinder(middleware: unknown, method: string, path: string, host: string | undefined): () => string | undefined {
  // Looked up once per request: the routes table and the payload shield's parameters may both ask.
  let found: string | undefined | null = null;
  return () => (found === null ? (found = findRoutePattern(middleware, method, path, host)) : found);
}
