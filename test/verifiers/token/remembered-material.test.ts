import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hash } from 'node:crypto';
import { rememberMaterial, sameMaterial } from '../../../src/verifiers/token/remembered-material.js';

// The remembered material stands in for the binding digest on a repeat request: it must say "same" exactly when the
// digest would (the SHA-256 of the UTF-8 bytes), and hashing is the fallback whenever it says "not the same".
const sha = (text: string): string => hash('sha256', text, 'hex');

describe('remembered binding material', () => {
  it('recognises the exact material and nothing else', () => {
    const remembered = rememberMaterial('Bearer alice-0001')!;
    expect(sameMaterial(remembered, 'Bearer alice-0001')).toBe(true);
    for (const other of ['Bearer alice-0002', 'Bearer alice-000', 'Bearer alice-00011', 'bearer alice-0001', '', 'Bearer alicé-0001']) {
      expect(sameMaterial(remembered, other)).toBe(false);
    }
  });

  it('keeps nothing of material longer than its buffer (the caller hashes it), and still matches after it', () => {
    const fits = `Bearer ${'a'.repeat(8192 - 7)}`; // 8,192 bytes: the buffer's size
    expect(sameMaterial(rememberMaterial(fits)!, fits)).toBe(true);
    expect(rememberMaterial(`${fits}a`)).toBeUndefined();
    expect(rememberMaterial(`Bearer ${'é'.repeat(4093)}`)).toBeUndefined(); // 4,100 characters, 8,193 UTF-8 bytes
    // Longer material presented against a remembered value is "not the same", and leaves the buffer clean.
    const remembered = rememberMaterial('Bearer bob')!;
    expect(sameMaterial(remembered, `Bearer bob${'a'.repeat(9000)}`)).toBe(false);
    expect(sameMaterial(remembered, 'Bearer bob')).toBe(true);
  });

  it('a value that is a prefix or an extension of the remembered one is not the same', () => {
    const remembered = rememberMaterial('Bearer abcdef')!;
    expect(sameMaterial(remembered, 'Bearer abcdefXYZ')).toBe(false);
    expect(sameMaterial(remembered, 'Bearer abc')).toBe(false);
    expect(sameMaterial(rememberMaterial('Bearer abc\u0000\u0000\u0000')!, 'Bearer abc')).toBe(false);
  });

  it('a longer value presented before leaves nothing behind that spoils the next comparison', () => {
    const remembered = rememberMaterial('Bearer abcdefg')!; // 14 bytes: its last 32-bit word is half padding
    expect(sameMaterial(remembered, 'Bearer abcdefgXYZW')).toBe(false);
    expect(sameMaterial(remembered, 'Bearer abcdefg')).toBe(true);
  });

  it('says "same" exactly when the SHA-256 digests are equal (any Unicode, lone surrogates included)', () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(sameMaterial(rememberMaterial(a)!, b)).toBe(sha(a) === sha(b));
        expect(sameMaterial(rememberMaterial(a)!, a)).toBe(true);
      }),
      { numRuns: 2000 },
    );
    // Near misses: one code unit changed.
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), fc.nat(), fc.integer({ min: 0, max: 0xffff }), (a, at, unit) => {
        const i = at % a.length;
        const b = a.slice(0, i) + String.fromCharCode(unit) + a.slice(i + 1);
        expect(sameMaterial(rememberMaterial(a)!, b)).toBe(sha(a) === sha(b));
      }),
      { numRuns: 2000 },
    );
  });
});
