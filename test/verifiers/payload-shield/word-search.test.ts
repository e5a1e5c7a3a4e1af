/**
 * The word automaton (word-search.ts, behind the gates' word mask and the value scan's word groups) must answer
 * exactly what the case-insensitive regex of the same words answers: the plain-value claim's soundness rests on it
 * (a word the scan misses is a value no detector reads). value-scan.test.ts checks the scan's own groups.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GATE, GATE_WORDS, gateWordsOf } from '../../../src/verifiers/payload-shield/gate-words.js';
import { compileWordMask } from '../../../src/verifiers/payload-shield/word-search.js';

/** Whether a string contains one of `words`, by the automaton. */
function groupSearch(words: readonly string[]): (s: string) => boolean {
  const mask = compileWordMask(words);
  return (s) => mask(s) !== 0;
}

/** The reference: the words as one case-insensitive alternation. */
function referenceOf(words: readonly string[]): RegExp {
  return new RegExp(words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'i');
}

/** The reference mask: bit i set when the regex of word i alone matches. */
function referenceMaskOf(words: readonly string[], s: string): number {
  let expected = 0;
  words.forEach((word, i) => {
    if (referenceOf([word]).test(s)) expected |= 1 << i;
  });
  return expected;
}

// Words that overlap, nest and share prefixes and suffixes (failure links matter), with punctuation.
const WORDS = ['script', 'data', 'jar', 'java', 'javascript', '__', '__proto__', '0x', '+ad', '.p', '.inc', 'aced', 'cedar', 'ababc', 'bab', 'cookie'];
// Characters of the words in both cases, near-misses, and non-ASCII look-alikes (the Kelvin sign, a long s, a
// full-width letter, a dotless i) that `/i` without `u` must not fold into ASCII.
const PIECES = [...'scriptdajvx_0+.pinceokbABCDEFIJKOPRSTVX', 'ja', 'scrip', '_', 'ced', 'aba', '\u212a', '\u017f', '\uff53', '\u0131', '\u00e9', ' '];

describe('word automaton', () => {
  const search = groupSearch(WORDS);
  const reference = referenceOf(WORDS);

  it('answers what the case-insensitive regex answers on generated strings (40,000 runs)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES, ...WORDS), { maxLength: 24 }), (parts) => {
        const s = parts.join('');
        expect(search(s)).toBe(reference.test(s));
      }),
      { numRuns: 40_000 },
    );
  });

  it('answers what the regex answers for arbitrary word sets and strings', () => {
    const letter = fc.constantFrom(...'abAB_.');
    fc.assert(
      fc.property(fc.array(fc.string({ unit: letter, minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }), fc.string({ unit: fc.constantFrom(...'abAB_.\u212a'), maxLength: 30 }), (words, s) => {
        expect(groupSearch(words)(s)).toBe(referenceOf(words).test(s));
      }),
      { numRuns: 20_000 },
    );
  });

  it('finds words in any case, at the start, the end and after a partial match', () => {
    expect(search('VBSCRIPT:msgbox')).toBe(true);
    expect(search('xx__')).toBe(true);
    expect(search('jajava')).toBe(true);
    expect(search('abababc')).toBe(true);
    expect(search('shell.PHP')).toBe(true);
    expect(search('London, GB')).toBe(false);
    expect(search('')).toBe(false);
  });

  it('does not match across a non-ASCII character or fold one into ASCII', () => {
    expect(search('scr\u00e9ipt')).toBe(false);
    expect(search('\u017fcript')).toBe(false); // ſ upper-cases to S, but `/i` without `u` does not fold it
    expect(search('coo\u212aie')).toBe(false); // the Kelvin sign lower-cases to k: the inspection claims such values whole
  });

  it('has no match for an empty set and refuses words it cannot search for', () => {
    expect(groupSearch([])('anything')).toBe(false);
    expect(() => groupSearch([''])).toThrow(/not printable ASCII/);
    expect(() => groupSearch(['caf\u00e9'])).toThrow(/not printable ASCII/);
  });
});

