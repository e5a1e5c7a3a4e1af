/**
 * PostgreSQL syntax the SQL tokenizer reads (sql-tokenizer.ts): `::type` casts, which it drops (`'a'::text='a'` is
 * `'a'='a'` to every rule), and the jsonb operators, which compare operands as `=` does (`data @> '{}'`,
 * `data ? 'role'`). Read as unknown characters they would hide quote breaks and tautologies from the rules.
 */
import { isDigit, isWordChar, isWordStart, skipSpaces } from './sql-chars.js';

/** The second words of PostgreSQL's type names of more than one word. */
const TYPE_TAILS = ['varying', 'precision', 'with time zone', 'without time zone'];

/** After a type's first word at `j`: the end of its other words (`character varying`, `double precision`), or `j`. */
function typeWordsEnd(s: string, j: number): number {
  const k = skipSpaces(s, j);
  if (k === j) return j;
  for (const tail of TYPE_TAILS) {
    if (s.startsWith(tail, k) && !isWordChar(s.charCodeAt(k + tail.length))) return k + tail.length;
  }
  return j;
}

/**
 * The end of the cast `::type` at `i` (the first `:`): the type's name (dotted, as `pg_catalog.text`, or of two words
 * as `character varying`), an optional `(10,2)` and `[]`s; or -1 when no name follows (`::1` is an IPv6 address).
 */
export function castEnd(s: string, i: number): number {
  const n = s.length;
  let j = skipSpaces(s, i + 2);
  if (!isWordStart(s.charCodeAt(j))) return -1;
  while (j < n && (isWordChar(s.charCodeAt(j)) || (s.charCodeAt(j) === 46 && isWordStart(s.charCodeAt(j + 1))))) j++;
  j = typeWordsEnd(s, j);
  if (s.charCodeAt(j) === 40 /* ( */) {
    let k = j + 1;
    while (k < n && (isDigit(s.charCodeAt(k)) || s.charCodeAt(k) === 44 || s.charCodeAt(k) === 32)) k++;
    if (s.charCodeAt(k) === 41) j = k + 1;
  }
  while (s.charCodeAt(j) === 91 /* [ */) {
    let k = j + 1;
    while (k < n && isDigit(s.charCodeAt(k))) k++;
    if (s.charCodeAt(k) !== 93) break;
    j = k + 1;
  }
  return j;
}

/**
 * The jsonb operator starting at `i` (a `@`, `<`, `?` or `#`), or undefined: `@>`; `<@` before a non-word (`<@user>`
 * is a mention); `?`, `?|`, `?&` after an operand (`afterOperand`) and before a string (or `array[`), where a question
 * ends no sentence; `#>`, `#>>` before a string (else `#` starts a MySQL comment).
 */
export function postgresOperator(s: string, i: number, afterOperand: boolean): string | undefined {
  const c = s.charCodeAt(i);
  const d = s.charCodeAt(i + 1);
  if (c === 64 /* @ */) return d === 62 ? '@>' : undefined;
  if (c === 60 /* < */) return d === 64 && s.charCodeAt(i + 2) !== 64 && !isWordChar(s.charCodeAt(i + 2)) ? '<@' : undefined;
  if (c === 63 /* ? */) {
    if (!afterOperand) return undefined;
    const op = d === 124 ? '?|' : d === 38 ? '?&' : '?';
    const k = skipSpaces(s, i + op.length);
    const q = s.charCodeAt(k);
    return q === 39 || q === 34 || (op !== '?' && s.startsWith('array', k)) ? op : undefined;
  }
  if (c === 35 /* # */ && d === 62) {
    const op = s.charCodeAt(i + 2) === 62 ? '#>>' : '#>';
    return s.charCodeAt(skipSpaces(s, i + op.length)) === 39 ? op : undefined;
  }
  return undefined;
}
