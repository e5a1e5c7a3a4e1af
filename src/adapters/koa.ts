import type { ShieldRequest } from '../core/request.js';
// Types only (erased at build): the composition root's route options and decision, typed with the built-in modules.
import type { Decision, RouteOptions, Shield } from '../shield.js';
import { adapterState, type KoaLikeContext } from './koa-context.js';
import { routeHandsCheckToRouteLevel } from './koa-lookahead.js';
import { koaBodyStageMounted, koaCaptureRawBody, koaRequestView } from './koa-body.js';
import { holdUnparsedMultipart } from './multipart-fields.js';
import { warnNoBodyStage } from './body-stage.js';
import { decisionSlots, keepDecision, notifyIfBodyStageNeverRuns, ownDecision, reportStatusWhenSent } from './decision-slot.js';
import { markGlobalCheck, markRouteLevel } from './route-level.js';
import { assertShield } from './misuse.js';
import { writeKoaProblem } from './koa-response.js';

export type { KoaLikeContext, KoaShieldState } from './koa-context.js';

import type { Middleware as KoaMiddleware } from 'koa';
import type { KoaShieldState } from './koa-context.js';

declare module 'koa' {
  interface DefaultState {
    /** The mobile-api-shield decision for this request (`new Koa()` / `new Router()` apps; see `KoaShieldState`). */
    shield?: Decision;
  }
}

/** The adapter's middleware, typed as it reads the context (Koa 2 and 3). */
type AdapterMiddleware = (ctx: KoaLikeContext, next: () => Promise<unknown>) => Promise<void>;

/**
 * A Koa middleware (Koa 2 and 3) that leaves the decision on `ctx.state.shield`: Koa's own `Middleware` type, so it
 * mounts on `new Koa<MyState>()` apps and @koa/router routes without casts (see docs/types.md).
 */
export type KoaShieldMiddleware = KoaMiddleware<KoaShieldState>;

/**
 * Koa middleware (Koa 2 and 3): `app.use(koaShield(shield))` protects every route; `router.post('/orders',
 * koaShield(shield, { ... }), handler)` with @koa/router sets per-route options, checked once with the route options
 * merged over the global ones (as for Express). The decision is on `ctx.state.shield`. Mount it before the body
 * parser and `koaShieldBody(shield)` after it: the body stage checks `ctx.request.body` as the parser produced it.
 * Without a body stage mounted, a body no parser has read yet is refused 415 where a body-stage verifier applies.
 */
