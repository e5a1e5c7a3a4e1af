/**
 * `charMask` (value-scan.ts) answers the same on all of its paths (short values copied character by character,
 * longer ones encoded to UTF-8, the longest read in chunks): checked against a definition written character by
 * character, on generated values of many lengths and at the chunk boundaries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CH, lastCharacterTable } from '../../../src/verifiers/payload-shield/char-classes.js';
import { scanValue as charMask } from '../../../src/verifiers/payload-shield/value-scan.js';

/** The definition: each character's classes, PAIR characters by the character after them. */
function referenceMask(s: string): number {
  const single: Record<string, number> = {
    "'": CH.quote, '"': CH.quote, '`': CH.backtick, '<': CH.lt, '>': CH.gt, '(': CH.paren, ')': CH.paren, ';': CH.semicolon,
    '|': CH.pipe, '&': CH.amp, $: CH.dollar, '{': CH.brace, '}': CH.brace, '\\': CH.backslash, '%': CH.percent, ':': CH.colon,
    '=': CH.equals, '*': CH.star, '#': CH.hash, '@': CH.at, '\n': CH.newline, '\r': CH.newline, '\0': CH.nul, '[': CH.bracket,
    ']': CH.bracket, '!': CH.bang, '~': CH.bang, '^': CH.bang,
  };
  let mask = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const next = s[i + 1];
    if (ch.charCodeAt(0) >= 0x80) mask |= CH.nonAscii;
    else if (ch === '/') mask |= CH.slash | (next === '*' ? CH.sqlComment : 0);
    else if (ch === '.') mask |= next === '.' ? CH.dotDot : 0;
    else if (ch === '-') mask |= next === '-' ? CH.sqlComment : 0;
    else mask |= single[ch] ?? 0;
  }
  return mask;
}

// Every classed character, the PAIR characters next to each other, letters, and non-ASCII: accented, a lone
// surrogate of each kind, a pair, the Kelvin sign.
const PIECES = [...'\'"`<>()|;&$\\{}%:=*#@\n\r\0[]!~^/.-', '/*', '..', '--', 'abc', 'XYZ 09', '\u00e9', '\ud800', '\udc00', '\ud83d\ude00', '\u212a'];

describe('charMask', () => {
  it('matches the definition on generated values of many lengths (3,000 runs)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }), fc.nat({ max: 700 }), fc.nat({ max: 700 }), (parts, before, after) => {
        const s = 'a'.repeat(before) + parts.join('') + 'b'.repeat(after);
        expect(charMask(s), JSON.stringify(parts)).toBe(referenceMask(s));
      }),
      { numRuns: 3_000 },
    );
  });

  it('reads a PAIR character at the end of a value as the end', () => {
    expect(charMask(`${'x'.repeat(300)}/*`)).toBe(CH.slash | CH.sqlComment | CH.star);
    expect(charMask(`${'x'.repeat(300)}/`)).toBe(CH.slash);
    expect(charMask(`${'x'.repeat(300)}-`)).toBe(0);
    expect(charMask('.')).toBe(0);
  });

  it('gives the same answer on both sides of the encoding boundary and for long values', () => {
    for (const length of [31, 32, 33, 39, 40, 41, 256, 16_384]) {
      for (const tail of ['..', '\u00e9/*', '--x', 'plain']) {
        const s = 'y'.repeat(length - tail.length) + tail;
        expect(charMask(s), `${length} ${tail}`).toBe(referenceMask(s));
      }
    }
  });

  it('reads pairs, non-ASCII characters and surrogate pairs split by a chunk boundary (every 16,384 characters)', () => {
    for (const piece of ['/*', '..', '--', '\ud83d\ude00', '\u00e9.', 'a/', '-a']) {
      for (const at of [16_384 - 1, 2 * 16_384 - 1]) {
        const s = 'q'.repeat(at) + piece + 'q'.repeat(3);
        expect(charMask(s), `${JSON.stringify(piece)} at ${at}`).toBe(referenceMask(s));
      }
    }
  });
});

describe('lastCharacterTable', () => {
  it('marks each word\'s last character and nothing else; codes past the table read nothing', () => {
    const table = lastCharacterTable(['ini', 'conf', 'log']);
    const marked = [...table.keys()].filter((c) => table[c] === 1).map((c) => String.fromCharCode(c));
    expect(marked).toEqual(['f', 'g', 'i']);
    expect(table['x'.charCodeAt(-1)]).toBeUndefined();
    expect(table[0x2022]).toBeUndefined();
  });
});
