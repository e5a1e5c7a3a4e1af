/**
 * One pass over a value answers what the inspection asks of every string before it picks detectors: its character
 * classes (char-classes.ts) and which of a few groups of words it contains (the SQL words that make a value not
 * plain, the words plain values are claimed by, the characters floating hints need: see plain-values.ts). Those
 * answers took three passes before, each reading every character with `charCodeAt`, which costs about 20
 * instructions a character here; this pass reads bytes (about 6): a long value is encoded to UTF-8 by one native
 * call, a short one, for which that call costs more than it saves, is copied character by character.
 */
import { CH, CLASS_BITS } from './char-classes.js';
import { ASCII, buildAutomaton } from './word-search.js';

/**
 * The classes a single character cannot tell, found as two-character words by the automaton: group 0 is `/*` and
 * `--` (`sqlComment`), group 1 is `..` (`dotDot`). Callers' groups follow them.
 */
const PAIR_GROUPS: readonly (readonly string[])[] = [['/*', '--'], ['..']];
const SQL_COMMENT_GROUP = 1 << 0;
const DOT_DOT_GROUP = 1 << 1;

/**
 * A table entry is a row offset (a multiple of ASCII = 2^7) with the groups that end in its state in the low 7 bits,
 * so one load per byte yields both: at most 7 groups, the pair groups included.
 */
const GROUP_BITS = ASCII - 1;
/** At most this many word groups per scanner (see GROUP_BITS). */
export const MAX_WORD_GROUPS = 7 - PAIR_GROUPS.length;

/** Values at least this long are encoded by `TextEncoder.encodeInto`; shorter ones are copied (see the file's TSDoc). */
const ENCODE_FROM_LENGTH = 40;

/** Characters read per chunk: a value longer than this is read chunk by chunk, the automaton's state carried over. */
const CHUNK = 16 * 1024;

/** What every scan reads, shared: scans are synchronous. UTF-8 takes at most 3 bytes per UTF-16 code unit. */
const BYTES = new Uint8Array(3 * CHUNK);
const ENCODER = new TextEncoder();

/**
 * Scans values for their class mask and word groups. Group `g` is set when the value contains one of
 * `groups[g]`'s words as `new RegExp(escaped word, 'i')` decides (ASCII letters folded, no word across a non-ASCII
 * character), so a group of one-character words asks whether the value contains that character.
 */
export class ValueScanner {
  /** Bit `g` set when the last scanned value contains a word of group `g`. */
  words = 0;
  private readonly table: Int32Array;
  /** The last scan's class mask and automaton entry, carried between chunks. */
  private mask = 0;
  private entry = 0;

  constructor(groups: readonly (readonly string[])[]) {
    if (groups.length > MAX_WORD_GROUPS) throw new Error(`value scan: ${groups.length} word groups, at most ${MAX_WORD_GROUPS}`);
    const all = [...PAIR_GROUPS, ...groups];
    const { delta, ends } = buildAutomaton(
      all.flat(),
      all.flatMap((group, g) => group.map(() => 1 << g)),
    );
    // Each entry becomes its row offset with the groups of its target state in the low bits (see GROUP_BITS).
    this.table = delta.map((row) => row | ends[row / ASCII]!);
  }

  /** The class mask of `s` (linear, no allocation below `CHUNK` characters); its word groups go to `words`. */
  scan(s: string): number {
    const n = s.length;
    this.mask = 0;
    this.words = 0;
    this.entry = 0;
    if (n < ENCODE_FROM_LENGTH) {
      copyInto(s, n);
      this.read(n);
    } else {
      for (let from = 0; from < n; from += CHUNK) {
        const to = Math.min(n, from + CHUNK);
        this.read(ENCODER.encodeInto(from === 0 && to === n ? s : s.slice(from, to), BYTES).written);
      }
    }
    const words = this.words;
    if ((words & SQL_COMMENT_GROUP) !== 0) this.mask |= CH.sqlComment;
    if ((words & DOT_DOT_GROUP) !== 0) this.mask |= CH.dotDot;
    this.words = (words & GROUP_BITS) >>> PAIR_GROUPS.length;
    return this.mask;
  }

  /** Reads `BYTES[0..end)` into `mask`, `words` and `entry`. No call in the loop: it keeps the loop's loads hoisted. */
  private read(end: number): void {
    const table = this.table;
    const bytes = BYTES;
    const classBits = CLASS_BITS;
    let mask = this.mask;
    let words = this.words;
    let entry = this.entry;
    for (let i = 0; i < end; i++) {
      const c = bytes[i]!;
      if (c >= 128) {
        mask |= CH.nonAscii;
        entry = 0;
        continue;
      }
      entry = table[(entry & ~127) + c]!;
      words |= entry;
      mask |= classBits[c]!;
    }
    this.mask = mask;
    this.words = words;
    this.entry = entry;
  }
}

/** Copies the `n` code units of `s` to BYTES as bytes that read the same: ASCII as itself, the rest as 128 (non-ASCII). */
function copyInto(s: string, n: number): void {
  const bytes = BYTES;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    bytes[i] = c < 128 ? c : 128;
  }
}

/** A scanner without words, for the class mask alone. */
const CLASSES_ONLY = new ValueScanner([]);

/** The class mask of `s` (see char-classes.ts). */
export function charMask(s: string): number {
  return CLASSES_ONLY.scan(s);
}
