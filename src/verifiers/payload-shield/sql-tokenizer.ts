/**
 * A SQL tokenizer in the spirit of libinjection: it reads a string the way a SQL parser would if the string had been
 * pasted into a query (as a bare value, or after an opening `'` or `"`), classifies each token, and returns a short
 * fingerprint (one character per token) that the SQL injection detector matches against known injection shapes.
 * Single pass, bounded token count: linear time.
 */

/**
 * Token classes (one character each, so fingerprints are short strings):
 * s string, 1 number/literal, n bareword, v @variable, f known function (followed by `(`), o operator, & logical
 * operator (AND/OR/XOR/&&/||), c comment to end, U union/intersect/except, S select, E other statement keyword
 * (insert, drop, exec...), F from, W where/having, B order/group (… by), I into, k other keyword, ( ) , ; .,
 * X MySQL executable comment, x anything else.
 */
export type SqlTokenType = string;

/** Tokens read at most per context: injections show themselves in the first few dozen tokens. */
export const MAX_SQL_TOKENS = 48;

const KEYWORDS: ReadonlyMap<string, SqlTokenType> = new Map<string, SqlTokenType>([
  ['union', 'U'],
  ['intersect', 'U'],
  ['except', 'U'],
  ['select', 'S'],
  ['insert', 'E'],
  ['update', 'E'],
  ['delete', 'E'],
  ['drop', 'E'],
  ['create', 'E'],
  ['alter', 'E'],
  ['truncate', 'E'],
  ['exec', 'E'],
  ['execute', 'E'],
  ['declare', 'E'],
  ['shutdown', 'E'],
  ['grant', 'E'],
  ['revoke', 'E'],
  ['waitfor', 'E'],
  ['merge', 'E'],
  ['call', 'E'],
  ['handler', 'E'],
  ['load', 'E'],
  ['from', 'F'],
  ['where', 'W'],
  ['having', 'W'],
  ['order', 'B'],
  ['group', 'B'],
  ['into', 'I'],
  ['and', '&'],
  ['or', '&'],
  ['xor', '&'],
  ['like', 'o'],
  ['rlike', 'o'],
  ['regexp', 'o'],
  ['is', 'o'],
  ['in', 'o'],
  ['between', 'o'],
  ['div', 'o'],
  ['mod', 'o'],
  ['not', 'o'],
  ['sounds', 'o'],
  ['collate', 'o'],
  ['escape', 'o'],
  ['glob', 'o'],
  ['binary', 'o'],
  ['null', '1'],
  ['current_user', 'v'],
  ['session_user', 'v'],
  ['system_user', 'v'],
  ['current_timestamp', 'v'],
  ['current_date', 'v'],
  ['current_time', 'v'],
  ['localtimestamp', 'v'],
  ['true', '1'],
  ['false', '1'],
  ['unknown', '1'],
  ['by', 'k'],
  ['limit', 'k'],
  ['offset', 'k'],
  ['values', 'k'],
  ['table', 'k'],
  ['database', 'k'],
  ['procedure', 'k'],
  ['view', 'k'],
  ['index', 'k'],
  ['trigger', 'k'],
  ['login', 'k'],
  ['function', 'k'],
  ['join', 'k'],
  ['as', 'k'],
  ['set', 'k'],
  ['distinct', 'k'],
  ['all', 'k'],
  ['top', 'k'],
  ['case', 'k'],
  ['when', 'k'],
  ['then', 'k'],
  ['else', 'k'],
  ['end', 'k'],
  ['outfile', 'k'],
  ['dumpfile', 'k'],
  ['delay', 'k'],
  ['asc', 'k'],
  ['desc', 'k'],
  ['begin', 'k'],
  ['cast', 'k'],
  ['convert', 'k'],
  ['char', 'k'],
  ['varchar', 'k'],
  ['nvarchar', 'k'],
  ['int', 'k'],
  ['integer', 'k'],
  ['signed', 'k'],
  ['unsigned', 'k'],
  ['dual', 'k'],
  ['if', 'k'],
  ['exists', 'k'],
  ['any', 'k'],
  ['some', 'k'],
  ['on', 'k'],
  ['using', 'k'],
]);

