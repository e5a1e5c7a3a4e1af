/**
 * SQL injection detector: tokenizes each value as SQL in three contexts (bare, after `'`, after `"`) and matches
 * the token fingerprint against injection shapes: quote breaks followed by SQL, tautologies, UNION SELECT,
 * stacked queries, sub-selects, time/file/error functions. Words alone never fire (`SELECT your plan` is prose).
 */
import { isDigit } from './sql-chars.js';
import { DANGEROUS_SQL_FUNCTIONS, SqlTokenizer, type SqlFingerprint } from './sql-tokenizer.js';
import { firstDigitQuote, foldInchMarks, LEADING_INCH_MARK } from './inch-marks.js';
import { onlyPlainWords } from './sql-plain-words.js';
import { COMPARISON, tautologyAfterLogic, UNARY } from './sql-tautology.js';
import { DDL_OBJECTS, DDL_VERBS, quotedIdSelector, sqlShapedCall, stackedStatement, WORD_FUNCTIONS } from './sql-statements.js';
import { CH } from './char-classes.js';
import { SEVERITY, type Detector, type InspectedValue, type RuleHit } from './types.js';
import { wordSet } from './word-table.js';

/** Rule ids of the SQL injection detector. */
export const SQLI_RULES = {
  union: 'sqli-union-select',
  stacked: 'sqli-stacked-query',
  dangerousFunction: 'sqli-dangerous-function',
  executableComment: 'sqli-mysql-executable-comment',
  subquery: 'sqli-subquery',
  selectFrom: 'sqli-select-from',
  systemVariable: 'sqli-system-variable',
  schemaProbe: 'sqli-schema-probe',
  quoteBreak: 'sqli-quote-break',
  tautology: 'sqli-tautology',
  functionChain: 'sqli-function-chain',
  commentTruncation: 'sqli-comment-truncation',
  clauseInjection: 'sqli-clause-injection',
  caseExpression: 'sqli-case-expression',
} as const;

/** Operators written as symbols; word operators (`"LIKE" STAMP`) are too common in prose to break a quote. */
const SYMBOL_LOGIC = new Set(['&&', '||']);
const WORD_OPERATORS = new Set(['like', 'rlike', 'regexp', 'div', 'mod', 'sounds', 'glob', 'is', 'between', 'in', 'xor']);
const SYMBOL_OPERATORS = new Set(['=', '<', '>', '<=', '>=', '<>', '!=', '<=>', '==', '+', '-', '%', '|', '^', '&', '~', '!', '<<', '>>', ':=', '/', '@>', '<@', '?', '?|', '?&']);

/** Functions that are not also English words: calling one next to SQL syntax is not prose. */
const STRONG_FUNCTIONS = new Set([
  'ascii', 'substring', 'substr', 'concat', 'concat_ws', 'group_concat', 'char', 'chr', 'md5', 'sha1', 'sha2',
  'hex', 'unhex', 'ord', 'elt', 'make_set', 'ifnull', 'isnull', 'nullif', 'coalesce', 'char_length', 'lcase',
  'ucase', 'instr', 'cos', 'sin', 'tan', 'cot', 'acos', 'asin', 'atan', 'atan2', 'floor', 'ceil', 'rand', 'abs',
  'exp', 'sqrt', 'pow', 'bin', 'conv', 'oct', 'crc32', 'soundex', 'strcmp', 'current_user', 'system_user',
  'session_user', 'connection_id', 'last_insert_id', 'found_rows', 'row_count', 'sysdate', 'uuid', 'db_name',
  'user_name', 'host_name', 'substring_index', 'find_in_set', 'export_set', 'nchar', 'unicode', 'quotename',
  'datalength', 'charindex', 'to_char', 'from_base64', 'to_base64', 'aes_decrypt', 'aes_encrypt', 'lpad', 'rpad',
  'ltrim', 'rtrim', 'ucase', 'len', 'mid', 'iif', 'cast', 'convert', 'if', 'ifnull', 'greatest', 'least',
  'current_database', 'sqlite_version', 'typeof', 'json_extract', 'count_big', 'checksum', 'inet_aton', 'radians',
  'degrees', 'sign', 'ln', 'log', 'pi', 'str', 'version', 'database', 'user', 'schema', 'now',
]);

