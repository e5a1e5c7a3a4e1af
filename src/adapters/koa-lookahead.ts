import type { Shield } from '../core/shield.js';
import { routeLevelOf } from './route-level.js';

interface KoaRouterLayer {
  methods: string[];
  stack: unknown[];
}

interface KoaRouterLike {
  match(path: string, method: string): { pathAndMethod: KoaRouterLayer[]; route: boolean };
}

/**
 * Looks ahead in the app's @koa/router (or koa-router) dispatchers for the route that will handle this request, and
 * reports whether its first middleware is a route-level middleware of this shield, so a global middleware may leave
 * the decision to it. Any doubt answers false and the global decision stands.
 */
export function routeHandsCheckToRouteLevel(middleware: unknown, shield: Shield, method: string, path: string): boolean {
  if (!Array.isArray(middleware)) return false;
  for (const fn of middleware) {
    const router = (fn as { router?: KoaRouterLike } | null)?.router;
    if (!router || typeof router.match !== 'function') continue;
    let matched: ReturnType<KoaRouterLike['match']>;
    try {
      matched = router.match(path, method);
    } catch {
      return false;
    }
    if (!matched.route) continue;
    for (const layer of matched.pathAndMethod) {
      if (layer.methods.length === 0) continue; // router.use() middleware: passes through to the route
      return routeLevelOf(layer.stack[0], shield) !== undefined;
    }
  }
  return false;
}
