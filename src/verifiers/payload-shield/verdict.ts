/** The payload shield's verdict type and the helpers that build and describe one (value-free details). */
import type { ShieldCode } from '../../core/codes.js';
import type { LimitViolation } from './limits.js';
import type { LocatedHit } from './types.js';

/** The outcome of an inspection. `hits` lists every recorded match (monitored ones too), never values. */
export type PayloadVerdict =
  | {
      readonly action: 'allow';
      readonly score: number;
      readonly hits: readonly LocatedHit[];
      /** Set when the budget ran out with `budgetExhausted: 'allow'`: which limit, and where inspection stopped. */
      readonly incomplete?: LimitViolation;
    }
  | {
      readonly action: 'deny';
      readonly code: ShieldCode;
      readonly detail: string;
      readonly score: number;
      readonly hits: readonly LocatedHit[];
    };

/** Hits named in a verdict's detail at most (the rest are counted). */
export const MAX_DETAIL_HITS = 10;
/** The empty hit list, shared. */
export const NO_HITS: readonly LocatedHit[] = Object.freeze([]);

/** The denial for a structural limit or an exhausted budget (`deny`). */
export function limitDeny(v: LimitViolation): PayloadVerdict {
  return { action: 'deny', code: v.code, detail: `limit ${v.limit} exceeded at ${v.location}`, score: 0, hits: NO_HITS };
}

/** `rule@location` for each hit, the first `MAX_DETAIL_HITS` of them. */
export function describeHits(hits: readonly LocatedHit[]): string {
  const parts: string[] = [];
  for (const h of hits) {
    if (parts.length === MAX_DETAIL_HITS) {
      parts.push(`+${hits.length - MAX_DETAIL_HITS} more`);
      break;
    }
    parts.push(`${h.ruleId}@${h.location}${h.monitored ? '(monitor)' : ''}`);
  }
  return parts.join(',');
}
