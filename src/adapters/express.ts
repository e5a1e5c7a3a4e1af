import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ShieldRequest } from '../core/request.js';
// Types only (erased at build): the composition root's route options and decision, typed with the built-in modules.
import type { Decision, RouteOptions, Shield } from '../shield.js';
import { routedTarget, type ExpressLikeRequest, type ExpressShieldMiddleware } from './express-request.js';
import { routeHandsCheckToRouteLevel } from './express-lookahead.js';
import { expressBodyStageMounted, expressRequestView, settleExpressDecision } from './express-body.js';
import { formidableAwaitsEnd, whenStreamEnds } from './express-fields.js';
import { holdUnparsedMultipart } from './multipart-fields.js';
import { requestHeaders, whenClosed, writeProblem } from './node-http.js';
import { warnNoBodyStage } from './body-stage.js';
import { decisionSlots, notifyIfBodyStageNeverRuns, ownDecision, type DecisionHolder, type DecisionSlots } from './decision-slot.js';
import { markGlobalCheck, markRouteLevel } from './route-level.js';
import { assertShield } from './misuse.js';
import { settleLater } from './settle-later.js';

export type { ExpressLikeRequest } from './express-request.js';

export type { ExpressShieldMiddleware } from './express-request.js';

import type {} from 'express-serve-static-core';

declare module 'express-serve-static-core' {
  interface Request {
    /** The mobile-api-shield decision for this request. */
    shield?: Decision;
  }
}

/** The request with the shields' decision slots (a pending denial is kept off `req.shield` until taken over). */
type PendingRequest = ExpressLikeRequest & DecisionHolder;

/**
 * Express middleware (Express 4 and 5). `app.use(expressShield(shield))` protects every route;
 * `app.post('/orders', expressShield(shield, { ... }), handler)` sets per-route options. When both apply the
 * request is checked once with the route options merged over the global ones: the global middleware leaves a
 * denial to the route-level one when that route's first handler is the route-level middleware (so a route can
 * relax an option, e.g. `token: { binding: false }` on a login route), and a route-level check after a passing
 * global one re-runs only the verifiers whose options the route changes. The decision is on `req.shield`.
 *
 * Mount it before body parsers, and `expressShieldBody(shield)` after them: the global middleware checks the
 * headers, the body stage checks `req.body` as the app's parser produced it (see `expressShieldBody`). Without a
 * body stage mounted, a body no parser has read yet is refused 415 where a body-stage verifier applies.
 */
export function expressShield<Extra extends object = object>(shield: Shield<Extra>, route?: (RouteOptions & Extra) | false): ExpressShieldMiddleware {
  assertShield(shield, 'expressShield', 'app.use(expressShield(shield))');
  const routeOptions = route === undefined ? undefined : shield.parseRouteOptions(route, 'expressShield(route)');
  const global = routeOptions === undefined;
  const slots = decisionSlots(shield);

  const middleware: ExpressShieldMiddleware = function mobileApiShield(expressReq, res, next) {
    const req = expressReq as PendingRequest;
    // This shield's own earlier check (another shield's decision on `req.shield` is not one). A pending denial exists
    // only where route-level middlewares do (see `settle`): not looked for otherwise, since a missing property of an
    // Express request costs a full lookup (see `expressRequestView`).
    const routeLevel = slots.routeLevel;
    const pending = routeLevel ? (req[slots.pending] as Decision | undefined) : undefined;
    const previous = ownDecision(req, slots) ?? pending;
    if (previous !== undefined && global) {
      next();
      return;
    }
    // express-formidable mounted before this check (on the route, or before the global one) parsed a chunked form
    // before its end, where trailer fields come: judged once they are in, as the body stage does.
    if (formidableAwaitsEnd(req as never, requestHeaders(req))) {
      whenStreamEnds(req, () => middleware(expressReq, res, next));
      return;
    }
    // Taken over: the pending denial is this check's to settle now (see settlePending).
    if (previous !== undefined && previous === pending) req[slots.pending] = undefined;
    const request: ShieldRequest = expressRequestView(req, shield);
    // Before the app's parser: leave the body to the body stage when one is mounted (or to the route-level check).
    // A shield without body-stage verifiers never reads a body: no search of the app for a body stage then (a
    // search that finds none is not remembered, since one can be mounted later, so it ran on every request).
    const toRouteLevel =
      global && request.bodyUnparsed === true && routeLevel && routeHandsCheckToRouteLevel(req.app, shield, request.method, targetOf(req), req.baseUrl);
    const bodyLater = toRouteLevel || (global && request.bodyUnparsed === true && shield.hasBodyStage && expressBodyStageMounted(req.app, shield));
    if (toRouteLevel) req[slots.left] = true;
    else if (global && request.bodyUnparsed === true && !bodyLater) warnNoBodyStage(shield, 'expressShieldBody(shield)');
    // A global check whose result a route-level check may still refine is not reported until the response ends.
    const deferReport = global && routeLevel;
    const reportedByGlobal = !global && previous !== undefined;
    // A route-level check judges the body now: a multipart form its route parser reads later is held meanwhile.
    const held = global ? undefined : holdUnparsedMultipart(req, request, shield.bodyLimitBytes);
    // Synchronous decisions (a token seen before) go on in the same tick: no promise and no closure per request.
    const decision = shield.checkNow(request, routeOptions, {
      previous,
      stage: bodyLater ? 'headers' : 'all',
      notify: !deferReport && !reportedByGlobal,
    });
    // `checkNow` never rejects; carrying a decision out can throw (an `onDeny` body JSON cannot encode): the framework
    // gets that error, as on the synchronous path, instead of an unhandled rejection and a request left hanging.
    if (decision instanceof Promise) settleLater(decision, next, settle, shield, slots, req, res, next, request, held, deferReport);
    else settle(shield, slots, req, res, next, request, held, deferReport, decision);
  };
  return global ? markGlobalCheck(middleware, shield) : markRouteLevel(middleware, shield, routeOptions);
}

