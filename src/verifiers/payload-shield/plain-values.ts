/**
 * Plain values (no syntax character, see `PLAIN_CLASSES`, and no SQL word) skip detection unless a detector that
 * can fire on them claims them (`Detector.readsPlainValues`): this decides which values are plain, and unites those
 * claims into the one test the inspection asks of every plain value.
 */
import { isPlainMask, CH } from './char-classes.js';
import type { Detector, LocationKind, ValueRole } from './types.js';
import { MAX_WORD_GROUPS, ValueScanner } from './value-scan.js';

/** Word group of `union` and `select`: a value containing one is not plain (every detector reads it). */
const SQL_WORDS = 1 << 0;
/** Word group of the detectors' `words`. */
const CLAIM_WORDS = 1 << 1;
/** The group of the first floating hint's `hintNeeds`; the next hint's is the next bit. */
const FIRST_NEEDS_GROUP = 2;

/**
 * The detectors' `readsPlainValues` declarations united into one test: the claiming character classes as one mask,
 * every word in the scanner's pass (value-scan.ts), one case-insensitive pattern of every anchored hint (a floating
 * hint runs alone, on the values that contain the character it needs), the key locations as a set, and the name
 * predicates (each cheap or remembering its own answers by name). Cheapest first.
 */
export class PlainValues {
  /** Scans every inspected value: its class mask and word groups, the inputs of `isPlain` and `claims`. */
  readonly scanner: ValueScanner;
  private readonly chars: number;
  private readonly hint: RegExp | undefined;
  private readonly gatedHints: readonly RegExp[];
  private readonly namePredicates: readonly ((name: string) => boolean)[];
  private readonly keyKinds: ReadonlySet<LocationKind>;

  constructor(detectors: readonly Detector[]) {
    let chars = CH.nonAscii; // always claimed: lower-casing can turn such a value into ASCII (see PlainValueReading)
    const words: string[] = [];
    const hints: string[] = [];
    const gatedHints: RegExp[] = [];
    const needs: string[][] = [];
    const namePredicates: ((name: string) => boolean)[] = [];
    const keyKinds = new Set<LocationKind>();
    for (const d of detectors) {
      const reading = d.readsPlainValues;
      if (reading === undefined) continue;
      chars |= reading.chars ?? 0;
      words.push(...(reading.words ?? []));
      if (reading.hint && reading.hintNeeds !== undefined) {
        // The scanner folds ASCII letters only, the way the hint's `i` flag does; a letter would be no gate anyway.
        if (reading.hintNeeds.length !== 1 || /[a-z]/i.test(reading.hintNeeds)) throw new Error(`plain-value hint of ${d.category}: hintNeeds must be one non-letter character`);
        if (FIRST_NEEDS_GROUP + needs.length === MAX_WORD_GROUPS) throw new Error(`plain-value hints: at most ${MAX_WORD_GROUPS - FIRST_NEEDS_GROUP} may give hintNeeds`);
        gatedHints.push(new RegExp(reading.hint.source, 'i'));
        needs.push([reading.hintNeeds]);
      } else if (reading.hint) hints.push(`(?:${reading.hint.source})`);
      if (reading.names) namePredicates.push(reading.names);
      for (const kind of reading.keysIn ?? []) keyKinds.add(kind);
    }
    this.scanner = new ValueScanner([['union', 'select'], words, ...needs]);
    this.chars = chars;
    // Without the `u` flag, `i` folds ASCII letters only; non-ASCII values are claimed whole (see PlainValueReading).
    this.hint = hints.length === 0 ? undefined : new RegExp(hints.join('|'), 'i');
    this.gatedHints = gatedHints;
    this.namePredicates = namePredicates;
    this.keyKinds = keyKinds;
  }

  /** True when a value of this class mask and these word groups (from `scanner`) is plain. */
  isPlain(mask: number, words: number): boolean {
    return isPlainMask(mask) && (words & SQL_WORDS) === 0;
  }

  /**
   * True when some detector claims this plain value: its decoded text, the mask and word groups `scanner` gave for
   * it, its name (lower case), location and role.
   */
  claims(decoded: string, mask: number, words: number, name: string, kind: LocationKind, role: ValueRole): boolean {
    return (
      (mask & this.chars) !== 0 ||
      (words & CLAIM_WORDS) !== 0 ||
      (role === 'key' && this.keyKinds.has(kind)) ||
      this.named(name) ||
      (this.hint !== undefined && this.hint.test(decoded)) ||
      this.gatedHint(decoded, words)
    );
  }

  private named(name: string): boolean {
    for (const predicate of this.namePredicates) if (predicate(name)) return true;
    return false;
  }

  private gatedHint(decoded: string, words: number): boolean {
    for (let i = 0; i < this.gatedHints.length; i++) {
      if ((words & (1 << (FIRST_NEEDS_GROUP + i))) !== 0 && this.gatedHints[i]!.test(decoded)) return true;
    }
    return false;
  }
}
