import { isGlobalCheckOf, passesThrough, routeLevelOf } from './route-level.js';
import { reparsedTarget, splitUrl } from './node-http.js';
import type { Shield } from '../core/shield.js';

interface ExpressLayer {
  /** Express 4: a boolean, the matched prefix then in `layer.path`; Express 5 (router 2): the match, or false. */
  match(path: string): boolean | { path?: string } | false;
  handle?: unknown;
  method?: string;
  path?: string;
  route?: {
    stack: ExpressLayer[];
    /** The methods the route has handlers for (`head: true` once `.head()` is added; `_all` for `.all()`). */
    methods?: Record<string, unknown>;
    _handles_method?(method: string): boolean;
    _handlesMethod?(method: string): boolean;
  };
}

interface ExpressRouter {
  stack?: ExpressLayer[];
  /** `app.param` / `router.param` callbacks by parameter name: they run before a route's first handler. */
  params?: Record<string, unknown>;
}

interface ExpressRouterHolder extends ExpressRouter {
  _router?: ExpressRouter;
  router?: ExpressRouter;
}

const MAX_DEPTH = 8;

/**
 * What the walk found so far: not yet the global middleware that asks (the layers before it have run), nothing yet
 * after it, the relaxing route, or a reason to keep the global decision.
 */
type Walk = 'before' | 'none' | 'route-level' | 'doubt';

/**
 * Looks ahead in an Express 4 or 5 app (routers mounted at paths, nested routers, `router.route()`, sub-apps) for the
 * handlers that can receive this request, using each layer's own `match` (so the router's case, slash and decoding
 * rules apply). A global middleware may leave its denial (or the body) to a route-level middleware only when:
 * - between the global middleware and the route, only layers the shield knows pass every request on run (its body
 *   stage, known body parsers: `passesThrough`); a sub-application, any other middleware or an `app.param` callback
 *   could answer the request unchecked;
 * - the first route that handles the method and path begins with a route-level middleware of this shield, and
 * - nothing after that route can receive the request but routes that also begin with such a middleware (which check
 *   again under their own options) and error handlers.
 * So a relaxed decision can never reach another handler (before the route, or after it through `next()`,
 * `next('route')`, router fall-through) that was not checked under its own options. Any doubt answers false, and the
 * global decision stands.
 */
export function routeHandsCheckToRouteLevel(app: unknown, shield: Shield, method: string, target: string, baseUrl = ''): boolean {
  const router = routerOf(app);
  if (router === undefined) return false;
  const asking: Asking = { baseUrl: undefined };
  // `target` is the request target the app's router reads when the app is the one the request entered: as received
  // (`req.originalUrl`), or as a URL rewrite before the shield left it (`routedTarget`). Inside a sub-application
  // (`app.use('/users', users)`, `router.use('/api', legacyApp)`) the request's `req.app` is the sub-application,
  // whose router saw the target without the mount: the walk would match other routes than run (a `/:id/:size`
  // exemption found for `/users/42` while `/:id` ran unchecked). The mount path the walk crossed to reach the
  // middleware asking must be the request's `req.baseUrl`, else the app's router saw another target: no hand-over.
  return walk(router, shield, method, target, 'before', 0, '', asking) === 'route-level' && asking.baseUrl === baseUrl;
}

/** Where the walk found the global middleware asking: the mount path it crossed (as `req.baseUrl` spells it). */
interface Asking {
  baseUrl: string | undefined;
}

