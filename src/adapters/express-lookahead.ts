import { routeLevelOf } from './route-level.js';
import type { Shield } from '../core/shield.js';

interface ExpressLayer {
  match(path: string): boolean;
  handle?: unknown;
  method?: string;
  path?: string;
  route?: {
    stack: ExpressLayer[];
    _handles_method?(method: string): boolean;
    _handlesMethod?(method: string): boolean;
  };
}

interface ExpressAppLike {
  _router?: { stack?: ExpressLayer[] };
  router?: { stack?: ExpressLayer[] };
}

const MAX_DEPTH = 8;

/**
 * Looks ahead in an Express 4 or 5 router for the route that will handle this request, and reports whether that
 * route's first handler is a route-level middleware of this shield. Only then may a global middleware leave the
 * decision to it: nothing in that route can run before the check. Any doubt (another route first, another handler
 * first, an unknown router shape) answers false, and the global decision stands.
 */
export function routeHandsCheckToRouteLevel(app: unknown, shield: Shield, method: string, path: string): boolean {
  const appLike = app as ExpressAppLike | undefined;
  let router: ExpressAppLike['router'];
  try {
    router = appLike?._router ?? appLike?.router; // Express 4 keeps it in `_router`, Express 5 behind `router`
  } catch {
    return false;
  }
  const stack = router?.stack;
  return Array.isArray(stack) ? search(stack, shield, method, path, 0) === 'route-level' : false;
}

function search(stack: ExpressLayer[], shield: Shield, method: string, path: string, depth: number): 'route-level' | 'other' | 'none' {
  if (depth > MAX_DEPTH) return 'other';
  for (const layer of stack) {
    let matched: boolean;
    try {
      matched = layer.match(path);
    } catch {
      return 'other';
    }
    if (!matched) continue;
    const route = layer.route;
    if (route) {
      const handles = route._handles_method?.(method) ?? route._handlesMethod?.(method) ?? false;
      if (!handles) continue;
      const lower = method.toLowerCase();
      const first = route.stack.find((l) => l.method === undefined || l.method === lower || (lower === 'head' && l.method === 'get'));
      return first && routeLevelOf(first.handle, shield) ? 'route-level' : 'other';
    }
    const nested = (layer.handle as { stack?: ExpressLayer[] } | undefined)?.stack;
    if (Array.isArray(nested) && typeof layer.path === 'string') {
      const rest = path.slice(layer.path.length) || '/';
      const found = search(nested, shield, method, rest.startsWith('/') ? rest : `/${rest}`, depth + 1);
      if (found !== 'none') return found;
    }
  }
  return 'none';
}
