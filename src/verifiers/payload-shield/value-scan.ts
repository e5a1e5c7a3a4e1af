/**
 * One pass over a value answers what the inspection asks of every string before it picks detectors: its character
 * classes (char-classes.ts) and which groups of words it contains (the SQL words that make a value not plain, the
 * words the built-in detectors claim plain values by, the characters their floating hints need: see
 * plain-values.ts). Those answers took three passes before, each reading every character with `charCodeAt`, which
 * costs about 20 instructions a character here; this pass reads bytes: a long value is encoded to UTF-8 by one native
 * call, a short one, for which that call costs more than it saves, is read character by character.
 *
 * The tables the loop reads are module constants, built once from the built-in detectors' declarations: V8 folds a
 * constant typed array into the loop's code, where one reached through an object costs a map check and three loads
 * per character (the build keeps them `const`: scripts/top-level-const.mjs).
 */
import { CH, CLASS_BITS } from './char-classes.js';
import { BUILTIN_DETECTORS, WEAK_SIGNALS } from './detectors.js';
import type { Detector } from './types.js';
import { ASCII, buildAutomaton } from './word-search.js';

/** The words every detector of `detectors` claims plain values by (`readsPlainValues.words`). */
function claimWordsOf(detectors: readonly Detector[]): string[] {
  return detectors.flatMap((d) => d.readsPlainValues?.words ?? []);
}

/** The characters floating hints need (`readsPlainValues.hintNeeds`), each once, in code order. */
const NEEDED_CHARACTERS = [...new Set([...BUILTIN_DETECTORS, WEAK_SIGNALS].flatMap((d) => d.readsPlainValues?.hintNeeds ?? []))].sort();

/** The words of the `claimWords` and `weakSignalWords` groups (see WORD_GROUP). */
const CLAIM_WORDS = claimWordsOf(BUILTIN_DETECTORS);
const WEAK_SIGNAL_WORDS = claimWordsOf([WEAK_SIGNALS]);

/**
 * The scan's word groups, in bit order. The first two are the classes one character cannot tell (`/*` and `--` are
 * `sqlComment`, `..` is `dotDot`); the others reach callers, shifted past those two, as `WORD_GROUP` bits and
 * `neededCharacterGroup`.
 */
const GROUPS: readonly (readonly string[])[] = [
  ['/*', '--'],
  ['..'],
  ['union', 'select'],
  CLAIM_WORDS,
  WEAK_SIGNAL_WORDS,
  ...NEEDED_CHARACTERS.map((c) => [c]),
];
/** Groups before the callers' ones (the pair classes), and their bits. */
const PAIR_GROUPS = 2;
const SQL_COMMENT_BIT = 1 << 0;
const DOT_DOT_BIT = 1 << 1;

/** Bits of `scannedWords()`: GROUPS' third to fifth groups. */
export const WORD_GROUP = {
  /** `union` or `select`: the value is not plain. */
  sqlWords: 1 << 0,
  /** A word some built-in detector claims plain values by (weak signals aside). */
  claimWords: 1 << 1,
  /** A word the weak-signals detector (paranoia 2 and above) claims plain values by. */
  weakSignalWords: 1 << 2,
} as const;
/** The `scannedWords()` bit of the first needed character's group (they follow WORD_GROUP's). */
const FIRST_NEEDED_CHARACTER_BIT = 1 << 3;

/**
 * The `scannedWords()` group holding `word` (`claimWords` or `weakSignalWords`). Throws for a word no built-in
 * detector declares: the scan would never find it (`category` names the declaring detector in the message).
 */
export function scannedWordGroupOf(word: string, category: string): number {
  if (CLAIM_WORDS.includes(word)) return WORD_GROUP.claimWords;
  if (WEAK_SIGNAL_WORDS.includes(word)) return WORD_GROUP.weakSignalWords;
  throw new Error(`plain-value word ${JSON.stringify(word)} of ${category}: not a built-in detector's word, so the value scan does not look for it`);
}

/** The `scannedWords()` bit of a character a floating hint needs, 0 when no built-in detector's hint needs it. */
export function neededCharacterGroup(character: string): number {
  const index = NEEDED_CHARACTERS.indexOf(character);
  return index === -1 ? 0 : FIRST_NEEDED_CHARACTER_BIT << index;
}

/** Columns of TABLE: one per byte value, so a byte indexes its row without a test (non-ASCII bytes lead back to the start). */
const COLUMNS = 256;

/**
 * The automaton over every group's words (word-search.ts), one row of COLUMNS entries per state: an entry is the
 * target state's row offset (a multiple of 2^8) with the groups ending in that state in its low 8 bits, so one load
 * per byte yields both.
 */
const TABLE: Int32Array = (() => {
  if (GROUPS.length > 8) throw new Error(`value scan: ${GROUPS.length} word groups, at most 8 fit a table entry`);
  const { delta, ends } = buildAutomaton(
    GROUPS.flat(),
    GROUPS.flatMap((group, g) => group.map(() => 1 << g)),
  );
  const states = delta.length / ASCII;
  const table = new Int32Array(states * COLUMNS); // bytes 128 to 255: 0, the start state with no group
  for (let state = 0; state < states; state++) {
    for (let c = 0; c < ASCII; c++) {
      const target = delta[state * ASCII + c]! / ASCII;
      table[state * COLUMNS + c] = target * COLUMNS + ends[target]!;
    }
  }
  return table;
})();

