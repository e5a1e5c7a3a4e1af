import type { Shield } from '../core/shield.js';
import { isGlobalCheckOf, passesThrough, routeLevelOf } from './route-level.js';

interface KoaRouterLayer {
  methods: string[];
  stack: unknown[];
}

interface KoaRouterLike {
  match(path: string, method: string): { pathAndMethod: KoaRouterLayer[]; route: boolean };
  opts?: { exclusive?: unknown };
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

/** The full pattern (with router prefixes) of the first route @koa/router matches for this method and path. */
export function findRoutePattern(middleware: unknown, method: string, path: string): string | undefined {
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
    const layer = matched.pathAndMethod.find((l) => l.methods.length > 0) as (KoaRouterLayer & { path?: unknown }) | undefined;
    return typeof layer?.path === 'string' ? layer.path : undefined;
  }
  return undefined;
}

/**
 * `findRoutePattern` for one request, as a closure that holds only the app's (long-lived) middleware stack and two
 * strings. Built here, not in the middleware: V8 gives all closures made in one call a shared context, so a closure
 * made there could keep `ctx` (and the whole request graph) reachable from the ShieldRequest.
 */
export function routePatternFinder(middleware: unknown, method: string, path: string): () => string | undefined {
  // Looked up once per request: the routes table and the payload shield's parameters may both ask.
  let found: string | undefined | null = null;
  return () => (found === null ? (found = findRoutePattern(middleware, method, path)) : found);
}