/**
 * Schema tables an attacker enumerates; legitimate input does not name them. Each is one bareword of the tokenizer
 * (a dotted name only after a schema it joins, see sql-tokenizer.ts: `master..sysdatabases` is matched by its
 * `sysdatabases`); a test checks that every entry is found.
 */
export const SCHEMA_OBJECT_NAMES: readonly string[] = [
  'information_schema', 'sysobjects', 'syscolumns', 'sysusers', 'sqlite_master', 'sqlite_schema', 'pg_shadow',
  'pg_user', 'pg_catalog', 'pg_database', 'msysobjects', 'msysaccessobjects', 'all_tables', 'user_tables',
  'all_tab_columns', 'user_tab_columns', 'sys.tables', 'sys.objects', 'mysql.user', 'sysdatabases', 'v$version',
  'dba_users', 'all_users',
];
const SCHEMA_OBJECTS = wordSet(SCHEMA_OBJECT_NAMES);

/** Extended stored procedures (`master..xp_cmdshell`, `sp_oacreate`): they exist only to be abused. */
const EXTENDED_PROCEDURES = wordSet([
  'xp_cmdshell', 'xp_regread', 'xp_regwrite', 'xp_dirtree', 'xp_fileexist', 'xp_servicecontrol', 'sp_oacreate',
  'sp_oamethod', 'sp_makewebtask', 'sp_addlogin', 'sp_addsrvrolemember', 'sp_configure', 'sp_password',
]);

/** The names the rules look up (`nameIn`), which `onlyPlainWords` must find in none of the words. */
export const NAME_TABLES = [SCHEMA_OBJECTS, EXTENDED_PROCEDURES];
/** The classes `onlyPlainWords` may accept (quotes, `:`, `..`, letters beyond ASCII): any other class fails it. */
const PLAIN_WORD_CLASSES = CH.quote | CH.colon | CH.dotDot | CH.nonAscii;

// `1 or true` and `1 order by 5`: unquoted probes with no SQL punctuation at all.
const BOOLEAN_PROBE = /^\s*\d{1,10}\s+(?:(?:or|and|xor)\s+(?:true|false)|(?:order|group)\s+by\s+\d{1,3})\s*$/;
const UNICODE_SPACE = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\u180e\u200b]/;
const UNICODE_SPACES = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\u180e\u200b]/g;
const UNICODE_PUNCTUATION = /[\u2018\u2019\u201a\u201b\u2032\u201c\u201d\u2033\u2013\u2014\uff07]/;

function foldUnicodePunctuation(s: string): string {
  return s
    .replace(/[\u2018\u2019\u201a\u201b\u2032\uff07]/g, "'")
    .replace(/[\u201c\u201d\u2033]/g, '"')
    .replace(/[\u2013\u2014]/g, '--');
}

// A plain e-mail address: `select@example.com` is a mailbox, not `SELECT @variable`.
const PLAIN_EMAIL = /^[a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,8}$/;

/** Syntax without which no SQL injection is possible (lone `/`, `-`, `,` are too common in URLs and prose). */
const SQL_CHARS =
  CH.quote | CH.backtick | CH.paren | CH.semicolon | CH.equals | CH.lt | CH.gt | CH.hash | CH.at | CH.pipe | CH.amp |
  CH.bang | CH.sqlComment;

function hit(ruleId: string): RuleHit {
  return { ruleId, category: 'sqli', severity: SEVERITY.critical };
}

/**
 * The common value first: ASCII (the Unicode folds of `detect` cannot change it), no SQL character, no keyword, not
 * a boolean probe; `detect`'s own test after the folds would reject it too.
 */
function isPlainAsciiWithoutSql(s: string, mask: number): boolean {
  if ((mask & (SQL_CHARS | CH.nonAscii)) !== 0 || s.indexOf('union') !== -1 || s.indexOf('select') !== -1) return false;
  const c = s.charCodeAt(0);
  // BOOLEAN_PROBE starts with optional white space and a digit.
  return !((c <= 32 || isDigit(c)) && BOOLEAN_PROBE.test(s));
}

