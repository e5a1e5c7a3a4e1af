import { isGlobalCheckOf, passesThrough, routeLevelOf } from './route-level.js';
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
export function routeHandsCheckToRouteLevel(app: unknown, shield: Shield, method: string, path: string): boolean {
  const router = routerOf(app);
  return router !== undefined && walk(router, shield, method, path, 'before', 0) === 'route-level';
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

function walk(router: ExpressRouter, shield: Shield, method: string, path: string, state: Walk, depth: number): Walk {
  if (depth > MAX_DEPTH) return 'doubt';
  for (const layer of router.stack ?? []) {
    if (state === 'before' && isGlobalCheckOf(layer.handle, shield)) {
      state = 'none'; // the middleware asking: the layers before it have run
      continue;
    }
    let matched: ReturnType<ExpressLayer['match']>;
    try {
      matched = layer.match(path);
    } catch {
      return 'doubt';
    }
    if (matched === false) continue;
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
      const rest = path.slice(prefix.length) || '/';
      state = walk(nested, shield, method, rest.startsWith('/') ? rest : `/${rest}`, state, depth + 1);
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
 * and path, by each layer's own `match`; undefined when there is none or the router's shape is unknown.
 */
export function findRoutePattern(app: unknown, method: string, path: string): string | undefined {
  const stack = stackOf(app);
  return stack === undefined ? undefined : firstRoute(stack, method, path, '', 0);
}

function firstRoute(stack: ExpressLayer[], method: string, path: string, prefix: string, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return undefined;
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
    const rest = path.slice(mount.length) || '/';
    const found = firstRoute(nested, method, rest.startsWith('/') ? rest : `/${rest}`, `${prefix}${mount.replace(/\/$/, '')}`, depth + 1);
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
  // Looked up once per request: the routes table and the payload shield's parameters may both ask.
  let found: string | undefined | null = null;
  return () => (found === null ? (found = findRoutePattern(app, method, path)) : found);
}
