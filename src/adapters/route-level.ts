import type { RouteOptions } from '../core/route-options.js';
import type { Shield } from '../core/shield.js';
import { isBodyStageOf } from './body-stage.js';
import { decisionSlots } from './decision-slot.js';

/** Marks a route-level shield middleware with the options it adds, so a global middleware can find it ahead. */
export const ROUTE_LEVEL = Symbol.for('mobile-api-shield.route-level');

/** What a route-level middleware carries under `ROUTE_LEVEL`. */
export interface RouteLevelMark {
  readonly shield: Shield;
  readonly route: RouteOptions | false;
}

/**
 * Records that a route-level middleware exists for this shield (`DecisionSlots.routeLevel`: global middlewares only
 * look ahead then).
 */
export function markRouteLevel<T extends object>(middleware: T, shield: Shield, route: RouteOptions | false): T {
  Object.defineProperty(middleware, ROUTE_LEVEL, { value: { shield, route } satisfies RouteLevelMark });
  decisionSlots(shield).routeLevel = true;
  return middleware;
}

/** The route-level mark of a handler, when it is a route-level middleware of this shield. */
export function routeLevelOf(handler: unknown, shield: Shield): RouteLevelMark | undefined {
  const mark = (handler as { [ROUTE_LEVEL]?: RouteLevelMark } | null | undefined)?.[ROUTE_LEVEL];
  return mark && mark.shield === shield ? mark : undefined;
}

/** Marks a global shield middleware (Express or Koa), so a lookahead knows which layers have run before it. */
const GLOBAL_CHECK = Symbol.for('mobile-api-shield.global-check');

/** Marks `middleware` as the global middleware of `shield`. */
export function markGlobalCheck<T extends object>(middleware: T, shield: Shield): T {
  Object.defineProperty(middleware, GLOBAL_CHECK, { value: shield });
  return middleware;
}

/** True when `handler` is a global middleware of this shield. */
export function isGlobalCheckOf(handler: unknown, shield: Shield): boolean {
  return (handler as { [GLOBAL_CHECK]?: Shield } | null | undefined)?.[GLOBAL_CHECK] === shield;
}

/**
 * Middleware a global check may hand a request past on its way to a route-level check: the shield's own layers and
 * the body parsers it knows (body-parser and `express.json()` etc., cookie-parser, koa-bodyparser), which parse and
 * pass every request on (or end it with an error) but never run a handler. Any other middleware between the global
 * middleware and the route could answer the request itself, unchecked under its own route's options.
 */
const PASS_THROUGH_NAMES = new Set(['jsonParser', 'urlencodedParser', 'textParser', 'rawParser', 'cookieParser', 'bodyParser']);

/** True when `handler` is one of the layers of {@link PASS_THROUGH_NAMES} or of this shield. */
export function passesThrough(handler: unknown, shield: Shield): boolean {
  if (typeof handler !== 'function') return false;
  return isGlobalCheckOf(handler, shield) || isBodyStageOf(handler, shield) || PASS_THROUGH_NAMES.has(handler.name);
}
