/**
 * Shapes the SQL injection detector (sqli.ts) asks for before a word counts as SQL: a statement after `;` (`; update
 * users set`, not `; update my email`), a literal IN list, a call whose arguments are SQL (`if(1=1,1,0)`, not
 * `if (count > 0)`). Each is one forward scan of the fingerprint (`quotedIdSelector`: of a few characters).
 */
import { isSpace, isWordChar, isWordStart, skipSpaces } from './sql-chars.js';
import type { SqlFingerprint } from './sql-tokenizer.js';

/** Schema objects a DDL statement names: `drop table users`. */
export const DDL_OBJECTS = new Set(['table', 'database', 'procedure', 'function', 'view', 'index', 'user', 'trigger', 'schema', 'login']);
/** The statements that take one: `update function but` is prose. */
export const DDL_VERBS = new Set(['drop', 'create', 'alter', 'truncate']);

/**
 * Functions of STRONG_FUNCTIONS that are also English or other languages' words (`if (`, `len(name)`, `user (admin)`):
 * they count only as a call with SQL arguments (`sqlShapedCall`).
 */
export const WORD_FUNCTIONS = new Set(['if', 'len', 'log', 'str', 'sign', 'mid', 'now', 'user', 'version', 'database', 'schema']);

/** The modes of a MySQL `HANDLER t open`. */
const HANDLER_ACTIONS = new Set(['open', 'read', 'close']);
/** Words between `create` and the object: `create or replace function`, `create temp table`. */
const CREATE_MODIFIERS = new Set(['or', 'replace', 'temp', 'temporary', 'unique', 'global', 'definer']);
/**
 * Words after a DDL statement's object name: `alter table t add`, `create user x identified by`, `drop table t
 * cascade`, `create table t as select` (`create table reservation for 4` is a request).
 */
const AFTER_DDL_NAME = new Set(['add', 'modify', 'rename', 'identified', 'with', 'cascade', 'restrict', 'owner', 'as', 'set', 'drop', 'alter', 'column']);

/** Token `k` (a name, `a.b.c`, or a quoted `"name"`) ends at the returned index; -1 when `k` is not a name. */
function afterName(fp: string, k: number): number {
  if (fp[k] !== 'n' && fp[k] !== 's') return -1;
  let j = k + 1;
  while (fp[j] === '.' && (fp[j + 1] === 'n' || fp[j + 1] === 's')) j += 2;
  return j;
}

/** The index after the parentheses opening at `open`, or -1 when they do not close. */
function closeOf(fp: string, open: number): number {
  let depth = 0;
  for (let k = open; k < fp.length; k++) {
    const type = fp[k];
    if (type === '(') depth++;
    else if (type === ')' && --depth === 0) return k + 1;
  }
  return -1;
}

/** `(1)`, `('a','b')` (and `()` when `empty`): literals and variables only, closed. */
export function literalList(fp: string, open: number, empty: boolean): boolean {
  if (fp[open] !== '(') return false;
  let k = open + 1;
  if (fp[k] === ')') return empty;
  for (;;) {
    const type = fp[k];
    if (type !== '1' && type !== 's' && type !== 'v') return false;
    if (fp[k + 1] === ')') return true;
    if (fp[k + 1] !== ',') return false;
    k += 2;
  }
}

/**
 * `in ('x')` and `in (1,2)` as a condition: a list of literals, then the end of the condition (`1 in (10) chance`
 * goes on as prose).
 */
export function inListCondition(fp: string, open: number): boolean {
  if (!literalList(fp, open, false)) return false;
  const after = fp[closeOf(fp, open)];
  return after === undefined || after === 'c' || after === ';' || after === '&' || after === ')' || after === 'U' || after === 'B' || after === 'W';
}

/**
 * `; select 1`, `; select @@version--`, `; select version()`, `; select name, pass from`, `; select user;`: a select
 * list (values, names, calls, `*`, each with an optional `as` alias), then the statement's end, a clause or an
 * operator; a list of names alone ends the value only with a `;` or comment. `; select a half size up` and
 * `; select 'Compatible' to filter` are sentences.
 */
