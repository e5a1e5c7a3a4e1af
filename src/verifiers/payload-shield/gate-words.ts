/**
 * Substrings the detectors look for before running their patterns (`runtime` before the Java process-execution
 * pattern, `require` before the module-load one). Each used to be an `indexOf` of its own, a dozen or more per value
 * for some detectors; one pass per inspected value (word-search.ts) now finds all of them, and a detector tests a
 * bit of `InspectedValue.gates`. Exact: bit `GATE.x` is set when `value.lower` contains the word, as `indexOf` said.
 */
import { compileWordMask } from './word-search.js';

/** The gate words, each one bit of `InspectedValue.gates` (at most 31). */
const WORDS = [
  // Java
  'aced', 'class', 'classloader', 'h4sia', 'java.', 'process', 'ro0ab', 'runtime', 'script', 'transformer', 'ysoserial', '.',
  // Node.js server-side JavaScript
  '__proto__', 'child_process', 'constructor', 'function', 'module', 'require',
  // PHP
  '.inc', '.p', '.s', '://', 'include', 'convert.',
  // NoSQL server-side JavaScript
  'date', 'db', 'return', 'sleep', 'this',
  // Traversal: separators spelled in hex
  '0x',
] as const;

type GateWord = (typeof WORDS)[number];

/** The bit of each gate word in `InspectedValue.gates`. */
export const GATE = Object.freeze(Object.fromEntries(WORDS.map((word, i) => [word, 1 << i]))) as Readonly<Record<GateWord, number>>;

/** Bit `GATE[w]` set for every gate word `w` that `lower` (a lower-cased value) contains. */
export const gateWordsOf = compileWordMask(WORDS);

/** The gate words themselves, for tests. */
export const GATE_WORDS: readonly GateWord[] = WORDS;
