/**
 * Plain values (no syntax character, see `PLAIN_CLASSES`) skip detection unless a detector that can fire on them
 * claims them (`Detector.readsPlainValues`): this unites those claims into the one test the inspection asks of
 * every plain value.
 */
import { CH } from './char-classes.js';
import type { Detector, LocationKind, ValueRole } from './types.js';
import { compileWordSearch } from './word-search.js';

/** True when some detector claims this plain value: its decoded text, mask, name (lower case), location and role. */
export type PlainClaim = (decoded: string, mask: number, name: string, kind: LocationKind, role: ValueRole) => boolean;

/**
 * The detectors' `readsPlainValues` declarations united into one test: the claiming character classes as one mask,
 * every word in one search (word-search.ts), one case-insensitive pattern of every anchored hint (a floating hint
 * runs alone, behind the character it needs), the key locations as a set, and the name predicates (each cheap or
 * remembering its own answers by name). Cheapest first.
 */
export function compilePlainClaim(detectors: readonly Detector[]): PlainClaim {
  let chars = CH.nonAscii; // always claimed: lower-casing can turn such a value into ASCII (see PlainValueReading)
  const words: string[] = [];
  const hints: string[] = [];
  const gatedHints: { readonly needs: string; readonly hint: RegExp }[] = [];
  const namePredicates: ((name: string) => boolean)[] = [];
  const keyKinds = new Set<LocationKind>();
  for (const d of detectors) {
    const reading = d.readsPlainValues;
    if (reading === undefined) continue;
    chars |= reading.chars ?? 0;
    words.push(...(reading.words ?? []));
    if (reading.hint && reading.hintNeeds !== undefined) {
      // The gate is a plain `includes`, so it cannot be asked to fold case the way the hint's `i` flag does.
      if (reading.hintNeeds.length !== 1 || /[a-z]/i.test(reading.hintNeeds)) throw new Error(`plain-value hint of ${d.category}: hintNeeds must be one non-letter character`);
      gatedHints.push({ needs: reading.hintNeeds, hint: new RegExp(reading.hint.source, 'i') });
    } else if (reading.hint) hints.push(`(?:${reading.hint.source})`);
    if (reading.names) namePredicates.push(reading.names);
    for (const kind of reading.keysIn ?? []) keyKinds.add(kind);
  }
  const hasWord = compileWordSearch(words);
  // Without the `u` flag, `i` folds ASCII letters only; non-ASCII values are claimed whole (see PlainValueReading).
  const hint = hints.length === 0 ? undefined : new RegExp(hints.join('|'), 'i');
  const named = (name: string): boolean => {
    for (const predicate of namePredicates) if (predicate(name)) return true;
    return false;
  };
  const gatedHint = (decoded: string): boolean => {
    for (const { needs, hint } of gatedHints) if (decoded.includes(needs) && hint.test(decoded)) return true;
    return false;
  };
  return (decoded, mask, name, kind, role) =>
    (mask & chars) !== 0 ||
    (role === 'key' && keyKinds.has(kind)) ||
    named(name) ||
    (hint !== undefined && hint.test(decoded)) ||
    gatedHint(decoded) ||
    hasWord(decoded);
}
