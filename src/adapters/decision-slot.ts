/**
 * Where each shield keeps its own decisions on a request (Express and Fastify `req`, Koa `ctx.state`), beside
 * `shield`, the latest decision of any shield, which is the application's to read. With two shields on one app (a
 * partner API with its own under a prefix, say), each finishes and reuses only its own checks: a decision of the
 * other shield is not this one's earlier stage.
 */
import type { ServerResponse } from 'node:http';
import type { Decision } from '../core/decision.js';
import type { ShieldRequest } from '../core/request.js';
import type { Shield } from '../core/shield.js';
import { onResponseStatus, whenClosed } from './node-http.js';

/**
 * A shield's slots: its latest decision, a denial its global middleware left to a route-level check, and the mark
 * that the body was left to that check (its body stage then stays out).
 */
export interface DecisionSlots {
  readonly shield: Shield;
  /** Set once a route-level middleware of the shield exists (`markRouteLevel`), and never unset. */
  routeLevel: boolean;
  readonly decision: symbol;
  readonly pending: symbol;
  readonly left: symbol;
}

const slotsByShield = new WeakMap<object, DecisionSlots>();

/**
 * How many shields have slots, counted across every copy of the package in the process (an ESM and a CommonJS one,
 * two versions in `node_modules`): their decisions share `shield` on a request, and a copy cannot tell another's.
 */
const SHARED: { shields: number } = ((globalThis as Record<symbol, unknown>)[Symbol.for('mobile-api-shield.decision-slots')] ??= {
  shields: 0,
}) as { shields: number };

/** The slots of `shield` (one set per shield, made when its first middleware is created). */
export function decisionSlots(shield: Shield): DecisionSlots {
  let slots = slotsByShield.get(shield);
  if (slots === undefined) {
    slots = {
      shield,
      routeLevel: false,
      decision: Symbol('mobile-api-shield.decision'),
      pending: Symbol('mobile-api-shield.pending'),
      left: Symbol('mobile-api-shield.left-to-route-level'),
    };
    slotsByShield.set(shield, slots);
    SHARED.shields += 1;
  }
  return slots;
}

/** A holder of decisions: the request (or `ctx.state`) with the application's `shield` and the shields' slots. */
export type DecisionHolder = { shield?: Decision } & { [slot: symbol]: unknown };

/**
 * True when the decision also goes in the shield's own slot, which the application cannot overwrite: when a later
 * middleware of the shield reads it back to finish the check (a body stage, a route-level check), so that nothing an
 * application does to `shield` makes that middleware skip its part, and when another shield (of any copy of the
 * package) may write `shield` too. Otherwise `shield` alone holds it: one property fewer to add per request, which on
 * an Express request costs about 2 µs (docs/performance.md). A second shield whose first middleware is created while
 * requests are in flight moves the first's decision to the first's slot before writing over it (`keepDecision`); one
 * of another copy of the package, loaded while requests are in flight, cannot tell it is a decision and does not.
 */
function slotNeeded(slots: DecisionSlots): boolean {
  return SHARED.shields > 1 || slots.shield.hasBodyStage || slots.routeLevel;
}

/** This shield's latest decision on the request. */
export function ownDecision(holder: DecisionHolder, slots: DecisionSlots): Decision | undefined {
  if (slotNeeded(slots)) {
    const kept = holder[slots.decision] as Decision | undefined;
    if (kept !== undefined) return kept;
  }
  // Kept on `shield` alone, or before a slot was needed (a route-level middleware created after the request's global
  // check): a decision of this shield there is its latest, since any later one of it would be in the slot too.
  const current = holder.shield;
  return current !== undefined && slots.shield.ownerOf(current) === slots.shield ? current : undefined;
}

/** Keeps a decision as this shield's latest and as the application's `shield`. */
export function keepDecision(holder: DecisionHolder, slots: DecisionSlots, decision: Decision): void {
  if (slotNeeded(slots)) {
    holder[slots.decision] = decision;
    if (SHARED.shields > 1) keepAnotherShieldsDecision(holder, slots);
  }
  holder.shield = decision;
}

/**
 * Moves another shield's decision, about to be written over on `shield`, to that shield's empty slot: it is there
 * alone when it was kept while that shield was the only one. A slot already kept is that shield's latest and stays.
 */
function keepAnotherShieldsDecision(holder: DecisionHolder, slots: DecisionSlots): void {
  const current = holder.shield;
  const owner = current === undefined ? undefined : slots.shield.ownerOf(current);
  if (owner === undefined || owner === slots.shield) return;
  const theirs = slotsByShield.get(owner);
  if (theirs !== undefined && holder[theirs.decision] === undefined) holder[theirs.decision] = current;
}

/**
 * Reports the status the client is sent (see `onResponseStatus`) as the outcome of the request to this shield's
 * verifiers waiting for it; its latest decision on the request holds them all (a later stage's, when one ran).
 */
export function reportStatusWhenSent(shield: Shield, response: ServerResponse, holder: DecisionHolder, slots: DecisionSlots, decision: Decision): void {
  onResponseStatus(response, (status) => void shield.reportOutcome(ownDecision(holder, slots) ?? decision, status));
}

/**
 * Reports a check the header stage left waiting for the body stage (`complete: false`) if the request ends without
 * it: when the response closes (after it finished, or on a hang-up) and this shield's latest decision on the request
 * still waits, the body stage never ran (the app's parser refused the body, the client hung up mid-body) and never
 * will, so `notify` reports that decision as the request's final one (the core reports a request once). One listener,
 * added only for such checks and only when there is an `onDecision` to tell; a complete decision costs one read.
 */
export function notifyIfBodyStageNeverRuns(
  shield: Shield,
  response: ServerResponse,
  holder: DecisionHolder,
  slots: DecisionSlots,
  decision: Decision,
  request: ShieldRequest,
): void {
  if (decision.complete || shield.config.onDecision === undefined) return;
  notifyFinalOnClose(shield, response, holder, slots, decision, request);
}

/** The listener of `notifyIfBodyStageNeverRuns`, apart from it: its closure would cost every call a context. */
function notifyFinalOnClose(
  shield: Shield,
  response: ServerResponse,
  holder: DecisionHolder,
  slots: DecisionSlots,
  decision: Decision,
  request: ShieldRequest,
): void {
  whenClosed(response, () => {
    const latest = ownDecision(holder, slots) ?? decision;
    if (!latest.complete) shield.notify(latest, request);
  });
}
