/**
 * Plain values (no syntax character, see `PLAIN_CLASSES`, and no SQL word) skip detection unless a detector that
 * can fire on them claims them (`Detector.readsPlainValues`): this decides which values are plain, and unites those
 * claims into the one test the inspection asks of every plain value.
 */
import { isPlainMask, CH } from './char-classes.js';
import type { Detector, LocationKind, ValueRole } from './types.js';
import { neededCharacterGroup, scannedWordGroupOf, WORD_GROUP } from './value-scan.js';

/** True when a value of this class mask and these word groups (`scanValue`, `scannedWords`) is plain. */
export function isPlainValue(mask: number, words: number): boolean {
  return isPlainMask(mask) && (words & WORD_GROUP.sqlWords) === 0;
}

/**
 * The detectors' `readsPlainValues` declarations united into one test: the claiming character classes as one mask,
 * their words and the characters their floating hints need as word groups of the scan every value gets
 * (value-scan.ts), one case-insensitive pattern of every anchored hint, the key locations as a set, and the name
 * predicates (each cheap or remembering its own answers by name). Cheapest first.
 */
export class PlainValues {
  private readonly chars: number;
  private readonly wordGroups: number;
  private readonly hint: RegExp | undefined;
  private readonly gatedHints: readonly { readonly group: number; readonly hint: RegExp }[];
  private readonly namePredicates: readonly ((name: string) => boolean)[];
  private readonly keyKinds: ReadonlySet<LocationKind>;

  /** Throws on a declaration the scan cannot answer for (a word or needed character no built-in detector declares). */
  constructor(detectors: readonly Detector[]) {
    let chars = CH.nonAscii; // always claimed: lower-casing can turn such a value into ASCII (see PlainValueReading)
    let wordGroups = 0;
    const hints: string[] = [];
    const gatedHints: { readonly group: number; readonly hint: RegExp }[] = [];
    const namePredicates: ((name: string) => boolean)[] = [];
    const keyKinds = new Set<LocationKind>();
    for (const d of detectors) {
      const reading = d.readsPlainValues;
      if (reading === undefined) continue;
      chars |= reading.chars ?? 0;
      for (const word of reading.words ?? []) wordGroups |= scannedWordGroupOf(word, d.category);
      if (reading.hint && reading.hintNeeds !== undefined) {
        // The scan folds ASCII letters only, the way the hint's `i` flag does; a letter would be no gate anyway.
        if (reading.hintNeeds.length !== 1 || /[a-z]/i.test(reading.hintNeeds)) throw new Error(`plain-value hint of ${d.category}: hintNeeds must be one non-letter character`);
        const group = neededCharacterGroup(reading.hintNeeds);
        if (group === 0) throw new Error(`plain-value hint of ${d.category}: no built-in detector needs ${JSON.stringify(reading.hintNeeds)}, so the value scan does not look for it`);
        gatedHints.push({ group, hint: new RegExp(reading.hint.source, 'i') });
      } else if (reading.hint) hints.push(`(?:${reading.hint.source})`);
      if (reading.names) namePredicates.push(reading.names);
      for (const kind of reading.keysIn ?? []) keyKinds.add(kind);
    }
    this.chars = chars;
    this.wordGroups = wordGroups;
    // Without the `u` flag, `i` folds ASCII letters only; non-ASCII values are claimed whole (see PlainValueReading).
    this.hint = hints.length === 0 ? undefined : new RegExp(hints.join('|'), 'i');
    this.gatedHints = gatedHints;
    this.namePredicates = namePredicates;
    this.keyKinds = keyKinds;
  }

  /**
   * True when some detector claims this plain value: its decoded text, the mask and word groups the scan gave for
   * it, its name (lower case), location and role. A word group holds the words of every built-in detector, so a
   * configuration without some of them claims a few values more than its own words would: those values meet the
   * plain detectors, which find nothing their own claims would not have let through (see PlainValueReading).
   */
  claims(decoded: string, mask: number, words: number, name: string, kind: LocationKind, role: ValueRole): boolean {
    return (
      (mask & this.chars) !== 0 ||
      (words & this.wordGroups) !== 0 ||
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
    for (const { group, hint } of this.gatedHints) if ((words & group) !== 0 && hint.test(decoded)) return true;
    return false;
  }
}