/** The part of `req.baseUrl` a layer mounted at `prefix` adds (Express drops a trailing `/`). */
function mountedAt(prefix: string): string {
  return prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

/**
 * The target a router mounted at `prefix` (the text its layer matched) is handed, as Express 4's router and router 2
 * make it: the prefix's length is cut from the target as received, after the `http://host` of an absolute-form
 * target, and a `/` is added when none is left. The router reads its path from that target again (`splitUrl`), which
 * is not always the rest of the parsed path (see `reparsedTarget`).
 */
function nestedTarget(target: string, prefix: string): string {
  const protohost = protohostOf(target);
  const rest = protohost + target.slice(protohost.length + prefix.length);
  return protohost === '' && rest.charCodeAt(0) !== 0x2f ? `/${rest}` : rest;
}

/** Express's `getProtohost`: an absolute-form target's scheme and host, up to the next `/` (`''` without one). */
export function protohostOf(target: string): string {
  if (target.length === 0 || target.charCodeAt(0) === 0x2f) return '';
  const q = target.indexOf('?');
  const scheme = (q === -1 ? target : target.slice(0, q)).indexOf('://');
  return scheme === -1 ? '' : target.substring(0, target.indexOf('/', 3 + scheme));
}

function routerOf(handle: unknown): ExpressRouter | undefined {
  const holder = handle as ExpressRouterHolder | undefined;
  let router: ExpressRouter | undefined;
  try {
    // A router keeps `stack`; an Express 4 app keeps its router in `_router`, an Express 5 app behind `router`.
    router = Array.isArray(holder?.stack) ? holder : (holder?._router ?? holder?.router);
  } catch {
    return undefined;
  }
  return router !== undefined && Array.isArray(router.stack) ? router : undefined;
}

function stackOf(handle: unknown): ExpressLayer[] | undefined {
  return routerOf(handle)?.stack;
}

function hasParamCallbacks(router: ExpressRouter): boolean {
  const params = router.params;
  return typeof params === 'object' && params !== null && Object.keys(params).length > 0;
}

/**
 * The method whose layers a route's `Route.dispatch` runs (Express 4 and router 2 alike): HEAD runs the `get` layers
 * only when the route has no `.head()` handler; with one, only the `head` layers (and method-less ones) run.
 * Undefined when the route's methods cannot be read.
 */
function dispatchedMethod(route: NonNullable<ExpressLayer['route']>, method: string): string | undefined {
  const lower = method.toLowerCase();
  if (lower !== 'head') return lower;
  const methods = route.methods;
  if (typeof methods !== 'object' || methods === null) return undefined;
  return methods.head ? 'head' : 'get';
}

function walk(router: ExpressRouter, shield: Shield, method: string, target: string, state: Walk, depth: number, base: string, asking: Asking): Walk {
  if (depth > MAX_DEPTH) return 'doubt';
  // The path this router matches its layers against: the parseurl pathname of the target it is handed.
  const path = splitUrl(target).path;
  for (const layer of router.stack ?? []) {
    let matched: ReturnType<ExpressLayer['match']>;
    try {
      matched = layer.match(path);
    } catch {
      return 'doubt';
    }
    if (matched === false) continue;
    if (state === 'before' && isGlobalCheckOf(layer.handle, shield)) {
      // The middleware asking (a global one mounted at a path this request does not take did not run): the layers
      // before it have run.
      const prefix = typeof matched === 'object' ? matched.path : layer.path;
      asking.baseUrl = `${base}${mountedAt(typeof prefix === 'string' ? prefix : '')}`;
      state = 'none';
      continue;
    }
    const route = layer.route;
    if (route) {
      const handles = route._handles_method?.(method) ?? route._handlesMethod?.(method) ?? false;
      if (!handles) continue;
      if (state === 'before') continue; // it ran, and passed the request on
      // Param callbacks run before the route's first handler: doubt.
      if (hasParamCallbacks(router)) return 'doubt';
      const runs = dispatchedMethod(route, method);
      if (runs === undefined) return 'doubt';
      // The layers Route.dispatch runs: method-less ones (`.all()`) and those of the dispatched method.
      const first = route.stack.find((l) => !l.method || l.method === runs);
      if (!first || !routeLevelOf(first.handle, shield)) return 'doubt';
      state = 'route-level';
      continue;
    }
    const nested = routerOf(layer.handle);
    if (nested) {
      // A mount path with parameters (`app.use('/users/:id', router)`) runs this router's param callbacks first.
      if (state !== 'before' && hasParamCallbacks(router)) return 'doubt';
      const prefix = typeof matched === 'object' ? matched.path : layer.path;
      if (typeof prefix !== 'string') return 'doubt';
      state = walk(nested, shield, method, nestedTarget(target, prefix), state, depth + 1, `${base}${mountedAt(prefix)}`, asking);
      if (state === 'doubt') return state;
      continue;
    }
    // Plain middleware (a sub-application's mount included: its router cannot be read). Before the middleware
    // asking, it has run. Between it and the route, only layers known to pass every request on. After the route, it
    // could receive a request the route passes on, unchecked. Error handlers (four parameters) only run for errors.
    if (state === 'before') continue;
    const errorHandler = (layer.handle as { length?: number } | undefined)?.length === 4;
    if (state === 'none' && !errorHandler && !passesThrough(layer.handle, shield)) return 'doubt';
    if (state === 'route-level' && !errorHandler) return 'doubt';
  }
  return state;
}

/**
 * The full pattern (mount prefixes as matched, then the route's path) of the first route that handles this method
 * and request target (or its path), by each layer's own `match` on the path each router reads; undefined when there
 * is none or the router's shape is unknown.
 */
export function findRoutePattern(app: unknown, method: string, target: string): string | undefined {
  // A sub-application mounted below the root sees the path without its mount: its patterns are not the full path's.
  if (mountedBelowRoot(app)) return undefined;
  const stack = stackOf(app);
  return stack === undefined ? undefined : firstRoute(stack, method, target, '', 0);
}

/**
 * True when `app` is a sub-application mounted with `app.use(path, app)` at a path other than `/` (Express records
 * `parent` and `mountpath` then), or below one.
 */
function mountedBelowRoot(app: unknown): boolean {
  let node = app as { parent?: unknown; mountpath?: unknown } | undefined;
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    if (node?.parent === undefined) return false;
    if (node.mountpath !== '/') return true;
    node = node.parent as typeof node;
  }
  return true;
}

