/**
 * The character classes of a value as a bit mask (value-scan.ts reads it in the pass it makes over every value).
 * Detectors test their bits first and skip values that cannot contain their attack (a URL has no quote, so the SQL
 * tokenizer never runs on it), which keeps the cost per ordinary value to that single pass.
 */

/** Bits of the character-class mask. */
export const CH = {
  quote: 1 << 0, // ' "
  backtick: 1 << 1,
  lt: 1 << 2,
  gt: 1 << 3,
  paren: 1 << 4, // ( )
  semicolon: 1 << 5,
  pipe: 1 << 6,
  amp: 1 << 7,
  dollar: 1 << 8,
  brace: 1 << 9, // { }
  backslash: 1 << 10,
  slash: 1 << 11,
  percent: 1 << 12,
  colon: 1 << 13,
  equals: 1 << 14,
  star: 1 << 15,
  hash: 1 << 16,
  at: 1 << 17,
  newline: 1 << 18, // \r \n
  nul: 1 << 19,
  dotDot: 1 << 20, // ..
  bracket: 1 << 21, // [ ]
  sqlComment: 1 << 22, // -- or /*
  bang: 1 << 23, // ! ~ ^
  nonAscii: 1 << 24, // any character at or above U+0080 (look-alike punctuation, full-width separators)
} as const;

/**
 * The classes a *plain* value may contain: a value whose mask has no other bit (and no SQL keyword) carries no
 * syntax most detectors look for, so only the detectors that declare `readsPlainValues` see it. Which detectors
 * must declare it is proved by test/verifiers/payload-shield/plain-values.test.ts, which runs every detector on
 * generated plain values and requires the inspection to report whatever a detector reports on its own.
 */
export const PLAIN_CLASSES = CH.colon | CH.at | CH.percent | CH.star | CH.bang | CH.nonAscii;

/**
 * True for every character a regex `\s` matches (ASCII white space, U+00A0, U+FEFF, the Unicode spaces), and for
 * some others: every control character, space, and anything above U+007E. The gates in front of the detectors'
 * patterns skip such characters where a pattern allows `\s*`, so a gate can only answer true more often than its
 * pattern, never less.
 */
export function mayBeRegexSpace(c: number): boolean {
  return c <= 32 || c >= 127;
}

/**
 * A table with 1 at the code of each word's last character (ASCII words): a gate asks `table[s.charCodeAt(i)] === 1`
 * before trying the words that may end at `i` (a code of 128 or more, or NaN past either end, reads nothing).
 */
export function lastCharacterTable(words: readonly string[]): Uint8Array {
  const table = new Uint8Array(128);
  for (const word of words) table[word.charCodeAt(word.length - 1)] = 1;
  return table;
}

/** The first index from `from` on whose character is not `mayBeRegexSpace` (`s.length` when there is none). */
export function skipRegexSpace(s: string, from: number): number {
  let i = from;
  while (i < s.length && mayBeRegexSpace(s.charCodeAt(i))) i++;
  return i;
}

/** True when a mask has no class outside `PLAIN_CLASSES` (see there). */
export function isPlainMask(mask: number): boolean {
  return (mask & ~PLAIN_CLASSES) === 0;
}

/**
 * The class bits of every byte value, looked up instead of a `switch` per character: one load per byte (letters,
 * digits, spaces are 0). Every byte at or above 128 is `nonAscii`: UTF-8 encodes each non-ASCII character with such
 * bytes only. The classes of two characters (`sqlComment`, `dotDot`) are words to value-scan.ts's automaton, not
 * entries here.
 */
export const CLASS_BITS: Int32Array = (() => {
  const table = new Int32Array(256).fill(CH.nonAscii, 128);
  const set = (chars: string, bit: number): void => {
    for (const ch of chars) table[ch.charCodeAt(0)] = bit;
  };
  set('\'"', CH.quote);
  set('`', CH.backtick);
  set('<', CH.lt);
  set('>', CH.gt);
  set('()', CH.paren);
  set(';', CH.semicolon);
  set('|', CH.pipe);
  set('&', CH.amp);
  set('$', CH.dollar);
  set('{}', CH.brace);
  set('\\', CH.backslash);
  set('%', CH.percent);
  set(':', CH.colon);
  set('=', CH.equals);
  set('*', CH.star);
  set('#', CH.hash);
  set('@', CH.at);
  set('\n\r', CH.newline);
  set('\0', CH.nul);
  set('[]', CH.bracket);
  set('!~^', CH.bang);
  set('/', CH.slash);
  return table;
})();
