/**
 * A SQL tokenizer in the spirit of libinjection: it reads a string the way a SQL parser would if the string had been
 * pasted into a query (as a bare value, or after an opening `'` or `"`), classifies each token, and returns a short
 * fingerprint (one character per token) that the SQL injection detector matches against known injection shapes.
 * Single pass, bounded token count: linear time.
 */
import { isDigit, isSpace, isWordChar, isWordStart, numberEnd, skipSpaces } from './sql-chars.js';
import { castEnd, postgresOperator } from './sql-postgres.js';
import { extendWordHash, WordTable, wordSet } from './word-table.js';


/**
 * Token classes (one character each, so fingerprints are short strings):
 * s string, 1 number/literal, n bareword, v @variable, f known function (followed by `(`), o operator, & logical
 * operator (AND/OR/XOR/&&/||), c comment to end, U union/intersect/except, S select, E other statement keyword
 * (insert, drop, exec...), F from, W where/having, B order/group (… by), I into, k other keyword, ( ) , ; .,
 * X MySQL executable comment, x anything else. PostgreSQL casts (`::text`) make no token; its jsonb operators are
 * `o` (sql-postgres.ts).
 */
export type SqlTokenType = string;

/** Tokens read at most per context: injections show themselves in the first few dozen tokens. */
export const MAX_SQL_TOKENS = 48;

/** Keywords by token class (the classes above), one space-separated list each. */
const KEYWORD_CLASSES: Readonly<Record<SqlTokenType, string>> = {
  U: 'union intersect except',
  S: 'select',
  E: 'insert update delete drop create alter truncate exec execute declare shutdown grant revoke waitfor merge call handler load',
  F: 'from',
  W: 'where having',
  B: 'order group',
  I: 'into',
  '&': 'and or xor',
  o: 'like rlike regexp is in between div mod not sounds collate escape glob binary',
  1: 'null true false unknown',
  v: 'current_user session_user system_user current_timestamp current_date current_time localtimestamp',
  k:
    'by limit offset values table database procedure view index trigger login function join as set distinct all top ' +
    'case when then else end outfile dumpfile delay asc desc begin cast convert char varchar nvarchar int integer ' +
    'signed unsigned dual if exists any some on using',
};
const KEYWORDS = Object.entries(KEYWORD_CLASSES).flatMap(([type, words]) => words.split(' ').map((word) => [word, type.charCodeAt(0)] as const));
/** Every keyword of every class (for the tests that generate SQL from them). */
export const SQL_KEYWORDS: readonly string[] = KEYWORDS.map(([word]) => word);

/** Length of the longest keyword: a longer word is no keyword, without looking it up. */
export const MAX_KEYWORD_LENGTH = Math.max(...KEYWORDS.map(([word]) => word.length));

/**
 * Function names: a bareword directly followed by `(` counts as a function call only when it is one of these,
 * so `Reality check (2016)` stays prose.
 */
