/**
 * Plain values (no syntax character, see `PLAIN_CLASSES`, and no SQL word) skip detection unless a detector that
 * can fire on them claims them (`Detector.readsPlainValues`): this decides which values are plain, and unites those
 * claims into the one test the inspection asks of every plain value.
 */
import { isPlainMask, CH, skipRegexSpace } from './char-classes.js';
import type { Detector, LocationKind, ValueRole } from './types.js';
import { neededCharacterGroup, scannedWordGroupOf, WORD_GROUP } from './value-scan.js';

/** Bounds of `PlainValues`' memo of answers by name (a few hundred KiB at most). */
const NAMED_ANSWERS_MAX = 1024;
const NAMED_ANSWER_MAX_LENGTH = 64;

/** Columns of the hint starts' table: one per ASCII second character, and one for a non-ASCII second character or none. */
const START_COLUMNS = 129;

/**
 * Marks one declared start (see `hintStarts`) in `table`, both cases of its letters: a one-character start whatever
 * follows it, a two-character start with that second character. Throws for anything but one or two printable ASCII
 * characters.
 */
function markStart(table: Uint8Array, start: string, category: string): void {
  if (!/^[\x21-\x7e]{1,2}$/.test(start)) throw new Error(`plain-value hint of ${category}: each of hintStarts must be one or two printable ASCII characters`);
  for (const first of new Set([start[0]!.toLowerCase(), start[0]!.toUpperCase()])) {
    const row = START_COLUMNS * first.charCodeAt(0);
    if (start.length === 1) table.fill(1, row, row + START_COLUMNS);
    else for (const second of new Set([start[1]!.toLowerCase(), start[1]!.toUpperCase()])) table[row + second.charCodeAt(0)] = 1;
  }
}

/** True when a value of this class mask and these word groups (`scanValue`, `scannedWords`) is plain. */
export function isPlainValue(mask: number, words: number): boolean {
  return isPlainMask(mask) && (words & WORD_GROUP.sqlWords) === 0;
}

/**
 * The detectors' `readsPlainValues` declarations united into one test: the claiming character classes as one mask,
 * their words and the characters their floating hints need as word groups of the scan every value gets
 * (value-scan.ts), one case-insensitive pattern of every anchored hint (run only on values that can start a match),
 * the key locations as a set, and the name predicates (their answers remembered by name). Cheapest first.
 */
export class PlainValues {
  private readonly chars: number;
  private readonly wordGroups: number;
  private readonly hint: RegExp | undefined;
  /**
   * 1 at `START_COLUMNS * first + second` for each two characters an anchored hint's match can begin with (see
   * `hintStarts`; column 128 stands for a non-ASCII second character or none); undefined when a hint does not say.
   */
  private readonly hintStarts: Uint8Array | undefined;
  private readonly gatedHints: readonly { readonly group: number; readonly hint: RegExp }[];
  /** Every gated hint's group: a value with none of them skips the loop over `gatedHints`. */
  private readonly gatedGroups: number;
  private readonly namePredicates: readonly ((name: string) => boolean)[];
  private readonly keyKinds: ReadonlySet<LocationKind>;

  /** Throws on a declaration the scan cannot answer for (a word or needed character no built-in detector declares). */
  constructor(detectors: readonly Detector[]) {
    let chars = CH.nonAscii; // always claimed: lower-casing can turn such a value into ASCII (see PlainValueReading)
    let wordGroups = 0;
    const hints: string[] = [];
    let hintStarts: Uint8Array | undefined = new Uint8Array(128 * START_COLUMNS);
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
      } else if (reading.hint) {
        hints.push(`(?:${reading.hint.source})`);
        if (reading.hintStarts === undefined) hintStarts = undefined;
        else if (hintStarts) for (const start of reading.hintStarts) markStart(hintStarts, start, d.category);
      }
      if (reading.names) namePredicates.push(reading.names);
      for (const kind of reading.keysIn ?? []) keyKinds.add(kind);
    }
    this.chars = chars;
    this.wordGroups = wordGroups;
    // Without the `u` flag, `i` folds ASCII letters only; non-ASCII values are claimed whole (see PlainValueReading).
    this.hint = hints.length === 0 ? undefined : new RegExp(hints.join('|'), 'i');
    this.hintStarts = hintStarts;
    this.gatedHints = gatedHints;
    this.gatedGroups = gatedHints.reduce((groups, gated) => groups | gated.group, 0);
    this.namePredicates = namePredicates;
    this.keyKinds = keyKinds;
  }

  /**
   * True when some detector claims this plain value: its decoded text, the mask and word groups the scan gave for
   * it, its name (lower case), location and role. A word group holds the words of every built-in detector, so a
   * configuration without some of them claims a few values more than its own words would: those values meet the
   * plain detectors, which find nothing their own claims would not have let through (see PlainValueReading).
   * `nameClaims`: `claimsName(name)` when the caller has it already.
   */
  claims(decoded: string, mask: number, words: number, name: string, kind: LocationKind, role: ValueRole, nameClaims?: boolean): boolean {
    return (
      (mask & this.chars) !== 0 ||
      (words & this.wordGroups) !== 0 ||
      (role === 'key' && this.keyKinds.has(kind)) ||
      (nameClaims ?? this.claimsName(name)) ||
      (this.hint !== undefined && this.mayMatchHint(decoded) && this.hint.test(decoded)) ||
      this.gatedHint(decoded, words)
    );
  }

  /**
   * False when `s` cannot match the anchored hints (a regex call costs more than the rest of the claim): its first
   * two characters past `skipRegexSpace` begin none of the declared starts (`hintStarts`). That skips every character
   * `\s` matches, and others that no hint can start with or skip, on which a hint's match fails anyway.
   */
  private mayMatchHint(s: string): boolean {
    const starts = this.hintStarts;
    if (starts === undefined) return true;
    const i = skipRegexSpace(s, 0);
    if (i >= s.length) return false;
    const second = i + 1 < s.length ? Math.min(s.charCodeAt(i + 1), 128) : 128;
    // The first character is ASCII: skipRegexSpace stops at none other.
    return starts[START_COLUMNS * s.charCodeAt(i) + second] === 1;
  }

  /** `claimsName`'s answers by name: one lookup per value, where the predicates took one or two each. */
  private readonly namedAnswers = new Map<string, boolean>();

  /** True when some detector claims every plain value under `name` (lower case), whatever the value. */
  claimsName(name: string): boolean {
    let answer = this.namedAnswers.get(name);
    if (answer === undefined) {
      answer = this.namePredicates.some((predicate) => predicate(name));
      // Names are keys an attacker chooses: only short ones are kept, and at most NAMED_ANSWERS_MAX.
      if (name.length <= NAMED_ANSWER_MAX_LENGTH) {
        if (this.namedAnswers.size >= NAMED_ANSWERS_MAX) this.namedAnswers.clear();
        this.namedAnswers.set(name, answer);
      }
    }
    return answer;
  }

  private gatedHint(decoded: string, words: number): boolean {
    if ((words & this.gatedGroups) === 0) return false;
    for (const { group, hint } of this.gatedHints) if ((words & group) !== 0 && hint.test(decoded)) return true;
    return false;
  }
}
