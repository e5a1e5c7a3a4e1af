/**
 * Inch and foot marks (`Levi's 501 W32" L34"`, `pipe 16" or 18"`, `5'10"`): a quote right after a number in a
 * measure, which the SQL injection detector reads as a space, not as a quote opening a string.
 */
import { isDigit } from './sql-chars.js';

// An inch or foot mark: a quote right after a number that follows a space, `(`, `x`, `-` or another mark
// (`pipe 16" or 18"`, `5'10"`, `3/4"-10`, `6' x 9'`), followed by a space, the end, a digit, `x` or a single `-`.
// SQL keeps its quotes: `'1'='1` (quoted number), `1'='1`, `1')`, `1'--` (SQL follows), `pass123'` (part of a
// word), and a number that starts the value (`1' or '1'='1`).
export const INCH_MARK = /(?<=[\s(x-]|\d['"])(\d{1,6}(?:[.\/]\d{1,4})?)['"](?=$|[\sx\d]|-(?!-))/g;
/** A measure that starts the value (`16" or 18"`), folded once the value has another one. */
export const LEADING_INCH_MARK = /^(\d{1,6}(?:[.\/]\d{1,4})?)['"](?=\s)/;
/** The longest number INCH_MARK folds: 6 digits, a `.` or `/`, 4 digits. */
const INCH_NUMBER_MAX = 11;

/**
 * `s.replace(INCH_MARK, '$1 ')`, searching from the first digit followed by a quote (at `digitQuote`): every match
 * ends with such a pair and starts at most INCH_NUMBER_MAX characters before its quote, so no match starts before
 * `digitQuote + 1 - INCH_NUMBER_MAX`, and the lookbehind still sees the characters before that. Two to three times
 * faster than `replace` on short values (its fixed cost, not the scan, dominated).
 */
export function foldInchMarks(s: string, digitQuote: number): string {
  INCH_MARK.lastIndex = Math.max(0, digitQuote + 1 - INCH_NUMBER_MAX);
  let out = '';
  let last = 0;
  // `exec` resets lastIndex to 0 when it finds no more matches.
  for (let m = INCH_MARK.exec(s); m !== null; m = INCH_MARK.exec(s)) {
    out += `${s.slice(last, m.index)}${m[1]!} `;
    last = INCH_MARK.lastIndex;
  }
  return last === 0 ? s : out + s.slice(last);
}

/**
 * `s.search(/\d['"]/)`: the index of the first digit followed by a quote, or -1. Found from the quotes (a value
 * has few) with `indexOf`, cheaper than a regex call on the short values most quotes are in.
 */
export function firstDigitQuote(s: string): number {
  const first = Math.min(digitBefore(s, "'"), digitBefore(s, '"'));
  return first === Infinity ? -1 : first;
}

/** The first index `i` with a digit at `i` and `quote` at `i + 1`, or Infinity. */
function digitBefore(s: string, quote: string): number {
  for (let q = s.indexOf(quote, 1); q !== -1; q = s.indexOf(quote, q + 1)) if (isDigit(s.charCodeAt(q - 1))) return q - 1;
  return Infinity;
}