export function koaShield<Extra extends object = object>(shield: Shield<Extra>, route?: (RouteOptions & Extra) | false): KoaShieldMiddleware {
  assertShield(shield, 'koaShield', 'app.use(koaShield(shield))');
  const routeOptions = route === undefined ? undefined : shield.parseRouteOptions(route, 'koaShield(route)');
  const global = routeOptions === undefined;
  const slots = decisionSlots(shield);

  // Not an async function: an allowed decision made synchronously (a token seen before) hands Koa `next()`'s own
  // promise, with no promise or microtask of ours; everything else continues in `settle`.
  const middleware: AdapterMiddleware = function mobileApiShield(ctx, next) {
    // This shield's own earlier check (another shield's decision on `ctx.state.shield` is not one).
    const state = adapterState(ctx);
    const previous = ownDecision(state, slots) ?? (state[slots.pending] as Decision | undefined);
    if (previous !== undefined && global) return next() as Promise<void>;
    const request: ShieldRequest = koaRequestView(ctx, shield);
    const path = request.path;
    // Before the app's parser: leave the body to the body stage when one is mounted (or to the route-level check).
    // A shield without body-stage verifiers never reads a body: no search of the app for a body stage then (a
    // search that finds none is not remembered, since one can be mounted later, so it ran on every request).
    const toRouteLevel =
      global && request.bodyUnparsed === true && slots.routeLevel && routeHandsCheckToRouteLevel(ctx.app.middleware, shield, request.method, path);
    const bodyLater = toRouteLevel || (global && request.bodyUnparsed === true && shield.hasBodyStage && koaBodyStageMounted(ctx, shield));
    if (toRouteLevel) state[slots.left] = true;
    else if (global && request.bodyUnparsed === true && !bodyLater) warnNoBodyStage(shield, 'koaShieldBody(shield)');
    if (bodyLater) koaCaptureRawBody(ctx, shield, request);
    const deferReport = global && slots.routeLevel;
    const reportedByGlobal = !global && previous !== undefined;
    // A route-level check judges the body now: a multipart form its route parser reads later is held meanwhile.
    const held = global ? undefined : holdUnparsedMultipart(ctx.req, request, shield.bodyLimitBytes);
    const checked = shield.checkNow(request, routeOptions, {
      previous,
      stage: bodyLater ? 'headers' : 'all',
      notify: !deferReport && !reportedByGlobal,
    });
    if (!(checked instanceof Promise) && checked.allowed && held === undefined && !deferReport && !shield.wantsOutcome(checked)) {
      keepDecision(state, slots, checked);
      notifyIfBodyStageNeverRuns(shield, ctx.res, state, slots, checked, request);
      return next() as Promise<void>;
    }
    return settle(ctx, next, checked, request, held, deferReport);
  };

  async function settle(
    ctx: KoaLikeContext,
    next: () => Promise<unknown>,
    checked: Decision | Promise<Decision>,
    request: ShieldRequest,
    held: ReturnType<typeof holdUnparsedMultipart>,
    deferReport: boolean,
  ): Promise<void> {
    const decision = checked instanceof Promise ? await checked : checked;
    if (decision.allowed) held?.release();
    else held?.discard();
    if (!decision.allowed) {
      if (deferReport && routeHandsCheckToRouteLevel(ctx.app.middleware, shield, request.method, request.path)) {
        const state = adapterState(ctx);
        state[slots.pending] = decision;
        try {
          await next();
        } finally {
          // The route-level check never ran (the request ended on the way, a parser's error say; that check keeps its
          // decision before anything after it runs): the denial ended the request and no handler ran, so the
          // verifiers waiting for its outcome hear `'refused'` (a reserved credential slot is freed).
          const taken = ownDecision(state, slots);
          if (taken === undefined) void shield.reportOutcome(decision, 'refused');
          shield.notify(taken ?? decision, request);
        }
        return;
      }
      keepDecision(adapterState(ctx), slots, decision);
      if (deferReport) shield.notify(decision, request);
      writeKoaProblem(ctx, shield.respond(decision, request));
      return;
    }
    keepDecision(adapterState(ctx), slots, decision);
    // A deferred report (below) also covers a check whose body stage never ran (`notify` takes it as final).
    if (!deferReport) notifyIfBodyStageNeverRuns(shield, ctx.res, adapterState(ctx), slots, decision, request);
    const wantsOutcome = shield.wantsOutcome(decision);
    if (!wantsOutcome && !deferReport) {
      await next();
      return;
    }
    // The outcome is the status the client is sent, read from the response: a thrown error becomes whatever an error
    // middleware earlier in the chain (or Koa's own handler) makes of it, and a middleware may change the status after us.
    if (wantsOutcome) reportStatusWhenSent(shield, ctx.res, adapterState(ctx), slots, decision);
    try {
      await next();
    } finally {
      if (deferReport) shield.notify(ownDecision(adapterState(ctx), slots) ?? decision, request);
    }
  }
  // The context Koa passes has every part `KoaLikeContext` names; the public type is Koa's own (see KoaShieldMiddleware).
  return (global ? markGlobalCheck(middleware, shield) : markRouteLevel(middleware, shield, routeOptions)) as unknown as KoaShieldMiddleware;
}

export type { Decision, RouteOptions, Shield };
export { koaShieldBody } from './koa-body.js';
export { koaEndpoints, type KoaEndpointsOptions } from './koa-endpoints.js';