describe('compileWordMask', () => {
  it('sets exactly the bits of the words a string contains (generated strings, 40,000 runs)', () => {
    const mask = compileWordMask(WORDS);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES, ...WORDS), { maxLength: 24 }), (parts) => {
        const s = parts.join('');
        expect(mask(s)).toBe(referenceMaskOf(WORDS, s));
      }),
      { numRuns: 40_000 },
    );
  });

  it('refuses more words than one mask holds', () => {
    expect(() => compileWordMask(Array.from({ length: 32 }, (_, i) => `w${i}x`))).toThrow(/at most 31/);
    expect(compileWordMask(Array.from({ length: 31 }, (_, i) => `w${i}x`))('W30X w0x')).toBe((1 << 30) | 1);
  });
});

/** Long values (a note, a description): words anywhere, next to non-ASCII characters, in either answer. */
describe('long values', () => {
  const search = groupSearch(WORDS);
  const mask = compileWordMask(WORDS);
  const reference = referenceOf(WORDS);
  const longValue = fc
    .tuple(fc.array(fc.constantFrom(...PIECES, ...WORDS), { maxLength: 16 }), fc.nat({ max: 900 }), fc.nat({ max: 900 }), fc.constantFrom('x', 'a', 'sc', '\u00e9'))
    .map(([parts, before, after, filler]) => filler.repeat(before) + parts.join('') + filler.repeat(after));

  it('answers what the regex answers, words at any place of values up to ~2,000 characters (5,000 runs)', () => {
    fc.assert(
      fc.property(longValue, (s) => {
        expect(search(s)).toBe(reference.test(s));
        expect(mask(s)).toBe(referenceMaskOf(WORDS, s));
      }),
      { numRuns: 5_000 },
    );
  });

  it('finds a word at every position of a long value', () => {
    for (const length of [256, 1001]) {
      for (let at = 0; at + 'javascript'.length <= length; at++) {
        const s = 'x'.repeat(at) + 'JavaScript' + 'x'.repeat(length - at - 'javascript'.length);
        expect(search(s), `${length}@${at}`).toBe(true);
        expect(mask(s), `${length}@${at}`).toBe((1 << WORDS.indexOf('java')) | (1 << WORDS.indexOf('javascript')) | (1 << WORDS.indexOf('script')));
      }
    }
  });

  it('answers the same for a word at the end, or split by a non-ASCII character, at any length', () => {
    for (const length of [64, 256, 16_384, 100_000]) {
      const without = 'q'.repeat(length);
      const withWord = `${'q'.repeat(length - 6)}cookie`;
      const split = `${'q'.repeat(length - 7)}coo\u00e9kie`.slice(-length);
      expect([search(without), search(withWord), search(split)], String(length)).toEqual([false, true, false]);
      expect([mask(without), mask(withWord), mask(split)], String(length)).toEqual([0, 1 << WORDS.indexOf('cookie'), 0]);
    }
  });
});

describe('gate words', () => {
  it('GATE bits are what indexOf says of the lower-cased value (generated values, 10,000 runs)', () => {
    const pieces = [...GATE_WORDS, ...GATE_WORDS.map((w) => w.slice(0, -1)), ...GATE_WORDS.map((w) => w.slice(1)), 'x', ' ', '(', '.', '_', '\u00e9', '\u212a'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 16 }), (parts) => {
        const lower = parts.join('').toLowerCase();
        const words = gateWordsOf(lower);
        let expected = 0;
        for (const word of GATE_WORDS) if (lower.indexOf(word) !== -1) expected |= GATE[word];
        expect(words, JSON.stringify(lower)).toBe(expected);
      }),
      { numRuns: 10_000 },
    );
  });

  it('names every word by its own bit, __proto__ and constructor included', () => {
    expect(new Set(GATE_WORDS.map((w) => GATE[w])).size).toBe(GATE_WORDS.length);
    expect(gateWordsOf('x.__proto__.y')).toBe(GATE.__proto__ | GATE['.']);
    expect(gateWordsOf('({}).constructor')).toBe(GATE.constructor | GATE['.']);
  });
});
