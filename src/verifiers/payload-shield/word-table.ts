/**
 * A fixed set of words looked up by a range of a larger string, without slicing the range out: the SQL tokenizer
 * reads every word of a value, and a slice per word (to look it up in a `Map`) was most of what it allocated.
 * The caller hashes the range with `extendWordHash` while it scans for the word's end; a hit is confirmed by
 * comparing the characters, so a hash collision can cost a comparison, never a wrong answer.
 */

/** The hash of a word with `code` appended: start from 0 and extend once per character code. */
export function extendWordHash(hash: number, code: number): number {
  return (Math.imul(hash, 31) + code) | 0;
}

/** Open-addressing table (linear probing) of fixed words; each word keeps a value. */
export class WordTable<V> {
  private readonly words: (string | undefined)[];
  private readonly values: (V | undefined)[];
  private readonly mask: number;

  constructor(entries: Iterable<readonly [string, V]>) {
    const list = [...entries];
    let size = 16;
    while (size < list.length * 4) size *= 2; // at most a quarter full: probes stay short
    this.words = new Array<string | undefined>(size).fill(undefined);
    this.values = new Array<V | undefined>(size).fill(undefined);
    this.mask = size - 1;
    for (const [word, value] of list) {
      let hash = 0;
      for (let i = 0; i < word.length; i++) hash = extendWordHash(hash, word.charCodeAt(i));
      let slot = hash & this.mask;
      while (this.words[slot] !== undefined && this.words[slot] !== word) slot = (slot + 1) & this.mask;
      this.words[slot] = word;
      this.values[slot] = value;
    }
  }

  /**
   * The slot of the word equal to `s.slice(from, to)` (whose hash is `hash`), or -1. Read the word and its value
   * with `word` and `value`: the table's own strings, so a caller keeps them without allocating.
   */
  find(s: string, from: number, to: number, hash: number): number {
    const length = to - from;
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const word = this.words[slot];
      if (word === undefined) return -1;
      if (word.length === length && s.startsWith(word, from)) return slot;
    }
  }

  /** The word in `slot` (a slot `find` returned). */
  word(slot: number): string {
    return this.words[slot]!;
  }

  /** The value of the word in `slot` (a slot `find` returned). */
  value(slot: number): V {
    return this.values[slot]!;
  }
}

/** A table of `words` without values, for membership (`find(...) !== -1`). */
export function wordSet(words: readonly string[]): WordTable<true> {
  return new WordTable(words.map((word) => [word, true] as const));
}