function firstRoute(stack: ExpressLayer[], method: string, target: string, prefix: string, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const path = splitUrl(target).path;
  for (const layer of stack) {
    let matched: ReturnType<ExpressLayer['match']>;
    try {
      matched = layer.match(path);
    } catch {
      return undefined;
    }
    if (matched === false) continue;
    const route = layer.route as (ExpressLayer['route'] & { path?: unknown }) | undefined;
    if (route) {
      const handles = route._handles_method?.(method) ?? route._handlesMethod?.(method) ?? false;
      if (!handles) continue;
      return typeof route.path === 'string' ? `${prefix}${route.path}` : undefined;
    }
    const nested = stackOf(layer.handle);
    if (!nested) continue;
    const mount = typeof matched === 'object' ? matched.path : layer.path;
    if (typeof mount !== 'string') return undefined;
    const found = firstRoute(nested, method, nestedTarget(target, mount), `${prefix}${mount.replace(/\/$/, '')}`, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * `findRoutePattern` for one request, as a closure that holds only the (long-lived) app and two strings. Built here,
 * not in the middleware: V8 gives all closures made in one call a shared context, so an arrow made next to one that
 * captures `req`/`res` would keep the whole request graph reachable from the ShieldRequest.
 */
export function routePatternFinder(app: unknown, method: string, path: string): () => string | undefined {
  // The target as received when `url.parse` read it (built right after `splitUrl` gave `path`): routers mounted at a
  // path read the rest of that target, not of the path (see `reparsedTarget`).
  const target = reparsedTarget(path) ?? path;
  // Looked up once per request: the routes table and the payload shield's parameters may both ask.
  let found: string | undefined | null = null;
  return () => (found === null ? (found = findRoutePattern(app, method, target)) : found);
}
