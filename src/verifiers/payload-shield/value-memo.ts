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
  readonly depth: number;
  readonly hits: readonly RuleHit[];
}

/** Hits of full detector runs by value, for one request. */
export class ValueMemo {
  /**
   * By value, then by name: a value repeated under many names (an attacker's thousands of keys with one URL) costs
   * one lookup each, not a scan of every context it was seen in. Under one name the contexts left (kind, role,
   * depth) are few: depth is bounded by `maxDepth`.
   */
  private readonly entries = new Map<string, Map<string, MemoEntry[]>>();

  /** The hits the full detector set produced for this exact value and context, or undefined when not seen. */
  recall(raw: string, kind: LocationKind, role: ValueRole, name: string, depth: number): readonly RuleHit[] | undefined {
    const list = this.entries.get(raw)?.get(name);
    if (list === undefined) return undefined;
    for (const e of list) if (e.kind === kind && e.role === role && e.depth === depth) return e.hits;
    return undefined;
  }

  /** Remembers the hits of a complete run of the full detector set (never of a run cut short). */
  remember(raw: string, kind: LocationKind, role: ValueRole, name: string, depth: number, hits: readonly RuleHit[]): void {
    const entry: MemoEntry = { kind, role, depth, hits };
    let byName = this.entries.get(raw);
    if (byName === undefined) this.entries.set(raw, (byName = new Map()));
    const list = byName.get(name);
    if (list === undefined) byName.set(name, [entry]);
    else list.push(entry);
  }
}