/**
 * Carries a decision out. A global check whose report is deferred (a route-level middleware exists) either leaves a
 * denial pending for the route-level middleware that takes the check over, or reports when the response closes;
 * the rest is what the body stage does too (`settleExpressDecision`). Module level, so the synchronous path makes no
 * closure per request.
 */
function settle(
  shield: Shield,
  slots: DecisionSlots,
  req: PendingRequest,
  res: ServerResponse,
  next: (error?: unknown) => void,
  request: ShieldRequest,
  held: ReturnType<typeof holdUnparsedMultipart>,
  deferReport: boolean,
  decision: Decision,
): void {
  if (deferReport) {
    if (leftPendingOrReported(shield, slots, req, res, request, decision)) {
      next();
      return;
    }
  } else {
    notifyIfBodyStageNeverRuns(shield, res, req, slots, decision, request);
  }
  settleExpressDecision(shield, slots, req, res, next, request, held, decision);
}

/**
 * The deferred report of a global check (the closures live here, not in `settle`: there they would cost every
 * request a context). True when a denial is left pending for the route-level check that takes the check over.
 */
function leftPendingOrReported(shield: Shield, slots: DecisionSlots, req: PendingRequest, res: ServerResponse, request: ShieldRequest, decision: Decision): boolean {
  // (Only a global check defers its report, and only a route-level one holds a multipart body.)
  if (!decision.allowed && routeHandsCheckToRouteLevel(req.app, shield, request.method, targetOf(req), req.baseUrl)) {
    req[slots.pending] = decision;
    whenClosed(res, () => settlePending(shield, slots, req, request, decision));
    return true;
  }
  // (The report on 'close' also covers a check whose body stage never ran: `notify` takes it as final.)
  if (decision.allowed) whenClosed(res, () => shield.notify(ownDecision(req, slots) ?? decision, request));
  else shield.notify(decision, request);
  return false;
}

/**
 * The request target the app's router routes from here on, a rewrite before the shield included (`routedTarget`;
 * read only for a lookahead: each read is a lookup).
 */
function targetOf(req: PendingRequest): string {
  return routedTarget(req);
}

/**
 * When the response of a request whose denial waited for the route-level check closes. If that check never took
 * the denial over (a middleware in between answered), the denial was the request's end and no handler ran: the
 * verifiers waiting for its outcome hear `'refused'` (a credential slot the global check reserved is freed, not held
 * until `holdSeconds`). A check that took it over reports the outcome itself, even one still running when a client
 * hangs up. Then the decision is reported, the route-level one when it ran.
 */
function settlePending(shield: Shield, slots: DecisionSlots, req: PendingRequest, request: ShieldRequest, decision: Decision): void {
  if (req[slots.pending] === decision) void shield.reportOutcome(decision, 'refused');
  shield.notify(ownDecision(req, slots) ?? decision, request);
}

export type { Decision, RouteOptions, Shield };
export { expressShieldBody, captureRawBody, type BodyParserVerify } from './express-body.js';
export { expressEndpoints, type ExpressEndpointsOptions } from './express-endpoints.js';