/** Values at least this long are encoded by `TextEncoder.encodeInto`; shorter ones are read character by character (see the file's TSDoc). */
const ENCODE_FROM_LENGTH = 40;
/** Characters read per chunk: a value longer than this is read chunk by chunk, the automaton's state carried over. */
const CHUNK = 16 * 1024;
/** What every scan reads, shared: scans are synchronous. UTF-8 takes at most 3 bytes per UTF-16 code unit. */
const BYTES = new Uint8Array(3 * CHUNK);
const ENCODER = new TextEncoder();

/** The state of the scan in progress (and the answer of the last one): mask, word groups, automaton entry. */
const state = { mask: 0, words: 0, entry: 0 };

/**
 * The class mask of `s` (see char-classes.ts); `scannedWords()` then gives its word groups. Linear; a value of
 * `ENCODE_FROM_LENGTH` characters or more allocates `encodeInto`'s small result per chunk (and a slice per chunk
 * when it has more than one), a shorter one nothing.
 */
export function scanValue(s: string): number {
  const n = s.length;
  state.mask = 0;
  state.words = 0;
  state.entry = 0;
  if (n < ENCODE_FROM_LENGTH) {
    readChars(s, n);
  } else {
    for (let from = 0; from < n; from += CHUNK) {
      const to = Math.min(n, from + CHUNK);
      readBytes(ENCODER.encodeInto(from === 0 && to === n ? s : s.slice(from, to), BYTES).written);
    }
  }
  if ((state.words & SQL_COMMENT_BIT) !== 0) state.mask |= CH.sqlComment;
  if ((state.words & DOT_DOT_BIT) !== 0) state.mask |= CH.dotDot;
  return state.mask;
}

/** The word groups of the value `scanValue` read last (`WORD_GROUP` bits, `neededCharacterGroup` bits). */
export function scannedWords(): number {
  return (state.words & (COLUMNS - 1)) >>> PAIR_GROUPS;
}

/**
 * Reads the `n` code units of `s` into `state` as `readBytes` reads bytes, each read as the byte it stands for: ASCII
 * as itself, the rest as 128 (a non-ASCII byte: the same class bits and automaton step as any UTF-8 byte of it).
 */
function readChars(s: string, n: number): void {
  let mask = 0;
  let words = 0;
  let entry = 0;
  for (let i = 0; i < n; i++) {
    const code = s.charCodeAt(i);
    const c = code < 128 ? code : 128;
    entry = TABLE[(entry & -COLUMNS) + c]!;
    words |= entry;
    mask |= CLASS_BITS[c]!;
  }
  state.mask = mask;
  state.words = words;
  state.entry = entry;
}

/**
 * The longest word of GROUPS. An automaton state is the longest suffix of what was read that begins a word, so the
 * state after a byte depends on this many bytes up to it and no more.
 */
const LONGEST_WORD = Math.max(...GROUPS.flat().map((word) => word.length));
/** Runs of bytes at least this long are read as two halves side by side (see `readBytes`). */
const TWO_HALVES_FROM = 256;
// The second automaton starts LONGEST_WORD bytes before the half: the half must be at least that far in.
if (TWO_HALVES_FROM < 2 * LONGEST_WORD) throw new Error(`value scan: words of ${LONGEST_WORD} bytes need runs of ${2 * LONGEST_WORD} or more to split`);

/**
 * Reads `BYTES[0..end)` into `state`: per byte, two table loads (module constants, see the file's TSDoc), no branch.
 * Each step's load waits for the one before it, so one automaton moves at the latency of a load; a long run is read
 * by two at once, which the processor overlaps. The first reads the first half from the carried state; the second
 * starts from the start state `LONGEST_WORD` bytes before the second half, so from the half on its state is the one
 * a single pass would have (see LONGEST_WORD), and any word that ends in the second half begins where it has read.
 */
function readBytes(end: number): void {
  let mask = state.mask;
  let words = state.words;
  let entry = state.entry;
  let i = 0;
  if (end >= TWO_HALVES_FROM) {
    const half = end >>> 1;
    let j = half - LONGEST_WORD;
    let second = 0;
    for (; i < half; i++, j++) {
      const c = BYTES[i]!;
      const d = BYTES[j]!;
      entry = TABLE[(entry & -COLUMNS) + c]!;
      second = TABLE[(second & -COLUMNS) + d]!;
      words |= entry | second;
      mask |= CLASS_BITS[c]! | CLASS_BITS[d]!;
    }
    // The second automaton reads on to the end (at most LONGEST_WORD + 1 bytes are left).
    entry = second;
    i = j;
  }
  for (; i < end; i++) {
    const c = BYTES[i]!;
    entry = TABLE[(entry & -COLUMNS) + c]!;
    words |= entry;
    mask |= CLASS_BITS[c]!;
  }
  state.mask = mask;
  state.words = words;
  state.entry = entry;
}
