/**
 * The scan every value gets (value-scan.ts) must find exactly the words of each of its groups, as the
 * case-insensitive regex of the group's words does, whatever path it takes (short values copied, long ones encoded,
 * the longest in chunks): the plain-value claim and the plain test rest on it. Its class mask is checked in
 * char-classes.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_DETECTORS, WEAK_SIGNALS } from '../../../src/verifiers/payload-shield/detectors.js';
import { neededCharacterGroup, scannedWordGroupOf, scannedWords, scanValue, WORD_GROUP } from '../../../src/verifiers/payload-shield/value-scan.js';

const escaped = (word: string): string => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const wordsOf = (detectors: readonly (typeof WEAK_SIGNALS)[]): string[] => detectors.flatMap((d) => d.readsPlainValues?.words ?? []);
const CLAIM_WORDS = wordsOf(BUILTIN_DETECTORS);
const WEAK_WORDS = wordsOf([WEAK_SIGNALS]);

/** Each group's bit and the regex that defines it. */
const REFERENCES: readonly (readonly [number, RegExp])[] = [
  [WORD_GROUP.sqlWords, /union|select/i],
  [WORD_GROUP.claimWords, new RegExp(CLAIM_WORDS.map(escaped).join('|'), 'i')],
  [WORD_GROUP.weakSignalWords, new RegExp(WEAK_WORDS.map(escaped).join('|'), 'i')],
  [neededCharacterGroup('.'), /\./],
];

function expectedWords(s: string): number {
  let words = 0;
  for (const [bit, reference] of REFERENCES) if (reference.test(s)) words |= bit;
  return words;
}

function wordsOfScan(s: string): number {
  scanValue(s);
  return scannedWords();
}

// The groups' words, their halves and near-misses, in both cases, next to non-ASCII look-alikes.
const PIECES = [
  ...CLAIM_WORDS,
  ...WEAK_WORDS,
  'union',
  'SELECT',
  ...CLAIM_WORDS.map((w) => w.slice(1)),
  ...CLAIM_WORDS.map((w) => w.slice(0, -1).toUpperCase()),
  'unio',
  'elect',
  '.',
  ' ',
  'x',
  '\u00e9',
  '\u212a',
  '\u017f',
];

describe('value scan word groups', () => {
  it('sets each group exactly when its regex matches (generated values of any length, 20,000 runs)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 24 }), fc.nat({ max: 120 }), (parts, pad) => {
        const s = 'q'.repeat(pad) + parts.join('');
        expect(wordsOfScan(s), JSON.stringify(s)).toBe(expectedWords(s));
      }),
      { numRuns: 20_000 },
    );
  });

  it('reads a long value as two halves without missing or inventing a word near the half (generated, 5,000 runs)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1200 }), fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 8 }), fc.integer({ min: -40, max: 40 }), (length, parts, shift) => {
        const middle = parts.join('');
        const total = Math.max(256, length + middle.length);
        // The pieces sit around the middle of the UTF-8 bytes (where the second half begins), padded with ASCII.
        const before = Math.max(0, Math.floor((total - middle.length) / 2) + shift);
        const s = 'q'.repeat(before) + middle + 'q'.repeat(Math.max(0, total - before - middle.length));
        expect(wordsOfScan(s), JSON.stringify(s)).toBe(expectedWords(s));
      }),
      { numRuns: 5_000 },
    );
  });

  it('finds a word across a chunk boundary and not across a non-ASCII character', () => {
    for (const at of [16_384 - 3, 16_384 - 1, 2 * 16_384 - 4]) {
      const s = `${'q'.repeat(at)}cookie${'q'.repeat(10)}`;
      expect(wordsOfScan(s), String(at)).toBe(WORD_GROUP.claimWords);
      expect(wordsOfScan(`${'q'.repeat(at)}coo\u00e9kie`), String(at)).toBe(0);
      expect(wordsOfScan(`${'q'.repeat(at)}UNION`), String(at)).toBe(WORD_GROUP.sqlWords);
    }
  });

  it("answers each detector's word with its group and refuses a word no built-in detector declares", () => {
    for (const word of CLAIM_WORDS) expect(scannedWordGroupOf(word, 'xss')).toBe(WORD_GROUP.claimWords);
    for (const word of WEAK_WORDS) expect(scannedWordGroupOf(word, 'sqli')).toBe(WORD_GROUP.weakSignalWords);
    expect(() => scannedWordGroupOf('vbscript-only', 'xss')).toThrow(/not a built-in detector's word/);
    expect(neededCharacterGroup('#')).toBe(0);
  });
});
