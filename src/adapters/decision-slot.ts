/**
 * Where each shield keeps its own decisions on a request (Express and Fastify `req`, Koa `ctx.state`), beside
 * `shield`, the latest decision of any shield, which is the application's to read. With two shields on one app (a
 * partner API with its own under a prefix, say), each finishes and reuses only its own checks: a decision of the
 * other shield is not this one's earlier stage.
 */
import type { ServerResponse } from 'node:http';
import type { Decision } from '../core/decision.js';
import type { Shield } from '../core/shield.js';
import { onResponseStatus } from './node-http.js';
import { hasRouteLevel } from './route-level.js';

/**
 * A shield's slots: its latest decision, a denial its global middleware left to a route-level check, and the mark
 * that the body was left to that check (its body stage then stays out).
 */
export interface DecisionSlots {
  readonly shield: Shield;
  readonly decision: symbol;
  readonly pending: symbol;
  readonly left: symbol;
}

const slotsByShield = new WeakMap<object, DecisionSlots>();

/** Shields with slots in this copy of the package: with one, no other shield's decision can be on `shield`. */
let shieldsWithSlots = 0;

/** The slots of `shield` (one set per shield, made when its first middleware is created). */
export function decisionSlots(shield: Shield): DecisionSlots {
  let slots = slotsByShield.get(shield);
  if (slots === undefined) {
    slots = {
      shield,
      decision: Symbol('mobile-api-shield.decision'),
      pending: Symbol('mobile-api-shield.pending'),
      left: Symbol('mobile-api-shield.left-to-route-level'),
    };
    slotsByShield.set(shield, slots);
    shieldsWithSlots += 1;
  }
  return slots;
}

/** A holder of decisions: the request (or `ctx.state`) with the application's `shield` and the shields' slots. */
export type DecisionHolder = { shield?: Decision } & { [slot: symbol]: unknown };

/**
 * True when a later middleware of the shield reads its decision back to finish the check (a body stage, a
 * route-level check): the decision then also goes in the shield's own slot, which the application cannot overwrite,
 * so that nothing it does to `shield` makes that middleware skip its part. Without one, `shield` alone holds it: one
 * property fewer to add per request, which on an Express request costs about 2 µs (docs/performance.md).
 */
function slotNeeded(slots: DecisionSlots): boolean {
  return slots.shield.hasBodyStage || hasRouteLevel(slots.shield);
}

/** This shield's latest decision on the request. */
export function ownDecision(holder: DecisionHolder, slots: DecisionSlots): Decision | undefined {
  if (slotNeeded(slots)) return holder[slots.decision] as Decision | undefined;
  const current = holder.shield;
  if (current !== undefined && slots.shield.ownerOf(current) === slots.shield) return current;
  // Another shield's decision replaced it on `shield` (keepDecision moved it to its slot then).
  return shieldsWithSlots > 1 ? (holder[slots.decision] as Decision | undefined) : undefined;
}

/** Keeps a decision as this shield's latest and as the application's `shield`. */
export function keepDecision(holder: DecisionHolder, slots: DecisionSlots, decision: Decision): void {
  if (shieldsWithSlots > 1) keepAnotherShieldsDecision(holder, slots);
  if (slotNeeded(slots)) holder[slots.decision] = decision;
  holder.shield = decision;
}

/** Moves another shield's decision, about to be replaced on `shield`, to that shield's slot (see `ownDecision`). */
function keepAnotherShieldsDecision(holder: DecisionHolder, slots: DecisionSlots): void {
  const current = holder.shield;
  const owner = current === undefined ? undefined : slots.shield.ownerOf(current);
  if (owner === undefined || owner === slots.shield) return;
  const theirs = slotsByShield.get(owner);
  if (theirs !== undefined) holder[theirs.decision] = current;
}

/**
 * Reports the status the client is sent (see `onResponseStatus`) as the outcome of the request to this shield's
 * verifiers waiting for it; its latest decision on the request holds them all (a later stage's, when one ran).
 */
export function reportStatusWhenSent(shield: Shield, response: ServerResponse, holder: DecisionHolder, slots: DecisionSlots, decision: Decision): void {
  onResponseStatus(response, (status) => void shield.reportOutcome(ownDecision(holder, slots) ?? decision, status));
}
