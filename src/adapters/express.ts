import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseRouteOptions } from '../core/config.js';
import type { Decision } from '../core/decision.js';
import type { ShieldRequest } from '../core/request.js';
import type { RouteOptions } from '../core/route-options.js';
import type { Shield } from '../core/shield.js';
import { bodyConsumed, bodyReader, socketAddress, splitUrl, writeProblem } from './node-http.js';

/** The parts of an Express request the adapter reads and writes. */
export interface ExpressLikeRequest extends IncomingMessage {
  originalUrl?: string;
  body?: unknown;
  params?: Record<string, string>;
  shield?: Decision;
  _body?: boolean;
}

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

/**
 * Express middleware: `app.use(expressShield(shield))` protects every route; `expressShield(shield, { ... })` on a
 * route sets per-route options (checked once: a route-level middleware after a global one re-runs only what its
 * options change). The decision is on `req.shield`. Mount it before body parsers: when a body-stage verifier needs
 * the body, the shield reads it (within its limit) and hands the parsed body to the app as `req.body`.
 */
export function expressShield(shield: Shield, route?: RouteOptions | false): ExpressShieldMiddleware {
  const routeOptions = route === undefined ? undefined : parseRouteOptions(route, 'expressShield(route)');
  return function mobileApiShield(req, res, next) {
    const previous = req.shield;
    if (previous !== undefined && routeOptions === undefined) {
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
    };
    shield.check(request, routeOptions, previous ? { previous } : undefined).then((decision) => {
      req.shield = decision;
      if (!decision.allowed) {
        writeProblem(res, shield.respond(decision, request));
        return;
      }
      const parsed = shield.parsedBody(decision);
      if (parsed) {
        req.body = parsed.value;
        req._body = true; // body-parser 1.x skips a body already parsed; 2.x sees the stream finished
      }
      if (shield.wantsOutcome(decision)) {
        res.once('finish', () => void shield.reportOutcome(decision, res.statusCode));
      }
      next();
    }, next);
  };
}

export type { Decision, RouteOptions, Shield };
