/**
 * Detector results of the values already inspected in one request. Documents repeat values: a webhook body carries
 * the same user and repository objects (a dozen `*_url` strings each) several times over. Every detector is a pure
 * function of the inspected value (string, location kind, role, name, depth) at the request's fixed options, so a
 * value seen again at the same kind, role, name and depth gets the same hits: they are replayed through `record`
 * at the new location (modes, exclusions and scoring apply there as for a fresh result) instead of re-running
 * every detector. Values that are array elements are not remembered (see `Inspection.inspectString`). Lives for one
 * request only; its size is bounded by the request's inspection budget.
 */
import type { LocationKind, RuleHit, ValueRole } from './types.js';

/** Values shorter than this are not remembered: detecting them costs about what remembering would. */
export const MEMO_MIN_LENGTH = 24;

interface MemoEntry {
  readonly kind: LocationKind;
  readonly role: ValueRole;
  readonly name: string;
  readonly depth: number;
  readonly hits: readonly RuleHit[];
}

/** Hits of full detector runs by value, for one request. */
export class ValueMemo {
  private readonly entries = new Map<string, MemoEntry[]>();

  /** The hits the full detector set produced for this exact value and context, or undefined when not seen. */
  recall(raw: string, kind: LocationKind, role: ValueRole, name: string, depth: number): readonly RuleHit[] | undefined {
    const list = this.entries.get(raw);
    if (list === undefined) return undefined;
    for (const e of list) if (e.kind === kind && e.role === role && e.name === name && e.depth === depth) return e.hits;
    return undefined;
  }

  /** Remembers the hits of a complete run of the full detector set (never of a run cut short). */
  remember(raw: string, kind: LocationKind, role: ValueRole, name: string, depth: number, hits: readonly RuleHit[]): void {
    const entry: MemoEntry = { kind, role, name, depth, hits };
    const list = this.entries.get(raw);
    if (list === undefined) this.entries.set(raw, [entry]);
    else list.push(entry);
  }
}
