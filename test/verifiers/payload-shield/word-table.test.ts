/**
 * The word table must answer exactly what a `Set` of the same words answers for the slice of a range: the SQL
 * tokenizer classifies every keyword, function and package name through it without slicing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extendWordHash, WordTable } from '../../../src/verifiers/payload-shield/word-table.js';

function hashOf(s: string, from: number, to: number): number {
  let hash = 0;
  for (let i = from; i < to; i++) hash = extendWordHash(hash, s.charCodeAt(i));
  return hash;
}

// `Aa`/`BB` and their concatenations share one hash (65·31 + 97 = 66·31 + 66): collisions are probed past.
const WORDS = ['select', 'sel', 'selects', 'union', 'or', 'Aa', 'BB', 'AaBB', 'BBAa', 'AaAa', 'utl_http', 'é'];
const PIECES = [...WORDS, 'BBBB', 'Ab', 'e', 'ct', 's', ' ', '.', '_', 'ü'];

describe('WordTable', () => {
  const table = new WordTable(WORDS.map((word, i) => [word, i] as const));
  const reference = new Set(WORDS);

  it('finds a range exactly when the set holds its slice, with the word and its value (20,000 runs)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 8 }), fc.nat(), fc.nat(), (parts, a, b) => {
        const s = parts.join('');
        const from = s.length === 0 ? 0 : a % (s.length + 1);
        const to = from + (s.length === from ? 0 : b % (s.length - from + 1));
        const slot = table.find(s, from, to, hashOf(s, from, to));
        const slice = s.slice(from, to);
        expect(slot !== -1).toBe(reference.has(slice));
        if (slot !== -1) {
          expect(table.word(slot)).toBe(slice);
          expect(table.value(slot)).toBe(WORDS.indexOf(slice));
        }
      }),
      { numRuns: 20_000 },
    );
  });

  it('tells colliding words apart', () => {
    for (const word of ['Aa', 'BB', 'AaBB', 'BBAa', 'AaAa']) {
      const slot = table.find(`x${word}y`, 1, 1 + word.length, hashOf(word, 0, word.length));
      expect(table.word(slot)).toBe(word);
    }
    expect(table.find('BBBB', 0, 4, hashOf('BBBB', 0, 4))).toBe(-1);
  });
});
