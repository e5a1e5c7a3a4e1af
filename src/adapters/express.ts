import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ShieldRequest } from '../core/request.js';
// Types only (erased at build): the composition root's route options and decision, typed with the built-in modules.
import type { Decision, RouteOptions, Shield } from '../shield.js';
import type { ExpressLikeRequest } from './express-request.js';
import { findRoutePattern, routeHandsCheckToRouteLevel } from './express-lookahead.js';
import { bodyConsumed, bodyReader, socketAddress, splitUrl, writeProblem } from './node-http.js';
import { hasRouteLevel, markRouteLevel } from './route-level.js';

export type { ExpressLikeRequest } from './express-request.js';

/** An Express middleware (Express 4 and 5). */
export type ExpressShieldMiddleware = (
  req: ExpressLikeRequest,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

import type {} from 'express-serve-static-core';

declare module 'express-serve-static-core' {
  interface Request {
    /** The mobile-api-shield decision for this request. */
    shield?: Decision;
  }
}

/** A global check that a route-level middleware will finish (kept off `req.shield` until then). */
const PENDING = Symbol('mobile-api-shield.pending');
type PendingRequest = ExpressLikeRequest & { [PENDING]?: Decision };

/**
 * Express middleware (Express 4 and 5). `app.use(expressShield(shield))` protects every route;
 * `app.post('/orders', expressShield(shield, { ... }), handler)` sets per-route options. When both apply the
 * request is checked once with the route options merged over the global ones: the global middleware leaves a
 * denial to the route-level one when that route's first handler is the route-level middleware (so a route can
 * relax an option, e.g. `token: { binding: false }` on a login route), and a route-level check after a passing
 * global one re-runs only the verifiers whose options the route changes. The decision is on `req.shield`.
 *
 * Mount it before body parsers: when a body-stage verifier needs the body, the shield reads it (within its limit)
 * and hands the parsed body to the app as `req.body`, which body-parser then leaves alone.
 */
export function expressShield<Extra extends object = object>(shield: Shield<Extra>, route?: (RouteOptions & Extra) | false): ExpressShieldMiddleware {
  const routeOptions = route === undefined ? undefined : shield.parseRouteOptions(route, 'expressShield(route)');
  const global = routeOptions === undefined;

  const middleware: ExpressShieldMiddleware = function mobileApiShield(req: PendingRequest, res, next) {
    const previous = req.shield ?? req[PENDING];
    if (previous !== undefined && global) {
      next();
      return;
    }
    const { path, query } = splitUrl(req.originalUrl ?? req.url ?? '/');
    const request: ShieldRequest = {
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      ip: socketAddress(req),
      query,
      body: bodyConsumed(req) ? req.body : undefined,
      params: req.params,
      readBody: bodyReader(req),
      findRoute: () => findRoutePattern(req.app, request.method, path),
    };
    // A global check whose result a route-level check may still refine is not reported until the response ends.
    const deferReport = global && hasRouteLevel(shield);
    const reportedByGlobal = !global && previous !== undefined;
    shield
      .check(request, routeOptions, { ...(previous ? { previous } : {}), notify: !deferReport && !reportedByGlobal })
      .then((decision) => {
        const parsed = shield.parsedBody(decision);
        if (parsed) {
          req.body = parsed.value;
          req._body = true; // body-parser 1.x skips a body already parsed; 2.x sees the stream finished
        }
        if (!decision.allowed) {
          if (deferReport && routeHandsCheckToRouteLevel(req.app, shield, request.method, path)) {
            req[PENDING] = decision;
            res.once('close', () => shield.notify(req.shield ?? decision, request));
            next();
            return;
          }
          req.shield = decision;
          if (deferReport) shield.notify(decision, request);
          writeProblem(res, shield.respond(decision, request));
          return;
        }
        req.shield = decision;
        if (deferReport) res.once('close', () => shield.notify(req.shield ?? decision, request));
        if (shield.wantsOutcome(decision)) {
          res.once('finish', () => void shield.reportOutcome(req.shield ?? decision, res.statusCode));
        }
        next();
      }, next);
  };
  return global ? middleware : markRouteLevel(middleware, shield, routeOptions);
}

export type { Decision, RouteOptions, Shield };
export { expressEndpoints, type ExpressEndpointsOptions } from './express-endpoints.js';
