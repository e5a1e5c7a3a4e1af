import type { RouteOptions } from '../core/route-options.js';
import type { Shield } from '../core/shield.js';

/** Marks a route-level shield middleware with the options it adds, so a global middleware can find it ahead. */
export const ROUTE_LEVEL = Symbol.for('mobile-api-shield.route-level');

/** What a route-level middleware carries under `ROUTE_LEVEL`. */
export interface RouteLevelMark {
  readonly shield: Shield;
  readonly route: RouteOptions | false;
}

const routeLevelCount = new WeakMap<Shield, number>();

/** Records that a route-level middleware exists for this shield (global middlewares only look ahead then). */
export function markRouteLevel<T extends object>(middleware: T, shield: Shield, route: RouteOptions | false): T {
  Object.defineProperty(middleware, ROUTE_LEVEL, { value: { shield, route } satisfies RouteLevelMark });
  routeLevelCount.set(shield, (routeLevelCount.get(shield) ?? 0) + 1);
  return middleware;
}

/** True when some route-level middleware was created for this shield. */
export function hasRouteLevel(shield: Shield): boolean {
  return (routeLevelCount.get(shield) ?? 0) > 0;
}

/** The route-level mark of a handler, when it is a route-level middleware of this shield. */
export function routeLevelOf(handler: unknown, shield: Shield): RouteLevelMark | undefined {
  const mark = (handler as { [ROUTE_LEVEL]?: RouteLevelMark } | null | undefined)?.[ROUTE_LEVEL];
  return mark && mark.shield === shield ? mark : undefined;
}