const FUNCTION_TABLE = wordSet([
  'abs', 'acos', 'aes_decrypt', 'aes_encrypt', 'ascii', 'asin', 'atan', 'atan2', 'avg', 'benchmark', 'bin',
  'bit_length', 'cast', 'ceil', 'ceiling', 'char', 'char_length', 'character_length', 'charindex', 'chr',
  'coalesce', 'concat', 'concat_ws', 'connection_id', 'conv', 'convert', 'cos', 'cot', 'count', 'crc32',
  'current_database', 'current_date', 'current_user', 'database', 'datalength', 'db_name', 'dbms_pipe',
  'decode', 'degrees', 'elt', 'encode', 'exp', 'export_set', 'extractvalue', 'field', 'find_in_set', 'floor',
  'format', 'found_rows', 'from_base64', 'geometrycollection', 'get_lock', 'greatest', 'group_concat',
  'gtid_subset', 'hex', 'host_name', 'if', 'ifnull', 'iif', 'inet_aton', 'insert', 'instr', 'is_srvrolemember',
  'isnull', 'json_extract', 'json_keys', 'last_insert_id', 'lcase', 'least', 'left', 'len', 'length', 'linestring',
  'ln', 'load_extension', 'load_file', 'locate', 'log', 'lower', 'lpad', 'ltrim', 'make_set', 'master_pos_wait',
  'max', 'md5', 'mid', 'min', 'mod', 'multipoint', 'multipolygon', 'name_const', 'nchar', 'now', 'nullif', 'oct',
  'ord', 'openrowset', 'opendatasource', 'pg_read_file', 'pg_sleep', 'pi', 'polygon', 'position', 'pow', 'power',
  'quote', 'quotename', 'radians', 'rand', 'randomblob', 'repeat', 'replace', 'reverse', 'right', 'round', 'row',
  'row_count', 'rpad', 'rtrim', 'schema', 'session_user', 'sha', 'sha1', 'sha2', 'sign', 'sin', 'sleep', 'soundex',
  'space', 'sqrt', 'st_latfromgeohash', 'str', 'strcmp', 'string_agg', 'substr', 'substring', 'substring_index',
  'sum', 'sys_context', 'sysdate', 'system_user', 'tan', 'to_base64', 'to_char', 'trim', 'ucase', 'unhex',
  'unicode', 'updatexml', 'upper', 'user', 'user_name', 'utl_http', 'utl_inaddr', 'uuid', 'version', 'xmltype',
  'xp_cmdshell', 'xp_dirtree', 'sp_executesql', 'dblink', 'lo_import', 'query_to_xml', 'exists', 'values',
  'count_big', 'checksum', 'dbms_xmlgen', 'ctxsys', 'json_object', 'randomblob', 'typeof', 'sqlite_version',
]);

/** Functions whose only use in user input is an attack (time delays, file access, error-based extraction). */
export const DANGEROUS_SQL_FUNCTIONS: ReadonlySet<string> = new Set([
  'sleep', 'benchmark', 'pg_sleep', 'load_file', 'extractvalue', 'updatexml', 'utl_inaddr', 'utl_http',
  'dbms_pipe', 'xp_cmdshell', 'xp_dirtree', 'sp_executesql', 'name_const', 'gtid_subset', 'load_extension',
  'pg_read_file', 'dblink', 'lo_import', 'openrowset', 'opendatasource', 'get_lock', 'master_pos_wait',
  'randomblob', 'geometrycollection', 'multipoint', 'multipolygon', 'linestring', 'polygon', 'dbms_xmlgen',
  'query_to_xml', 'is_srvrolemember', 'xmltype', 'sys_context', 'st_latfromgeohash', 'json_keys',
]);

/** The tokenizer's result: a fingerprint and the lower-case word of each token (for keyword-specific rules). */
export interface SqlFingerprint {
  readonly fp: string;
  /**
   * The lower-case word of token `i` (`''` for strings, comments and punctuation), or undefined past the last
   * token, as reading past the end of an array would give.
   */
  word(i: number): string | undefined;
  /** True when token `i` is a bareword (`n`) that `names` holds, looked up without slicing it out of the value. */
  nameIn(i: number, names: WordTable<unknown>): boolean;
  /** True when the input ends inside an unterminated string: the query's own closing quote would close it. */
  readonly openEnd: boolean;
  /** True when, in a quote context, the input starts with that quote (the closed string is empty). */
  readonly leadingQuote: boolean;
  /** True when the input ends with a quote character (a final open string would be empty). */
  readonly trailingQuote: boolean;
  /** True when the final open string contains a space (prose, not an operand). */
  readonly tailHasSpace: boolean;
}

/** Set by `skipString`: whether the string it skipped had a closing quote (single-threaded, read right after). */
let lastStringClosed = false;

/** Skips a quoted string starting after its opening quote; returns the index after the closing quote (or end). */
function skipString(s: string, from: number, quote: number): number {
  lastStringClosed = false;
  let i = from;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \ */) {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (s.charCodeAt(i + 1) === quote) {
        i += 2; // doubled quote: escaped
        continue;
      }
      lastStringClosed = true;
      return i + 1;
    }
    i++;
  }
  return s.length;
}

