import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createSqliDetector, SCHEMA_OBJECT_NAMES, SQLI_RULES } from '../../../src/verifiers/payload-shield/sqli.js';
import { firstDigitQuote, foldInchMarks, INCH_MARK } from '../../../src/verifiers/payload-shield/inch-marks.js';
import { SqlTokenizer } from '../../../src/verifiers/payload-shield/sql-tokenizer.js';
import { WordTable } from '../../../src/verifiers/payload-shield/word-table.js';
import { ruleOf } from './helpers.js';

const sqli = createSqliDetector();

describe('SQL tokenizer', () => {
  it('fingerprints a bare value', () => {
    expect(new SqlTokenizer().read("1 union select null,@@version from dual--", 0).fp).toBe('1US1,vFkc');
  });
  it('reads a value as if it followed an opening quote', () => {
    const t = new SqlTokenizer().read("admin' or '1'='1", 39);
    expect(t.fp).toBe('s&sos');
    expect(t.openEnd).toBe(true);
  });
  it('treats inline comments as whitespace and keeps MySQL executable comments visible', () => {
    expect(new SqlTokenizer().read('1/**/union/**/select 1', 0).fp).toBe('1US1');
    expect(new SqlTokenizer().read('1 /*!50000union*/ select 1', 0).fp).toContain('X');
  });
  it('gives each token its word, slicing names and numbers only when asked', () => {
    const t = new SqlTokenizer().read("1 union select utl_inaddr.get_host_address(x), 0x1f, @a, `c`, a<=>b||1 -- x", 0);
    expect(t.fp).toBe('1USf(n),1,v,n,non&1c');
    const words = [...t.fp].map((_, i) => t.word(i));
    expect(words).toEqual(['1', 'union', 'select', 'utl_inaddr', '', 'x', '', '', '0x1f', '', '@a', '', '', '', 'a', '<=>', 'b', '||', '1', '']);
    expect(t.word(-1)).toBeUndefined();
    expect(t.word(t.fp.length)).toBeUndefined();
  });
  it('finds barewords in a table without slicing them, and only barewords', () => {
    const names = new WordTable([['sys.tables', true], ['users', true]] as const);
    const t = new SqlTokenizer().read("select * from sys.tables, `users`, users where 'users' = users()", 0);
    const found = [...t.fp].map((_, i) => t.nameIn(i, names));
    expect(t.fp).toBe('SoFn,n,nWson()');
    // `sys.tables` (one word after a package), `users` twice; not the backquoted name, not the string.
    expect(found).toEqual([false, false, false, true, false, false, false, true, false, false, false, true, false, false]);
    expect(t.nameIn(-1, names) || t.nameIn(t.fp.length, names)).toBe(false);
  });
  it('reads every schema object the SQLi detector lists as one bareword, so none of the entries is dead', () => {
    // An entry the tokenizer splits (`mysql.user` before `mysql` joined dotted names) can never be found by name.
    const table = new WordTable(SCHEMA_OBJECT_NAMES.map((name) => [name, true] as const));
    for (const name of SCHEMA_OBJECT_NAMES) {
      const t = new SqlTokenizer().read(name, 0);
      expect([name, t.fp, t.nameIn(0, table)]).toEqual([name, 'n', true]);
    }
  });
  it('keeps nothing of the previous value when a tokenizer is reused', () => {
    const t = new SqlTokenizer();
    t.read('select name, email from users where id = 1', 0);
    t.read("1' or x", 39);
    expect(t.fp).toBe('s&n');
    expect([0, 1, 2, 3].map((i) => t.word(i))).toEqual(['', 'or', 'x', undefined]);
    expect(t.openEnd).toBe(false);
    t.read('a "b', 0);
    expect(t.fp).toBe('ns');
    expect(t.openEnd).toBe(true);
    t.clear();
    expect([t.fp, t.word(0), t.nameIn(0, new WordTable([['a', true]] as const))]).toEqual(['', undefined, false]);
  });
  it('caps the token count', () => {
    expect(new SqlTokenizer().read('1,'.repeat(10_000), 0).fp.length).toBeLessThanOrEqual(48);
  });
});

describe('inch-mark fold', () => {
  // Digits, both quotes, the lookbehind's and lookahead's characters (white space incl. Unicode, `(`, `x`, `-`),
  // the number's separators, and filler: long runs put matches far from the first digit-quote pair.
  const PIECES = [...'0123456789\'"(x-./ a', '--', '\u00a0', '\u3000', '\n', 'pipe ', '123456', '1234567', '12345678901'];
  it('answers what a full replace answers (30,000 runs)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 30 }), (parts) => {
        const s = parts.join('');
        const at = s.search(/\d['"]/);
        expect(firstDigitQuote(s)).toBe(at);
        const expected = s.replace(INCH_MARK, '$1 ');
        expect(at === -1 ? s : foldInchMarks(s, at)).toBe(expected);
      }),
      { numRuns: 30_000 },
    );
  });
});

describe('SQL injection detector', () => {
  it.each(SCHEMA_OBJECT_NAMES)('finds the schema object %s after a stacked query and in parentheses', (name) => {
    expect([ruleOf(sqli, `1;${name}`), ruleOf(sqli, `(${name})`)]).toEqual([SQLI_RULES.schemaProbe, SQLI_RULES.schemaProbe]);
  });
  it.each([
    ["' OR 1=1--", 'sqli-quote-break'],
    ["admin'--", 'sqli-quote-break'],
    ["' or 'a'='a", 'sqli-quote-break'],
    ["1 AND SLEEP(5)", 'sqli-dangerous-function'],
    ['1 UNION ALL SELECT username, password FROM users', 'sqli-union-select'],
    ['-1/**/union/**/select/**/1,2,3', 'sqli-union-select'],
    ['1; DROP TABLE users', 'sqli-stacked-query'],
    ['1 or 1=1', 'sqli-tautology'],
    ['1) or (1=1', 'sqli-tautology'],
    ["1 AND (SELECT 1 FROM dual)", 'sqli-subquery'],
    ['ascii(substring(version(),1,1))', 'sqli-function-chain'],
    ["1'; WAITFOR DELAY '0:0:5'--", 'sqli-quote-break'],
    ['x @@hostname', 'sqli-system-variable'],
    ['1 /*!50000union*/ select 1', 'sqli-mysql-executable-comment'],
    [" ORDER BY 3-- ", 'sqli-clause-injection'],
    ["’ or ‘1’=’1", 'sqli-quote-break'],
    ["%27%20OR%201%3D1--", 'sqli-quote-break'],
  ])('flags %s', (input, rule) => {
    expect(ruleOf(sqli, input)).toBe(rule);
  });

  it.each([
    "O'Brien",
    'SELECT your plan',
    'Select one of our plans',
    "Rock 'n' roll",
    "it's 5 o'clock somewhere",
    'DO OR NOT DO, THERE IS NO',
    '1950 or 1960',
    '2 OR 4 METAL BUTTONS',
    '"CREATE" STERLING GOLD',
    '1/4"-1/2" WIDE RIBBON',
    'union station, chicago',
    '"Quote" -- Mark Twain',
    'Reality check (2016)',
    'Tom & Jerry',
    "Don't drop the table",
    'price >= 10 and size = 3',
  ])('passes %s', (input) => {
    expect(ruleOf(sqli, input)).toBeUndefined();
  });
});
