/**
 * Detector results of the values already inspected in one request. Documents repeat values: a webhook body carries
 * the same user and repository objects (a dozen `*_url` strings each) several times over. Every detector is a pure
 * function of the inspected value (string, location kind, role, name, depth) at the request's fixed options, so a
 * value seen again at the same kind, role, name and depth class (`memoDepth`) gets the same hits: they are replayed
 * through `record` at the new location (modes, exclusions and scoring apply there as for a fresh result) instead of
 * re-running every detector. Values that are array elements are not remembered (see `Inspection.inspectString`).
 * Lives for one request only; its size is bounded by the request's inspection budget.
 */
import type { LocationKind, RuleHit, ValueRole } from './types.js';

/** Values shorter than this are not remembered: detecting them costs about what remembering would. */
export const MEMO_MIN_LENGTH = 24;

/**
 * The depths (object levels, `InspectedValue.depth`) the detectors tell apart: the top level (0), one level down
 * (1), and below that (2: every deeper level alike; the SSRF detector's resource-document rule asks `depth >= 2`,
 * no detector asks more). A webhook's `sender.url`, `repository.owner.url` and `pull_request.head.user.url`
 * share one entry. Held by
 * test/verifiers/payload-shield/value-memo.test.ts, which runs every detector on the corpus values at depths 2 to 5.
 */
export function memoDepth(depth: number): number {
  return depth < 2 ? depth : 2;
}

interface MemoEntry {
  readonly name: string;
  readonly kind: LocationKind;
  readonly role: ValueRole;
  readonly depth: number;
  readonly hits: readonly RuleHit[];
}

function matches(e: MemoEntry, kind: LocationKind, role: ValueRole, depth: number): boolean {
  return e.kind === kind && e.role === role && e.depth === depth;
}

/** Hits of full detector runs by value, for one request. */
export class ValueMemo {
  /**
   * By value: the one context it was first seen in (most values are seen once, so this costs one object), or once
   * a value is seen in a second context, by name: a value repeated under many names (an attacker's thousands of
   * keys with one URL) costs one lookup each, not a scan of every context it was seen in. Under one name the
   * contexts left (kind, role, depth) are few: depth is bounded by `maxDepth`.
   */
  private readonly entries = new Map<string, MemoEntry | Map<string, MemoEntry[]>>();

  /** The hits the full detector set produced for this exact value and context, or undefined when not seen. */
  recall(raw: string, kind: LocationKind, role: ValueRole, name: string, depth: number): readonly RuleHit[] | undefined {
    const seen = this.entries.get(raw);
    if (seen === undefined) return undefined;
    if (!(seen instanceof Map)) return seen.name === name && matches(seen, kind, role, depth) ? seen.hits : undefined;
    const list = seen.get(name);
    if (list === undefined) return undefined;
    for (const e of list) if (matches(e, kind, role, depth)) return e.hits;
    return undefined;
  }

  /** Remembers the hits of a complete run of the full detector set (never of a run cut short). */
  remember(raw: string, kind: LocationKind, role: ValueRole, name: string, depth: number, hits: readonly RuleHit[]): void {
    const entry: MemoEntry = { name, kind, role, depth, hits };
    const seen = this.entries.get(raw);
    if (seen === undefined) {
      this.entries.set(raw, entry);
      return;
    }
    let byName: Map<string, MemoEntry[]>;
    if (seen instanceof Map) byName = seen;
    else this.entries.set(raw, (byName = new Map([[seen.name, [seen]]])));
    const list = byName.get(name);
    if (list === undefined) byName.set(name, [entry]);
    else list.push(entry);
  }
}