/** Keywords by word, with their token class as a character code (the fingerprint is built from codes). */
export const KEYWORD_TABLE = new WordTable<number>(KEYWORDS);
/**
 * Schemas whose members read as one word: packages called as `pkg.fn(...)`, and the system schemas whose tables
 * an attacker names (`sys.tables`, `mysql.user`).
 */
export const DOTTED_PACKAGES = wordSet(['utl_inaddr', 'utl_http', 'dbms_pipe', 'dbms_xmlgen', 'ctxsys', 'sys', 'mysql']);

/** Two-character operators by their two character codes (`first << 16 | second`), as the operator's own string. */
const TWO_CHAR_OPERATORS: ReadonlyMap<number, string> = new Map(
  ['<=', '>=', '<>', '!=', ':=', '<<', '>>', '==', '=>', '!<', '!>', '->', '||', '&&'].map((op) => [(op.charCodeAt(0) << 16) | op.charCodeAt(1), op]),
);

// Token classes as character codes.
const T_STRING = 115; // s
export const T_NUMBER = 49; // 1
const T_NAME = 110; // n
const T_FUNCTION = 102; // f
export const T_VARIABLE = 118; // v
export const T_OPERATOR = 111; // o
const T_LOGIC = 38; // &
const T_COMMENT = 99; // c
const T_EXECUTABLE_COMMENT = 88; // X
const T_OTHER = 120; // x
export const T_KEYWORD = 107; // k (other keywords)

/**
 * Tokenizes values as SQL (`read`), keeping the result until the next `read`: one instance per detector, reused for
 * every value, so a value costs no array and no string per token. The words of names, numbers and variables are
 * sliced out of the value only when a rule asks for them (`word`); keywords, functions and operators are the
 * tables' own strings.
 */
export class SqlTokenizer implements SqlFingerprint {
  fp = '';
  openEnd = false;
  leadingQuote = false;
  trailingQuote = false;
  tailHasSpace = false;
  private source = '';
  private count = 0;
  /** Per token: its class's character code (joined into `fp` once per value). */
  private readonly types: number[] = new Array<number>(MAX_SQL_TOKENS).fill(0);
  /**
   * One array per token count, for `String.fromCharCode.apply`: it reads the whole array, and shortening one array
   * to the count instead (`length =`) took the runtime's slow path on every value.
   */
  private readonly exact: number[][] = Array.from({ length: MAX_SQL_TOKENS + 1 }, (_, count) => new Array<number>(count).fill(0));
  /** Per token: its word when known while reading, else undefined (sliced from `starts`/`ends` on demand). */
  private readonly words: (string | undefined)[] = new Array<string | undefined>(MAX_SQL_TOKENS).fill(undefined);
  private readonly starts = new Int32Array(MAX_SQL_TOKENS);
  private readonly ends = new Int32Array(MAX_SQL_TOKENS);
  /** Per bareword: the hash of its characters (`extendWordHash`), for `nameIn`. */
  private readonly hashes = new Int32Array(MAX_SQL_TOKENS);

  word(i: number): string | undefined {
    if (!(i >= 0 && i < this.count)) return undefined;
    return (this.words[i] ??= this.source.slice(this.starts[i]!, this.ends[i]!));
  }

  /** Lets go of the last value and its words (a reused tokenizer would otherwise keep them alive). */
  clear(): void {
    for (let k = 0; k < this.count; k++) this.words[k] = undefined;
    this.source = '';
    this.count = 0;
    this.fp = '';
  }

  nameIn(i: number, names: WordTable<unknown>): boolean {
    // A backquoted name is a bareword with an empty range: no table holds the empty word.
    return i >= 0 && i < this.count && this.types[i] === T_NAME && names.find(this.source, this.starts[i]!, this.ends[i]!, this.hashes[i]!) !== -1;
  }

  private push(type: number, word: string | undefined, start = 0, end = 0, hash = 0): void {
    const k = this.count++;
    this.types[k] = type;
    this.words[k] = word;
    this.starts[k] = start;
    this.ends[k] = end;
    this.hashes[k] = hash;
  }