// Patterns of the rules below that run on every fingerprint or token, compiled once (a regex literal in a function
// body is a new RegExp object each time it is evaluated).
const NUMBER_LOGIC_BOOLEAN = /^1\)*&1c?$/;
const ONLY_CLAUSE = /^Bk[1n](?:,[1n])*c?$/;
const ONLY_CONDITION = /^W[1sv]o[1sv](?:c|;)?$/;

/** Rules that hold in any context. */
function anyContextRule(t: SqlFingerprint): string | undefined {
  const { fp } = t;
  for (let i = 0; i < fp.length; i++) {
    const type = fp[i]!;
    const next = fp[i + 1];
    switch (type) {
      case 'X':
        return SQLI_RULES.executableComment;
      case 'f':
        // (Two names side by side are no argument: `Sleep (a novel) by Smith` is a title.)
        if (DANGEROUS_SQL_FUNCTIONS.has(t.word(i)!) && !(fp[i + 2] === 'n' && fp[i + 3] === 'n')) return SQLI_RULES.dangerousFunction;
        // `if (count > 0)`, `len(name) - 1`: a word that is also a function counts only called with SQL arguments.
        if (WORD_FUNCTIONS.has(t.word(i)!) && !sqlShapedCall(t, i, STRONG_FUNCTIONS)) break;
        if (STRONG_FUNCTIONS.has(t.word(i)!) && next === '(' && fp[i + 2] === 'f') return SQLI_RULES.functionChain;
        if (STRONG_FUNCTIONS.has(t.word(i)!) && i > 0 && (fp[i - 1] === 'o' || fp[i - 1] === '&') && fp[i - 2] !== undefined) {
          return SQLI_RULES.functionChain; // 1 - ord('a')
        }
        if (STRONG_FUNCTIONS.has(t.word(i)!) && /[&cUS;EF]|\)o|o\(/.test(fp)) {
          // A non-English function call next to logic, comments or operators on calls: `ascii(substr(..))>64`.
          if (fp.length >= 4) return SQLI_RULES.functionChain;
        }
        break;
      case 'E':
        if (t.word(i) === 'waitfor' && (t.word(i + 1) === 'delay' || t.word(i + 1) === 'time')) {
          return SQLI_RULES.dangerousFunction;
        }
        // DDL on a named object: `create table t (`, `drop table users;`
        // (Only `create` takes a `(` there: `drop table lamp (oak)` is furniture.)
        if (next === 'k' && DDL_OBJECTS.has(t.word(i + 1)!) && fp[i + 2] === 'n' && (i + 3 >= fp.length || /^[;c.]/.test(fp[i + 3]!) || (fp[i + 3] === '(' && t.word(i) === 'create'))) {
          if (DDL_VERBS.has(t.word(i)!)) return SQLI_RULES.stacked;
        }
        if (t.word(i) === 'exec' || t.word(i) === 'execute') {
          if (next === 'n' && /^(xp_|sp_|master\.)/.test(t.word(i + 1) ?? '')) return SQLI_RULES.dangerousFunction;
        }
        break;
      case 'U': {
        let j = i + 1;
        if (fp[j] === 'k' && (t.word(j) === 'all' || t.word(j) === 'distinct')) j++;
        while (fp[j] === '(') j++;
        // A select list starts with an operand, a unary operator or `*` (`<customer>Union Select</customer>` is
        // markup); nothing at all counts after a value or break (`1 union select`), not as the whole value.
        const list = fp[j + 1];
        if (fp[j] === 'S' && (list === undefined ? i > 0 : list !== ')' && list !== ',' && (list !== 'o' || UNARY.has(t.word(j + 1)!) || t.word(j + 1) === '*'))) {
          return SQLI_RULES.union;
        }
        // `-1 union`, `1)union(`: a union right after a value, with SQL (or nothing) after it.
        const prev = i === 0 ? '' : fp[i - 1]!;
        if (t.word(i) === 'union' && (prev === '1' || prev === ')' || prev === 's') && (j >= fp.length || /^[c(1vkS]/.test(fp[j] ?? ''))) {
          if (fp[j] !== 'k' || t.word(j) === 'all' || t.word(j) === 'distinct') return SQLI_RULES.union;
        }
        break;
      }
      case 'I':
        if (next === 'k' && (t.word(i + 1) === 'outfile' || t.word(i + 1) === 'dumpfile')) return SQLI_RULES.dangerousFunction;
        break;
      case 'W':
        // `having (1 or 1)`, `where (1)=(1)`, `having 1=1`, `having '1' = 1`
        if (/^\(+[1sv]\)*[&o]/.test(fp.slice(i + 1, i + 12)) && i > 0) return SQLI_RULES.tautology;
        if (i > 0 && /^[1sv]o[1sv]/.test(fp.slice(i + 1, i + 4)) && COMPARISON.has(t.word(i + 2)!)) return SQLI_RULES.tautology;
        break;
      case 'B':
        // `1 order by 1--`, `1 group by 1,2 having`
        // (`10 order by price` in a search is prose: a column name counts only before a comment, `;`, `,` or `)`.)
        if (i > 0 && (fp[i - 1] === '1' || fp[i - 1] === 's') && t.word(i + 1) === 'by' && /^(?:1(?:$|[c,;)W])|n[c,;)W])/.test(fp.slice(i + 2, i + 4))) {
          return SQLI_RULES.clauseInjection;
        }
        break;
      case ';':
        // A statement of SQL's shape: `; drop table users`, `; update users set`, `; if exists (` (not `; call me`);
        // any statement word after a value that is only `;` or a number before it (`1;select`, `;drop`).
        if (stackedStatement(t, i + 1)) return SQLI_RULES.stacked;
        if ((next === 'S' || next === 'E') && (i === 0 || (i === 1 && fp[0] === '1'))) return SQLI_RULES.stacked;
        break;
      case ')':
        // `1) from users where`, `1) order by 1`, `1) union`
        if (next === 'F' && fp[i + 2] === 'n' && /^(?:[WBc;U]|k)/.test(fp[i + 3] ?? '')) return SQLI_RULES.clauseInjection;
        if (next === 'B' && fp[i + 2] === 'k' && t.word(i + 2) === 'by' && /^[1n](?:$|[c,;)])/.test(fp.slice(i + 3, i + 5))) {
          return SQLI_RULES.clauseInjection;
        }
        break;
      case 'k':
        if (t.word(i) === 'case' && /^[^;]{0,6}k/.test(fp.slice(i + 1)) && caseExpression(t, i)) return SQLI_RULES.caseExpression;
        break;
      case 'v':
        if (t.word(i)!.startsWith('@@') && t.word(i)!.length > 3) return SQLI_RULES.systemVariable;
        break;
      case 'n':
        if (t.nameIn(i, SCHEMA_OBJECTS)) return SQLI_RULES.schemaProbe;
        if (t.nameIn(i, EXTENDED_PROCEDURES)) return SQLI_RULES.dangerousFunction;
        break;
      case 'S': {
        const prev = i === 0 ? '' : fp[i - 1]!;
        const after = fp.slice(i + 1, i + 24);
        // `(select 1`, `(select @a`, `(select *`, `(select login/2 from`
        if (prev === '(' && /^[1vfso(]/.test(after)) return SQLI_RULES.subquery;
        if (prev === '(' && /^(?:n[^;]{0,20}F|n\(|k[1n])/.test(after)) return SQLI_RULES.subquery;
        // After a break (`;`, union, logic, operator, comma, quote): select <anything> from
        // (`order select items from`: an ORDER or GROUP without its BY is no break.)
        if (prev !== '' && prev !== 'n' && prev !== 'B' && /^[1vfso(nk][^;]{0,20}F/.test(after)) return SQLI_RULES.subquery;
        // A statement on its own: `select session_user;`, `select current_setting('port');`, `select @@version`
        // (`select@o'reilly.example`, a variable and then a string left open, is an address).
        if (i === 0 && /^(?:[vf]|n\([^;]*\);|1;)/.test(after) && !(after === 'vs' && t.openEnd)) return SQLI_RULES.selectFrom;
        // select <expression list> from
        if (/^[1vfso(][^;]{0,20}F/.test(after) || /^n[,.][^;]{0,20}F/.test(after)) return SQLI_RULES.selectFrom;
        if (/^nFn(?:$|[W;cBkU).])/.test(after)) return SQLI_RULES.selectFrom;
        break;
      }
      case '&':
        if (tautologyAfterLogic(t, i)) return SQLI_RULES.tautology;
        break;
      default:
        break;
    }
  }
  return undefined;
}

/**
 * Only literals, variables, operators and parentheses, then a comment that cuts off the rest of the query:
 * `1 --`, `1*1/*`, `@version/*`, `( ( @a ) ) --`. Prose always has words in it.
 */
function commentTruncationRule(t: SqlFingerprint): string | undefined {
  const { fp } = t;
  // The three anchored patterns below are tried only on the first token class they start with (a regex call costs
  // more than the answer on the fingerprints of prose, which start with neither).
  const first = fp.charCodeAt(0);
  // `1 or true`, `0 and false--`, `1) or true#`: a number, logic, a boolean literal, and nothing else.
  if (first === 49 /* 1 */ && NUMBER_LOGIC_BOOLEAN.test(fp) && (t.word(fp.indexOf('&') + 1) === 'true' || t.word(fp.indexOf('&') + 1) === 'false')) {
    return SQLI_RULES.tautology;
  }
  // A value that is only a trailing clause: ` ORDER BY 12--`, ` HAVING 1=1--`, ` GROUP BY 1,2`.
  if (first === 66 /* B */ && ONLY_CLAUSE.test(fp) && t.word(1) === 'by') return SQLI_RULES.clauseInjection;
  if (first === 87 /* W */ && ONLY_CONDITION.test(fp) && COMPARISON.has(t.word(2)!)) return SQLI_RULES.tautology;
  if (fp.length >= 2 && fp.endsWith('c') && /^[(]*[1v][1svo(),&]*c$/.test(fp)) return SQLI_RULES.commentTruncation;
  if (fp.length >= 4 && fp.endsWith('c') && /^[(o1sv),&]*c$/.test(fp) && fp.indexOf('(') !== -1 && /[1v]/.test(fp)) {
    return SQLI_RULES.commentTruncation;
  }
  return undefined;
}

const CASE_ORDER = ['when', 'then', 'end'];

/** CASE … WHEN … THEN … END in order: an SQL expression, not a sentence. */
function caseExpression(t: SqlFingerprint, from: number): boolean {
  let stage = 0;
  for (let i = from + 1; i < t.fp.length && stage < 3; i++) if (t.word(i) === CASE_ORDER[stage]) stage++;
  return stage === 3;
}

const QUOTE_EXPRESSION = /^o*(?:[1svn]|f\([^;]*?\)|\(+[1svn])\)*(?:o+(?:[1svn]|f\([^;]*?\)|\(+[1svn])\)*)*(?:c|;c?|&.*)?$/;

/**
 * `-shoes -sandles --infant`, `"++" to fix it`, `href="/teams/">page`: only `+`/`-`/`/` between words, or a prose
 * tail, is search syntax, a path or writing, not arithmetic on SQL values (which needs a number, variable or
 * function, or a short operand string).
 */
function looksLikeSearchSyntax(t: SqlFingerprint, from: number): boolean {
  let hasName = false;
  for (let k = from; k < t.fp.length; k++) {
    const type = t.fp[k]!;
    if (type === 'o' && t.word(k) !== '+' && t.word(k) !== '-' && t.word(k) !== '/') return false;
    if (type === '1' || type === 'v' || type === 'f' || type === '&') return false;
    if (type === 'n') hasName = true;
  }
  return hasName || t.tailHasSpace;
}

function hasSymbolOperator(t: SqlFingerprint, from: number): boolean {
  for (let k = from; k < t.fp.length; k++) if (t.fp[k] === 'o' && SYMBOL_OPERATORS.has(t.word(k)!)) return true;
  return false;
}

/** Rules for a value read after an opening quote: its first token is the string the input closes. */
function quoteContextRule(t: SqlFingerprint): string | undefined {
  const { fp } = t;
  if (fp.length < 2) return undefined;
  let i = 1;
  while (fp[i] === ')') i++;
  const a = fp[i];
  const b = fp[i + 1];
  if (a === undefined) return undefined;
  if (a === 'c') return SQLI_RULES.quoteBreak; // admin'--
  if (a === 'E' && fp.endsWith('c')) return SQLI_RULES.quoteBreak; // 'create user x identified by 'y' --
  if (a === ';' && b !== undefined && 'SEckWIf'.includes(b)) return SQLI_RULES.quoteBreak; // x'; drop table
  if (i > 1 && (a === '&' || a === 'U' || a === 'S' || a === 'E' || a === 'W' || a === 'B')) {
    return SQLI_RULES.quoteBreak; // ') or ('1'='1
  }
  if (a === '&') {
    const c = fp[i + 2];
    if (b === '1' || b === 'f' || b === 'v' || b === '(') return SQLI_RULES.quoteBreak;
    if (b === 'o' && UNARY.has(t.word(i + 1)!) && c !== undefined && '1svf('.includes(c)) return SQLI_RULES.quoteBreak;
    // `' or 'a'='a`, `' or x like '%`: a string or name must be compared, `" and "disney` is prose.
    if ((b === 's' || b === 'n') && c !== undefined && 'oc;&('.includes(c)) return SQLI_RULES.quoteBreak;
    // `A' && 'B`: the input ends inside the string the query's own quote closes.
    // `' OR '1` (the input starts by closing the quote) counts; `x" and "y` in prose does not.
    if (b === 's' && c === undefined && t.openEnd && (SYMBOL_LOGIC.has(t.word(i)!) || t.leadingQuote)) return SQLI_RULES.quoteBreak;
    if (b === 's' && t.leadingQuote && t.openEnd && /^s+$/.test(fp.slice(i + 1))) return SQLI_RULES.quoteBreak; // ' or '' '
    return undefined;
  }
  // A quoted word (`"LIKE" STAMP`, `browning "like"`) is a user quoting, not breaking out: a word operator counts
  // when the input both opens and closes around it (`'LIKE'`) or neither (`A' DIV 'B`), or next to a symbol operator.
  const word = t.word(i) === 'not' && fp[i + 1] === 'o' ? t.word(i + 1)! : t.word(i)!;
  const operatorOk =
    SYMBOL_OPERATORS.has(word) ||
    (WORD_OPERATORS.has(word) && (t.leadingQuote === t.trailingQuote || hasSymbolOperator(t, i + 1)));
  // After the operator: operands joined by operators, a string literal only right after an operator (so
  // `1/4"-1/2" WIDE` (a number then an open string) is not an expression), then a comment, `;` or logic.
  if (a === 'o' && operatorOk && QUOTE_EXPRESSION.test(fp.slice(i + 1)) && !looksLikeSearchSyntax(t, i)) {
    // ' = '   '-'   '%' : valid SQL only if the input ends inside the string the query's own quote closes,
    // or in a comment, or continues with logic. `" - "MAGAZINE"` closes its last string: a syntax error, not SQL.
    if (t.openEnd || fp.endsWith('c') || fp.indexOf('&', i) !== -1) return SQLI_RULES.quoteBreak;
  }
  // `Revert "Drop table view"` quotes a phrase: a statement after a quote must not end inside a new string.
  if (a === 'E' && !t.openEnd && (b === 'v' || ((t.word(i) === 'drop' || t.word(i) === 'create' || t.word(i) === 'alter' || t.word(i) === 'truncate') && b === 'k'))) {
    return SQLI_RULES.quoteBreak; // x'declare @a   '; drop table
  }
  if (a === 'W' && b !== undefined && '1fv(n'.includes(b)) return SQLI_RULES.quoteBreak;
  if (a === 'B' && b === 'k' && /^[1n](?:$|[c;,)W])/.test(fp.slice(i + 2, i + 4))) return SQLI_RULES.quoteBreak;
  if (a === 'I' && b === 'k' && (t.word(i + 1) === 'outfile' || t.word(i + 1) === 'dumpfile')) return SQLI_RULES.quoteBreak;
  return undefined;
}

/** The rule that fires on `s` read after an opening `quote`, if any. */
function quotedRule(tokens: SqlTokenizer, s: string, quote: 34 | 39): string | undefined {
  const quoted = tokens.read(s, quote);
  // Only a closed string and a `#` comment: `$('#id').hide()` is a quoted selector, not `admin'#`. But only MySQL
  // comments out the rest at the `#`: the other databases read on past the selector, where its closing quote opens a
  // string and the next quote breaks out again (`$('#id')' union select password from users --`).
  if (quoted.fp === 'sc' && quotedIdSelector(s, quote)) return anyContextRule(tokens.read(s, quote, false));
  return quoteContextRule(quoted) ?? anyContextRule(quoted);
}

/**
 * The rule `s` (lower-cased, folded) fires read bare, after `'` or after `"`, if any: the detector's work once its
 * gates let `s` through. Exported for the test that proves the plain-words gate (`onlyPlainWords`) sound.
 */
export function sqlRuleOf(tokens: SqlTokenizer, s: string): string | undefined {
  const bare = tokens.read(s, 0);
  try {
    const bareRule = anyContextRule(bare) ?? commentTruncationRule(bare);
    if (bareRule) return bareRule;
    // After `'`, then after `"` (no array per value).
    const single = s.indexOf("'") === -1 ? undefined : quotedRule(tokens, s, 39);
    if (single) return single;
    return s.indexOf('"') === -1 ? undefined : quotedRule(tokens, s, 34);
  } finally {
    tokens.clear(); // the reused tokenizer keeps no part of a request past its value
  }
}

/** Creates the SQL injection detector (rules at paranoia 1; all critical). */
export function createSqliDetector(): Detector {
  // Detection is synchronous and each context's tokens are read to the end before the next `read`.
  const tokens = new SqlTokenizer();
  return {
    category: 'sqli',
    // `@@version`, `xp_cmdshell`, `1 or true`, typographic quotes: SQL without a quote or parenthesis.
    // SQL_CHARS a plain value may hold (`@`, and `!`, `~`, `^`: the `bang` class), or BOOLEAN_PROBE's start.
    readsPlainValues: { chars: CH.at | CH.bang, hint: /^\s*\d{1,10}\s+(?:or|and|xor|order|group)\s/, hintStarts: [...'0123456789'] },
    detect(value: InspectedValue): RuleHit | undefined {
      let s = value.lower;
      if (s.length < 2) return undefined;
      if (isPlainAsciiWithoutSql(s, value.mask)) return undefined;
      // Both folds below are of non-ASCII characters only: an ASCII value (most) skips their searches.
      const nonAscii = (value.mask & CH.nonAscii) !== 0;
      // Typographic quotes, primes and dashes (`’ or ‘1’=’1`, `'1′='1–`) become SQL quotes and comments in some
      // drivers and copy-paste paths.
      if (nonAscii && UNICODE_PUNCTUATION.test(s)) s = foldUnicodePunctuation(s);
      // Non-breaking and other Unicode spaces separate tokens for MySQL and MSSQL as a space does.
      if (nonAscii && UNICODE_SPACE.test(s)) s = s.replace(UNICODE_SPACES, ' ');
      // A digit before a quote needs a quote: in the mask, or made by the typographic fold above.
      const digitQuote = (value.mask & CH.quote) !== 0 || s !== value.lower ? firstDigitQuote(s) : -1;
      if (digitQuote !== -1) {
        const folded = foldInchMarks(s, digitQuote);
        // A leading `16" or 18"` is a measure too once the value has another one; `1' or '1'='1` has none. (The
        // pattern starts with a digit: other values skip the `replace`, whose fixed cost is about 0.5 µs.)
        s = folded === s ? s : isDigit(folded.charCodeAt(0)) ? folded.replace(LEADING_INCH_MARK, '$1 ') : folded;
      }
      if ((value.mask & CH.at) !== 0 && PLAIN_EMAIL.test(s)) return undefined;
      if ((value.mask & SQL_CHARS) === 0 && s === value.lower && s.indexOf('union') === -1 && s.indexOf('select') === -1 && !BOOLEAN_PROBE.test(s)) {
        return undefined;
      }
      // Names, numbers and quotes alone (`o'neill`, `levi's 501 jeans w32"`): no reading of them holds SQL.
      if ((value.mask & ~PLAIN_WORD_CLASSES) === 0 && onlyPlainWords(s, NAME_TABLES)) return undefined;
      const rule = sqlRuleOf(tokens, s);
      return rule ? hit(rule) : undefined;
    },
  };
}
