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

/**
 * A shield's slots: its latest decision, a denial its global middleware left to a route-level check, and the mark
 * that the body was left to that check (its body stage then stays out).
 */
export interface DecisionSlots {
  readonly decision: symbol;
  readonly pending: symbol;
  readonly left: symbol;
}

const slotsByShield = new WeakMap<object, DecisionSlots>();

/** The slots of `shield` (one pair per shield, made when its first middleware is created). */
export function decisionSlots(shield: object): DecisionSlots {
  let slots = slotsByShield.get(shield);
  if (slots === undefined) {
    slots = {
      decision: Symbol('mobile-api-shield.decision'),
      pending: Symbol('mobile-api-shield.pending'),
      left: Symbol('mobile-api-shield.left-to-route-level'),
    };
    slotsByShield.set(shield, slots);
  }
  return slots;
}

/** A holder of decisions: the request (or `ctx.state`) with the application's `shield` and the shields' slots. */
export type DecisionHolder = { shield?: Decision } & { [slot: symbol]: unknown };

/** This shield's latest decision on the request. */
export function ownDecision(holder: DecisionHolder, slots: DecisionSlots): Decision | undefined {
  return holder[slots.decision] as Decision | undefined;
}

/** Keeps a decision as this shield's latest and as the application's `shield`. */
export function keepDecision(holder: DecisionHolder, slots: DecisionSlots, decision: Decision): void {
  holder[slots.decision] = decision;
  holder.shield = decision;
}

/**
 * Reports the status the client is sent (see `onResponseStatus`) as the outcome of the request to this shield's
 * verifiers waiting for it; its latest decision on the request holds them all (a later stage's, when one ran).
 */
export function reportStatusWhenSent(shield: Shield, response: ServerResponse, holder: DecisionHolder, slots: DecisionSlots, decision: Decision): void {
  onResponseStatus(response, (status) => void shield.reportOutcome(ownDecision(holder, slots) ?? decision, status));
}