  /**
   * Tokenizes `s` (already lower-cased) as SQL. With `quote` set (39 `'` or 34 `"`), the text is read as if it
   * followed an opening quote in the query, so the first token is the string the input closes. With `hashComments`
   * false, `#` is read as the databases without MySQL's `#` comments read it, as a character (`x`), not a comment.
   */
  read(s: string, quote: 0 | 34 | 39, hashComments = true): this {
    this.source = s;
    this.count = 0;
    let i = 0;
    let openEnd = false;
    let lastStringStart = 0;
    const n = s.length;
    if (quote !== 0) {
      const end = s.indexOf(quote === 39 ? "'" : '"');
      this.push(T_STRING, '');
      if (end === -1) return this.finish(true, false, false, s.indexOf(' ') !== -1);
      i = end + 1;
    }
    while (i < n && this.count < MAX_SQL_TOKENS) {
      const c = s.charCodeAt(i);
      if (isSpace(c)) {
        i++;
        continue;
      }
      if (c === 39 || c === 34) {
        lastStringStart = i + 1;
        i = skipString(s, i + 1, c);
        openEnd = !lastStringClosed;
        this.push(T_STRING, '');
        continue;
      }
      if (c === 96 /* ` */) {
        const end = s.indexOf('`', i + 1);
        i = end === -1 ? n : end + 1;
        this.push(T_NAME, '');
        continue;
      }
      if (isDigit(c) || (c === 46 && isDigit(s.charCodeAt(i + 1)))) {
        const j = numberEnd(s, i);
        this.push(T_NUMBER, undefined, i, j);
        i = j;
        continue;
      }
      if (isWordStart(c)) {
        i = this.readWord(s, i);
        continue;
      }
      // PostgreSQL's jsonb operators (`@>`, `<@`, `?`, `?|`, `?&`, `#>`, `#>>`) where they join operands.
      if (c === 64 || c === 60 || c === 63 || c === 35) {
        const op = postgresOperator(s, i, c === 63 && this.afterOperand());
        if (op !== undefined) {
          this.push(T_OPERATOR, op);
          i += op.length;
          continue;
        }
      }
      if (c === 64 /* @ */) {
        let j = i + 1;
        if (s.charCodeAt(j) === 64) j++;
        while (j < n && (isWordChar(s.charCodeAt(j)) || s.charCodeAt(j) === 46)) j++;
        // A bare `@` or `@@` (diff hunk headers, handles) is not a variable.
        if (j === i + 1 || (j === i + 2 && s.charCodeAt(i + 1) === 64)) this.push(T_OTHER, '@');
        else this.push(T_VARIABLE, undefined, i, j);
        i = j;
        continue;
      }
      if ((c === 35 /* # */ && hashComments) || (c === 45 && s.charCodeAt(i + 1) === 45)) {
        // A line comment ends the statement unless a newline follows; then it is whitespace (`-1#\nunion`).
        const nl = s.indexOf('\n', i);
        if (nl === -1) {
          this.push(T_COMMENT, '');
          break;
        }
        i = nl + 1;
        continue;
      }
      if (c === 47 /* / */ && s.charCodeAt(i + 1) === 42 /* * */) {
        if (s.charCodeAt(i + 2) === 33 /* ! */) {
          // MySQL executable comment: its content is code. Mark it and keep reading inside.
          this.push(T_EXECUTABLE_COMMENT, '');
          i += 3;
          while (i < n && isDigit(s.charCodeAt(i))) i++;
          continue;
        }
        const end = s.indexOf('*/', i + 2);
        if (end === -1) {
          this.push(T_COMMENT, '');
          break;
        }
        i = end + 2; // an inline comment is whitespace to SQL
        continue;
      }
      if (c === 92 /* \ */ && s.charCodeAt(i + 1) === 110 && !isWordChar(s.charCodeAt(i + 2))) {
        this.push(T_NUMBER, 'null'); // MySQL's \N is NULL
        i += 2;
        continue;
      }
      if (c === 42 && s.charCodeAt(i + 1) === 47) {
        i += 2; // end of an executable comment
        continue;
      }
      if (c === 40 || c === 41 || c === 44 || c === 59 || c === 46) {
        this.push(c, ''); // ( ) , ; . are their own classes
        i++;
        continue;
      }
      if (c === 58 && s.charCodeAt(i + 1) === 58) {
        const end = castEnd(s, i);
        if (end !== -1) {
          i = end; // `'a'::text`: a PostgreSQL cast changes no operand's role, no token
          continue;
        }
      }
      // Two-character operators start with one of `|&<>!:=-`.
      if (c === 124 || c === 38 || c === 60 || c === 62 || c === 33 || c === 58 || c === 61 || c === 45) {
        const two = TWO_CHAR_OPERATORS.get((c << 16) | s.charCodeAt(i + 1));
        if (two === '||' || two === '&&') {
          this.push(T_LOGIC, two);
          i += 2;
          continue;
        }
        if ((two === '<=' || two === '->') && s.charCodeAt(i + 2) === 62) {
          this.push(T_OPERATOR, two === '<=' ? '<=>' : '->>');
          i += 3;
          continue;
        }
        if (two !== undefined) {
          this.push(T_OPERATOR, two);
          i += 2;
          continue;
        }
      }
      // One UTF-16 unit of an ASCII character: V8 returns a shared single-character string, no allocation.
      this.push('=<>+-*/%^|&~!'.indexOf(s[i]!) !== -1 ? T_OPERATOR : T_OTHER, s[i]!);
      i++;
    }
    const open = openEnd && this.count > 0 && this.types[this.count - 1] === T_STRING;
    const c = s.charCodeAt(n - 1);
    return this.finish(open, quote !== 0 && s.charCodeAt(0) === quote, c === 39 || c === 34, open && s.slice(lastStringStart).trim().indexOf(' ') !== -1);
  }