function selectStatement(t: SqlFingerprint, i: number): boolean {
  const { fp } = t;
  const first = fp[i + 1];
  if (first === 'c') return true; // `;select--`
  if (first === '(') return fp[i + 2] === 'S' || fp[i + 2] === 'v' || fp[i + 2] === 'f';
  let k = i + 1;
  let items = 0;
  let names = 0;
  for (;;) {
    const type = fp[k];
    if (type === '1' || type === 's' || type === 'v' || (type === 'o' && t.word(k) === '*')) k++;
    else if (type === 'n') {
      k = afterName(fp, k);
      names++;
    } else if (type === 'f') {
      k = closeOf(fp, k + 1);
      if (k === -1) return false;
    } else return false;
    items++;
    if (t.word(k) === 'as' && fp[k + 1] === 'n') k += 2;
    if (fp[k] !== ',') break;
    k++;
  }
  const after = fp[k];
  if (after === ';' || after === 'c' || after === 'F' || after === 'U' || after === 'I') return true;
  if (names === items) return false;
  return after === undefined || (after === 'o' && items === 1 && !isWordStart(t.word(k)!.charCodeAt(0)));
}

/** `drop table users;`, `create user x identified by`, `alter table t add`, `drop table if exists t`. */
function ddlStatement(t: SqlFingerprint, i: number): boolean {
  let j = i + 1;
  while (CREATE_MODIFIERS.has(t.word(j)!) && j < i + 4) j++;
  if ((t.fp[j] !== 'k' && t.fp[j] !== 'n') || !DDL_OBJECTS.has(t.word(j)!)) return false; // `user` is a name
  if (t.word(j + 1) === 'if') return true;
  const k = afterName(t.fp, j + 1);
  if (k === -1) return false;
  const after = t.fp[k];
  return after === undefined || after === '(' || after === ';' || after === 'c' || after === ',' || AFTER_DDL_NAME.has(t.word(k)!);
}

/**
 * True when the tokens from `i` (right after a `;`) start a statement of the shape SQL gives it, not a sentence
 * that starts with a statement's word (`Also; update my email`, `; call me later`, `; select a half size up`).
 */
export function stackedStatement(t: SqlFingerprint, i: number): boolean {
  const { fp } = t;
  const type = fp[i];
  const next = fp[i + 1];
  if (type === 'S') return selectStatement(t, i);
  // `; if exists (`, `; if (1=1) waitfor` (`; if not, skip` is prose: `not` counts only as `not exists`).
  if (type === 'k') return t.word(i) === 'if' && (next === '(' || t.word(i + 1) === 'exists' || (t.word(i + 1) === 'not' && t.word(i + 2) === 'exists'));
  if (type !== 'E') return false;
  if (next === 'c') return true; // `;drop--`
  const verb = t.word(i)!;
  switch (verb) {
    case 'update': {
      const k = afterName(fp, i + 1);
      return k !== -1 && t.word(k) === 'set';
    }
    case 'delete': {
      if (next === 'n') return fp[i + 2] === 'W' || fp[i + 2] === ';' || fp[i + 2] === 'c';
      const k = next === 'F' ? afterName(fp, i + 2) : -1;
      return k !== -1 && (fp[k] === undefined || fp[k] === ';' || fp[k] === 'c' || fp[k] === 'W');
    }
    case 'insert':
    case 'merge': {
      const k = afterName(fp, next === 'I' ? i + 2 : i + 1);
      if (k === -1) return false;
      if (verb === 'merge') return t.word(k) === 'using' || t.word(k) === 'as';
      return (next === 'I' && fp[k] === '(') || fp[k] === 'S' || t.word(k) === 'values' || (next === 'I' && t.word(k) === 'set');
    }
    case 'drop':
    case 'create':
    case 'alter':
    case 'truncate':
      return ddlStatement(t, i);
    case 'exec':
    case 'execute': {
      if (next === '(' || next === 'v' || next === 's') return true;
      const name = next === 'n' ? t.word(i + 1)! : '';
      if (name.startsWith('xp_') || name.startsWith('sp_') || name === 'master' || name === 'immediate') return true;
      // `; exec proc 'x'`, `; exec dbo.proc;` (`; execute the plan` is prose)
      const after = fp[afterName(fp, i + 1)];
      return name !== '' && (after === 's' || after === 'v' || after === ';' || after === 'c' || fp[i + 2] === '.');
    }
    case 'declare':
      return next === 'v' || t.word(i + 2) === 'cursor';
    case 'shutdown':
      return next === undefined || next === 'c' || next === ';' || t.word(i + 1) === 'with';
    case 'grant':
    case 'revoke':
      return (next === 'S' || next === 'E' || t.word(i + 1) === 'all') && (fp[i + 2] === ',' || t.word(i + 2) === 'on' || t.word(i + 3) === 'on');
    case 'call': {
      // `; call proc('x')--`: a procedure called with literals (`; call me (later)` names no literal).
      const k = next === 'f' ? i + 2 : afterName(fp, i + 1);
      if (k === -1 || !literalList(fp, k, true)) return false;
      const after = fp[closeOf(fp, k)];
      return after === undefined || after === ';' || after === 'c';
    }
    case 'handler':
      return next === 'n' && HANDLER_ACTIONS.has(t.word(i + 2)!);
    case 'load':
      return (t.word(i + 1) === 'data' || t.word(i + 1) === 'xml') && (t.word(i + 2) === 'infile' || t.word(i + 2) === 'local');
    case 'waitfor':
      return t.word(i + 1) === 'delay' || t.word(i + 1) === 'time';
    default:
      return false;
  }
}

