/**
 * The SQL injection detector's tautology after AND/OR/XOR (sqli.ts): `or 1=1`, `and 'a'='a'`, `or x like '%'`,
 * `and (-8)=(-3)`, `and 1+2=3+4`, `or x is not null`, `or 1--`. One forward scan of the fingerprint from the logic.
 */
import { inListCondition } from './sql-statements.js';
import type { SqlFingerprint } from './sql-tokenizer.js';

/** Unary operators: an operand may start with any number of them. */
export const UNARY: ReadonlySet<string> = new Set(['-', '+', '!', '~', 'not', 'binary']);
/** Comparisons, with PostgreSQL's jsonb ones (`@>` contains, `?` has key: sql-postgres.ts). */
export const COMPARISON: ReadonlySet<string> = new Set(['=', '<', '>', '<=', '>=', '<>', '!=', '<=>', '==', 'like', 'rlike', 'regexp', 'is', 'in', 'between', 'sounds', 'glob', '!<', '!>', '@>', '<@', '?', '?|', '?&']);

const WORD_START = /^[a-z]/;

/**
 * True when the condition the literal ends at `k` is cut off there: by a comment, or by a `;` that ends the query or
 * starts another statement (`1 or 2; maybe 3` goes on as prose, which no database would run).
 */
function conditionEndsAt(fp: string, k: number): boolean {
  if (fp[k] === 'c') return true;
  if (fp[k] !== ';') return false;
  const next = fp[k + 1];
  return next === undefined || next === 'c' || next === ';' || next === 'S' || next === 'E';
}

/** True when the logic token at `i` (`&`) starts a tautology. */
export function tautologyAfterLogic(t: SqlFingerprint, i: number): boolean {
  const { fp } = t;
  // No statement starts with AND or OR: `Having 2 cats; or 3 -- who counts` is prose.
  if (fp[i - 1] === ';') return false;
  let j = i + 1;
  while (fp[j] === '(' || (fp[j] === 'o' && UNARY.has(t.word(j)!))) j++;
  const a = fp[j];
  if (a !== '1' && a !== 's' && a !== 'v' && a !== 'n') return false;
  let k = j + 1;
  while (fp[k] === ')') k++;
  // arithmetic before the comparison: 1+2=3
  while (fp[k] === 'o' && !COMPARISON.has(t.word(k)!) && '1sv('.includes(fp[k + 1] ?? 'x')) {
    k += 2;
    while (fp[k] === ')') k++;
  }
  if (fp[k] === 'o' && (t.word(k) === 'sounds' || t.word(k) === 'not')) k++;
  if (a === 'n' && fp[k] === 'o' && t.word(k) === 'is') {
    const m = t.word(k + 1) === 'not' ? k + 2 : k + 1;
    if (fp[m] === '1' && (t.word(m) === 'null' || t.word(m) === 'true' || t.word(m) === 'false')) return true;
  }
  // `or 'x' in ('x')`: an IN list of literals (`8 or 10 in (US)` is prose).
  if (fp[k] === 'o' && COMPARISON.has(t.word(k)!) && (t.word(k) !== 'in' || inListCondition(fp, k + 1))) {
    const b = fp[k + 1];
    // A bare name only counts when compared with itself (`or x=x`): `||page=2` is a URL, not a tautology;
    // and a word operator before a bare name is prose (`16 or 18 like new`).
    const wordOperator = WORD_START.test(t.word(k)!);
    if (b !== undefined && '1svnf(o'.includes(b) && (a !== 'n' || (b === 'n' && t.word(j) === t.word(k + 1))) && !(wordOperator && b === 'n' && a !== 'n')) {
      return true;
    }
  }
  // `or 1--`: a literal and the end of the condition. A word or sign right before the literal that the logic
  // follows is prose (`pick 1 or 2 -- either`, `size: 10 or 12 -- see chart`, `said 'yes' or 'no' -- then`).
  const wordBefore = (fp[i - 2] === 'n' || fp[i - 2] === 'x') && (fp[i - 1] === '1' || fp[i - 1] === 's');
  return a !== 'n' && conditionEndsAt(fp, k) && !wordBefore;
}