/** Length of the longest keyword: a longer word is no keyword, without hashing it for the lookup. */
const MAX_KEYWORD_LENGTH = Math.max(...[...KEYWORDS.keys()].map((k) => k.length));

/**
 * Function names: a bareword directly followed by `(` counts as a function call only when it is one of these,
 * so `Reality check (2016)` stays prose.
 */
export const SQL_FUNCTIONS: ReadonlySet<string> = new Set([
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
  'in', 'count_big', 'checksum', 'dbms_xmlgen', 'ctxsys', 'json_object', 'randomblob', 'typeof', 'sqlite_version',
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
  readonly words: readonly string[];
  /** True when the first token is the string that closed the assumed opening quote. */
  readonly quoted: boolean;
  /** True when the input ends inside an unterminated string: the query's own closing quote would close it. */
  readonly openEnd: boolean;
  /** True when, in a quote context, the input starts with that quote (the closed string is empty). */
  readonly leadingQuote: boolean;
  /** True when the input ends with a quote character (a final open string would be empty). */
  readonly trailingQuote: boolean;
  /** Length of the final open string's content (0 when the input does not end inside a string). */
  readonly tailLength: number;
  /** True when the final open string contains a space (prose, not an operand). */
  readonly tailHasSpace: boolean;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0 || c === 160 || c === 0x2028 || c === 0x2029;
}

function isWordStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 || c > 127;
}

