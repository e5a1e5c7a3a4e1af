import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ShieldRequest } from '../core/request.js';
// Types only (erased at build): the composition root's route options and decision, typed with the built-in modules.
import type { Decision, RouteOptions, Shield } from '../shield.js';
import type { KoaLikeContext } from './koa-context.js';
import { findRoutePattern, routeHandsCheckToRouteLevel } from './koa-lookahead.js';
import { bodyConsumed, bodyReader, socketAddress, splitUrl } from './node-http.js';
import { hasRouteLevel, markRouteLevel } from './route-level.js';

export type { KoaLikeContext } from './koa-context.js';

/** A Koa middleware. */
export type KoaShieldMiddleware = (ctx: KoaLikeContext, next: () => Promise<unknown>) => Promise<void>;

const PENDING = Symbol('mobile-api-shield.pending');

/**
 * Koa middleware (Koa 2 and 3): `app.use(koaShield(shield))` protects every route; `router.post('/orders',
 * koaShield(shield, { ... }), handler)` with @koa/router sets per-route options, checked once with the route options
 * merged over the global ones (as for Express). The decision is on `ctx.state.shield`. Mount it before a body
 * parser; a body the shield had to read is handed on as `ctx.request.body`, which @koa/bodyparser leaves alone.
 */
export function koaShield<Extra extends object = object>(shield: Shield<Extra>, route?: (RouteOptions & Extra) | false): KoaShieldMiddleware {
  const routeOptions = route === undefined ? undefined : shield.parseRouteOptions(route, 'koaShield(route)');
  const global = routeOptions === undefined;

  const middleware: KoaShieldMiddleware = async function mobileApiShield(ctx, next) {
    const previous = ctx.state.shield ?? (ctx.state[PENDING] as Decision | undefined);
    if (previous !== undefined && global) {
      await next();
      return;
    }
    const { path, query } = splitUrl(ctx.originalUrl ?? ctx.url);
    const request: ShieldRequest = {
      method: ctx.method,
      path,
      headers: ctx.req.headers,
      ip: socketAddress(ctx.req),
      query,
      body: bodyConsumed(ctx.req) ? ctx.request.body : undefined,
      params: ctx.params,
      readBody: bodyReader(ctx.req),
      findRoute: () => findRoutePattern(ctx.app.middleware, request.method, path),
    };
    const deferReport = global && hasRouteLevel(shield);
    const reportedByGlobal = !global && previous !== undefined;
    const decision = await shield.check(request, routeOptions, {
      ...(previous ? { previous } : {}),
      notify: !deferReport && !reportedByGlobal,
    });
    const parsed = shield.parsedBody(decision);
    if (parsed) ctx.request.body = parsed.value;
    if (!decision.allowed) {
      if (deferReport && routeHandsCheckToRouteLevel(ctx.app.middleware, shield, request.method, path)) {
        ctx.state[PENDING] = decision;
        try {
          await next();
        } finally {
          shield.notify(ctx.state.shield ?? decision, request);
        }
        return;
      }
      ctx.state.shield = decision;
      if (deferReport) shield.notify(decision, request);
      const problem = shield.respond(decision, request);
      ctx.status = problem.status;
      ctx.set(problem.headers);
      ctx.body = JSON.stringify(problem.body);
      ctx.type = problem.headers['content-type'] ?? 'application/problem+json';
      return;
    }
    ctx.state.shield = decision;
    const wantsOutcome = shield.wantsOutcome(decision);
    if (!wantsOutcome && !deferReport) {
      await next();
      return;
    }
    try {
      await next();
    } catch (error) {
      // `ctx.throw(401)` reaches Koa's error handler after us: its status is the outcome.
      const status = (error as { status?: unknown } | null)?.status ?? (error as { statusCode?: unknown } | null)?.statusCode;
      if (wantsOutcome) void shield.reportOutcome(ctx.state.shield ?? decision, typeof status === 'number' ? status : 500);
      throw error;
    } finally {
      if (deferReport) shield.notify(ctx.state.shield ?? decision, request);
    }
    if (wantsOutcome) void shield.reportOutcome(ctx.state.shield ?? decision, ctx.status);
  };
  return global ? middleware : markRouteLevel(middleware, shield, routeOptions);
}

export type { Decision, RouteOptions, Shield };
export { koaEndpoints, type KoaEndpointsOptions } from './koa-endpoints.js';