  /** True when the last token is an operand: a string, number, name, variable or `)`. */
  private afterOperand(): boolean {
    const type = this.count === 0 ? 0 : this.types[this.count - 1]!;
    return type === T_STRING || type === T_NUMBER || type === T_NAME || type === T_VARIABLE || type === 41;
  }

  /** Reads the word starting at `i` (a keyword, a function called, or a name); returns the index after it. */
  private readWord(s: string, i: number): number {
    const n = s.length;
    let hash = extendWordHash(0, s.charCodeAt(i));
    let j = i + 1;
    // Oracle packages (`utl_inaddr.get_host_address`) read as one function name: the word goes on past a dot
    // after a package's name. `baseEnd`/`baseHash` are the word before its first dot.
    let baseEnd = -1;
    let baseHash = 0;
    for (;;) {
      if (j >= n) break;
      const d = s.charCodeAt(j);
      if (isWordChar(d)) {
        hash = extendWordHash(hash, d);
        j++;
        continue;
      }
      if (d !== 46 || !isWordStart(s.charCodeAt(j + 1)) || DOTTED_PACKAGES.find(s, i, j, hash) === -1) break;
      if (baseEnd === -1) {
        baseEnd = j;
        baseHash = hash;
      }
      hash = extendWordHash(hash, d);
      j++;
    }
    const k = skipSpaces(s, j);
    if (s.charCodeAt(k) === 40 /* ( */) {
      const slot = baseEnd === -1 ? FUNCTION_TABLE.find(s, i, j, hash) : FUNCTION_TABLE.find(s, i, baseEnd, baseHash);
      if (slot !== -1) {
        this.push(T_FUNCTION, FUNCTION_TABLE.word(slot));
        return j;
      }
    }
    const keyword = j - i <= MAX_KEYWORD_LENGTH ? KEYWORD_TABLE.find(s, i, j, hash) : -1;
    if (keyword === -1) this.push(T_NAME, undefined, i, j, hash);
    else this.push(KEYWORD_TABLE.value(keyword), KEYWORD_TABLE.word(keyword));
    return j;
  }

  private finish(openEnd: boolean, leadingQuote: boolean, trailingQuote: boolean, tailHasSpace: boolean): this {
    const codes = this.exact[this.count]!;
    for (let k = 0; k < codes.length; k++) codes[k] = this.types[k]!;
    this.fp = String.fromCharCode.apply(null, codes);
    this.openEnd = openEnd;
    this.leadingQuote = leadingQuote;
    this.trailingQuote = trailingQuote;
    this.tailHasSpace = tailHasSpace;
    return this;
  }
}