function isWordChar(c: number): boolean {
  return isWordStart(c) || (c >= 48 && c <= 57);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
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

const TWO_CHAR_OPERATORS = new Set(['<=', '>=', '<>', '!=', ':=', '<<', '>>', '==', '=>', '!<', '!>', '->']);

/**
 * Tokenizes `s` (already lower-cased) as SQL. With `quote` set (39 `'` or 34 `"`), the text is read as if it
 * followed an opening quote in the query, so the first token is the string the input closes.
 */
export function sqlFingerprint(s: string, quote: 0 | 34 | 39): SqlFingerprint {
  let fp = '';
  const words: string[] = [];
  let i = 0;
  let openEnd = false;
  let lastStringStart = 0;
  const n = s.length;
  if (quote !== 0) {
    const end = s.indexOf(quote === 39 ? "'" : '"');
    if (end === -1) return { fp: 's', words: [''], quoted: true, openEnd: true, leadingQuote: false, trailingQuote: false, tailLength: s.length, tailHasSpace: s.indexOf(' ') !== -1 };
    fp = 's';
    words.push('');
    i = end + 1;
  }
  while (i < n && fp.length < MAX_SQL_TOKENS) {
    const c = s.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === 39 || c === 34) {
      lastStringStart = i + 1;
      i = skipString(s, i + 1, c);
      openEnd = !lastStringClosed;
      fp += 's';
      words.push('');
      continue;
    }
    if (c === 96 /* ` */) {
      const end = s.indexOf('`', i + 1);
      i = end === -1 ? n : end + 1;
      fp += 'n';
      words.push('');
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(s.charCodeAt(i + 1)))) {
      let j = i + 1;
      if (c === 48 && (s.charCodeAt(j) === 120 || s.charCodeAt(j) === 98)) j++; // 0x / 0b
      while (j < n && (isWordChar(s.charCodeAt(j)) || s.charCodeAt(j) === 46)) {
        const d = s.charCodeAt(j);
        // 1e5, 0x1f, 1.5 stay one number; `1union` splits at the first letter that is not hex/exponent.
        if (!isDigit(d) && d !== 46 && !(d >= 97 && d <= 102) && d !== 120) break;
        j++;
      }
      fp += '1';
      words.push(s.slice(i, j));
      i = j;
      continue;
    }
    if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && (isWordChar(s.charCodeAt(j)) || (s.charCodeAt(j) === 46 && isWordStart(s.charCodeAt(j + 1)) && s.slice(i, j) in DOTTED_PACKAGES))) j++;
      const word = s.slice(i, j);
      i = j;
      // Oracle packages (`utl_inaddr.get_host_address`) read as one function name.
      let k = i;
      while (k < n && isSpace(s.charCodeAt(k))) k++;
      if (s.charCodeAt(k) === 40 /* ( */) {
        const base = word.indexOf('.') === -1 ? word : word.slice(0, word.indexOf('.'));
        if (SQL_FUNCTIONS.has(base)) {
          fp += 'f';
          words.push(base);
          continue;
        }
      }
      const kw = word.length <= MAX_KEYWORD_LENGTH ? KEYWORDS.get(word) : undefined;
      fp += kw ?? 'n';
      words.push(word);
      continue;
    }
    if (c === 64 /* @ */) {
      let j = i + 1;
      if (s.charCodeAt(j) === 64) j++;
      while (j < n && (isWordChar(s.charCodeAt(j)) || s.charCodeAt(j) === 46)) j++;
      if (j === i + 1 || (j === i + 2 && s.charCodeAt(i + 1) === 64)) {
        // A bare `@` or `@@` (diff hunk headers, handles) is not a variable.
        fp += 'x';
        words.push('@');
        i = j;
        continue;
      }
      fp += 'v';
      words.push(s.slice(i, j));
      i = j;
      continue;
    }
    if (c === 35 /* # */ || (c === 45 && s.charCodeAt(i + 1) === 45)) {
      // A line comment ends the statement unless a newline follows; then it is whitespace (`-1#\nunion`).
      const nl = s.indexOf('\n', i);
      if (nl === -1) {
        fp += 'c';
      words.push('');
        break;
      }
      i = nl + 1;
      continue;
    }
    if (c === 47 /* / */ && s.charCodeAt(i + 1) === 42 /* * */) {
      if (s.charCodeAt(i + 2) === 33 /* ! */) {
        // MySQL executable comment: its content is code. Mark it and keep reading inside.
        fp += 'X';
      words.push('');
        i += 3;
        while (i < n && isDigit(s.charCodeAt(i))) i++;
        continue;
      }
      const end = s.indexOf('*/', i + 2);
      if (end === -1) {
        fp += 'c';
      words.push('');
        break;
      }
      i = end + 2; // an inline comment is whitespace to SQL
      continue;
    }
    if (c === 92 /* \ */ && s.charCodeAt(i + 1) === 110 && !isWordChar(s.charCodeAt(i + 2))) {
      fp += '1'; // MySQL's \N is NULL
      words.push('null');
      i += 2;
      continue;
    }
    if (c === 42 && s.charCodeAt(i + 1) === 47) {
      i += 2; // end of an executable comment
      continue;
    }
    if (c === 40 || c === 41 || c === 44 || c === 59 || c === 46) {
      fp += String.fromCharCode(c);
      words.push('');
      i++;
      continue;
    }
    // Two-character operators start with one of `|&<>!:=-`: other characters skip the slice.
    if (c === 124 || c === 38 || c === 60 || c === 62 || c === 33 || c === 58 || c === 61 || c === 45) {
      const two = s.slice(i, i + 2);
      if (two === '||' || two === '&&') {
        fp += '&';
        words.push(two);
        i += 2;
        continue;
      }
      if (two === '<=' && s.charCodeAt(i + 2) === 62) {
        fp += 'o';
        words.push('<=>');
        i += 3;
        continue;
      }
      if (TWO_CHAR_OPERATORS.has(two)) {
        fp += 'o';
        words.push(two);
        i += 2;
        continue;
      }
    }
    if ('=<>+-*/%^|&~!'.indexOf(s[i]!) !== -1) {
      fp += 'o';
      words.push(s[i]!);
      i++;
      continue;
    }
    fp += 'x';
      words.push(s[i]!);
    i++;
  }
  const open = openEnd && fp.endsWith('s');
  const tail = open ? s.slice(lastStringStart) : '';
  return {
    fp,
    words,
    quoted: quote !== 0,
    openEnd: open,
    tailLength: tail.length,
    tailHasSpace: tail.trim().indexOf(' ') !== -1, leadingQuote: quote !== 0 && s.charCodeAt(0) === quote,
    trailingQuote: s.charCodeAt(n - 1) === 39 || s.charCodeAt(n - 1) === 34,
  };
}

/** Schemas whose members are called as `pkg.fn(...)`. */
const DOTTED_PACKAGES: Readonly<Record<string, true>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, true>, {
    utl_inaddr: true,
    utl_http: true,
    dbms_pipe: true,
    dbms_xmlgen: true,
    ctxsys: true,
    sys: true,
  }),
);
