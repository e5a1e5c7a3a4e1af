/**
 * `startsWithCommandWord` reads a value's first word in place instead of lower-casing the value: it must give
 * the answer of the expression it replaces for every string, Unicode case folding included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMMAND_LINE_WORDS, firstWord, startsWithCommandWord } from '../../../src/verifiers/payload-shield/cmdi-command-line.js';

const reference = (raw: string): boolean => raw.length >= 6 && COMMAND_LINE_WORDS.has(firstWord(raw.toLowerCase()));

// Command words in several cases, their pieces, separators, and characters whose lower case is ASCII or longer.
const words = [...COMMAND_LINE_WORDS];
const piece = fc.oneof(
  fc.constantFrom(...words),
  fc.constantFrom(...words).map((w) => w.toUpperCase()),
  fc.constantFrom(...words).map((w) => w.slice(0, Math.max(1, w.length - 1))),
  fc.constantFrom(' ', '\t', '  ', ' '.repeat(30), '.', '-', '/', '0', '9', 'x', 'Z', '\u212A', '\u0130', 'ß', 'Σ', 'é', '\u00A0', 'ﬀ'),
  fc.string({ maxLength: 3 }),
  fc.string({ unit: 'binary', maxLength: 2 }),
);
const value = fc.array(piece, { maxLength: 8 }).map((parts) => parts.join(''));

describe('startsWithCommandWord', () => {
  it('agrees with lower-casing the value and reading its first word', () => {
    fc.assert(fc.property(value, (raw) => startsWithCommandWord(raw) === reference(raw)), { numRuns: 20_000 });
  });

  it('answers the cases the fast path has to hand over', () => {
    const cases = [
      'whoami', 'WHOAMI -a', '  \twhoami', 'tas\u212Akill /f', '\u0130d -u x', 'whoami\u0130x', 'uname-a', 'un ame -a',
      ' '.repeat(20) + 'whoami', 'powershell.exe -enc', 'powershell.exeX', 'ls -la /', 'lsof -i :80', 'Leave at door',
      'systeminfo', 'SysteMinfo\u00A0', 'x'.repeat(700), 'ncat 10.0.0.1 4444', 'nc', 'sleep 10', 'Sleepy town',
    ];
    for (const raw of cases) expect(startsWithCommandWord(raw), JSON.stringify(raw)).toBe(reference(raw));
    expect(startsWithCommandWord('tas\u212Akill /f')).toBe(true);
    expect(startsWithCommandWord('whoami')).toBe(true);
    expect(startsWithCommandWord(' '.repeat(20) + 'whoami')).toBe(true);
    expect(startsWithCommandWord('Sleepy town')).toBe(false);
  });
});
