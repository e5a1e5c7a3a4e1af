import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseRouteOptions } from '../core/config.js';
import type { Decision } from '../core/decision.js';
import type { ShieldRequest } from '../core/request.js';
import type { RouteOptions } from '../core/route-options.js';
import type { Shield } from '../core/shield.js';
import { bodyConsumed, bodyReader, socketAddress, splitUrl } from './node-http.js';

/** The parts of a Koa context the adapter reads and writes (Koa 2 and 3). */
export interface KoaLikeContext {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: string;
  originalUrl?: string;
  status: number;
  body: unknown;
  type: string;
  state: Record<string, unknown> & { shield?: Decision };
  request: { body?: unknown; rawBody?: unknown };
  params?: Record<string, string>;
  set(field: Record<string, string>): void;
}

/** A Koa middleware. */
export type KoaShieldMiddleware = (ctx: KoaLikeContext, next: () => Promise<unknown>) => Promise<void>;

/**
 * Koa middleware: `app.use(koaShield(shield))`, or per route with options (checked once, like Express). The
 * decision is on `ctx.state.shield`. Mount it before a body parser; a body the shield had to read is handed on as
 * `ctx.request.body`, which @koa/bodyparser and koa-bodyparser then leave alone.
 */
export function koaShield(shield: Shield, route?: RouteOptions | false): KoaShieldMiddleware {
  const routeOptions = route === undefined ? undefined : parseRouteOptions(route, 'koaShield(route)');
  return async function mobileApiShield(ctx, next) {
    const previous = ctx.state.shield;
    if (previous !== undefined && routeOptions === undefined) {
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
    };
    const decision = await shield.check(request, routeOptions, previous ? { previous } : undefined);
    ctx.state.shield = decision;
    if (!decision.allowed) {
      const problem = shield.respond(decision, request);
      ctx.status = problem.status;
      ctx.set(problem.headers);
      ctx.body = JSON.stringify(problem.body);
      ctx.type = problem.headers['content-type'] ?? 'application/problem+json';
      return;
    }
    const parsed = shield.parsedBody(decision);
    if (parsed) ctx.request.body = parsed.value;
    if (!shield.wantsOutcome(decision)) {
      await next();
      return;
    }
    try {
      await next();
    } catch (error) {
      // `ctx.throw(401)` reaches Koa's error handler after us: its status is the outcome.
      const status = (error as { status?: unknown; statusCode?: unknown } | null)?.status ?? (error as { statusCode?: unknown } | null)?.statusCode;
      void shield.reportOutcome(decision, typeof status === 'number' ? status : 500);
      throw error;
    }
    void shield.reportOutcome(decision, ctx.status);
  };
}

export type { Decision, RouteOptions, Shield };