/**
 * True when the call at `i` (a function token, then `(`) has SQL arguments: a variable, a sub-select, a call of a
 * `strong` function that is no word, empty parentheses (`version()`), or three arguments (`if(1=1,1,0)`,
 * `mid(x,1,1)`). A method (`console.log(a, b, c)`) never does.
 */
export function sqlShapedCall(t: SqlFingerprint, i: number, strong: ReadonlySet<string>): boolean {
  const { fp } = t;
  if (fp[i - 1] === '.') return false;
  if (fp[i + 2] === ')') return true;
  let depth = 0;
  let commas = 0;
  for (let k = i + 1; k < fp.length; k++) {
    const type = fp[k];
    if (type === '(') depth++;
    else if (type === ')') {
      if (--depth === 0) break;
    } else if (type === ',') {
      if (depth === 1) commas++;
    } else if (type === 'v' || type === 'S' || type === 'U') return true;
    else if (type === 'f' && strong.has(t.word(k)!) && !WORD_FUNCTIONS.has(t.word(k)!)) return true;
  }
  return commas >= 2;
}

/** Characters of a CSS selector after its `#` (`#menu li.active > a:hover`): no quote, no line break. */
function isSelectorChar(c: number): boolean {
  return isWordChar(c) || c === 45 || c === 46 || c === 32 || c === 62 || c === 58 || c === 43 || c === 126 || c === 42 || c === 44 || c === 35;
}

/**
 * True when the first `quote` (34 `"`, 39 `'`) of `s` opens a call's argument that is a CSS id selector closed by the
 * same quote, then the call's `)` or next argument: `$('#id').hide()`, `querySelector("#app")`. Read after that quote
 * the `#` is a MySQL comment (a `sc` fingerprint), but a break closing a string that ends in `name(` is script: an
 * attacker's `admin'#` closes a name, not a call. Reads only the selector's characters.
 */
export function quotedIdSelector(s: string, quote: 34 | 39): boolean {
  const q = s.indexOf(quote === 39 ? "'" : '"');
  if (q < 2 || s.charCodeAt(q + 1) !== 35 /* # */) return false;
  let p = q - 1;
  while (p > 0 && isSpace(s.charCodeAt(p))) p--;
  // `$(`, `jquery(`, `queryselector(`: a name (`$` is a word character to SQL too) right before the `(`.
  if (s.charCodeAt(p) !== 40 || !isWordChar(s.charCodeAt(p - 1))) return false;
  let j = q + 2;
  while (j < s.length && isSelectorChar(s.charCodeAt(j))) j++;
  if (j === q + 2 || s.charCodeAt(j) !== quote) return false;
  const after = s.charCodeAt(skipSpaces(s, j + 1));
  return after === 41 /* ) */ || after === 44 /* , */;
}
