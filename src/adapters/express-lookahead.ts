import { routeLevelOf } from './route-level.js';
import type { Shield } from '../core/shield.js';

interface ExpressLayer {
  /** Express 4: a boolean, the matched prefix then in `layer.path`; Express 5 (router 2): the match, or false. */
  match(path: string): boolean | { path?: string } | false;
  handle?: unknown;
  method?: string;
  path?: string;
  route?: {
    stack: ExpressLayer[];
    _handles_method?(method: string): boolean;
    _handlesMethod?(method: string): boolean;
  };
}

interface ExpressRouterHolder {
  stack?: ExpressLayer[];
  _router?: { stack?: ExpressLayer[] };
  router?: { stack?: ExpressLayer[] };
}

const MAX_DEPTH = 8;

/** What the walk found so far: nothing yet, the relaxing route, or a reason to keep the global decision. */
type Walk = 'none' | 'route-level' | 'doubt';

/**
 * Looks ahead in an Express 4 or 5 app (routers mounted at paths, nested routers, `router.route()`, sub-apps) for the
 * handlers that can receive this request, using each layer's own `match` (so the router's case, slash and decoding
 * rules apply). A global middleware may leave its denial to a route-level middleware only when:
 * - the first route that handles the method and path begins with a route-level middleware of this shield, and
 * - nothing after that route can receive the request but routes that also begin with such a middleware (which check
 *   again under their own options) and error handlers.
 * So a relaxed decision can never reach a later handler (`next()`, `next('route')`, router fall-through) that was not
 * checked under its own options. Any doubt (other middleware after the route, an unknown router shape) answers false,
 * and the global decision stands.
 */
export function routeHandsCheckToRouteLevel(app: unknown, shield: Shield, method: string, path: string): boolean {
  const stack = stackOf(app);
  return stack !== undefined && walk(stack, shield, method, path, 'none', 0) === 'route-level';
}

function stackOf(handle: unknown): ExpressLayer[] | undefined {
  const holder = handle as ExpressRouterHolder | undefined;
  let stack: unknown;
  try {
    // A router keeps `stack`; an Express 4 app keeps its router in `_router`, an Express 5 app behind `router`.
    stack = holder?.stack ?? holder?._router?.stack ?? holder?.router?.stack;
  } catch {
    return undefined;
  }
  return Array.isArray(stack) ? (stack as ExpressLayer[]) : undefined;
}

function walk(stack: ExpressLayer[], shield: Shield, method: string, path: string, state: Walk, depth: number): Walk {
  if (depth > MAX_DEPTH) return 'doubt';
  for (const layer of stack) {
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
      const lower = method.toLowerCase();
      const first = route.stack.find((l) => l.method === undefined || l.method === lower || (lower === 'head' && l.method === 'get'));
      if (!first || !routeLevelOf(first.handle, shield)) return 'doubt';
      state = 'route-level';
      continue;
    }
    const nested = stackOf(layer.handle);
    if (nested) {
      const prefix = typeof matched === 'object' ? matched.path : layer.path;
      if (typeof prefix !== 'string') return 'doubt';
      const rest = path.slice(prefix.length) || '/';
      state = walk(nested, shield, method, rest.startsWith('/') ? rest : `/${rest}`, state, depth + 1);
      if (state === 'doubt') return state;
      continue;
    }
    // Plain middleware: before the route it is the app's pass-through middleware (parsers, CORS, the shield
    // itself); after the route it could receive a request the route passes on, unchecked. Error handlers (four
    // parameters) only run for errors.
    if (state === 'route-level' && (layer.handle as { length?: number } | undefined)?.length !== 4) return 'doubt';
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
