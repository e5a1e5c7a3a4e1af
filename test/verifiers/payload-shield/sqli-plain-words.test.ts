import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createSqliDetector, NAME_TABLES, SCHEMA_OBJECT_NAMES, sqlRuleOf } from '../../../src/verifiers/payload-shield/sqli.js';
import { SQL_KEYWORDS, SqlTokenizer } from '../../../src/verifiers/payload-shield/sql-tokenizer.js';
import { onlyPlainWords } from '../../../src/verifiers/payload-shield/sql-plain-words.js';
import { ruleOf } from './helpers.js';

const rules = new SqlTokenizer();
const plain = (s: string): boolean => onlyPlainWords(s, NAME_TABLES);

describe('SQL injection detector: the plain-words gate', () => {
  it('lets names, numbers and quotes through, and nothing a rule could read as SQL', () => {
    for (const s of ["o'neill", 'levi\'s 501 jeans w32" l34"', "12 king's road", 'spring-20', "siobhán o'neill", '10:15', 'a.b, c', 'cast-iron skillet', 'blue shirt in size m, not xl', "rock 'n' roll", 'top 10 by sales', 'null']) {
      expect(plain(s), s).toBe(true);
    }
    for (const s of ["a'-'1", "a' - b", '12information_schema', 'sys.tables', 'v$version', 'xp_cmdshell', '1 union select 1', "a' or 'b", "x'--", 'a\\nb', 'a`b`', '@@version', "it's (free)", "x' like 'y", "a' is null", "a'\n not x", 'case when a then b end', 'ships from uk', 'where 1', 'or true', 'order by 1', 'call me', 'into the wild']) {
      expect(plain(s), s).toBe(false);
    }
  });

  // Keywords, the names the rules look up, numbers that run into words, quotes, the separators the gate accepts and
  // the characters it refuses, joined at random: whatever the gate lets through must fire no rule in any reading.
  const PIECES = [
    ...SQL_KEYWORDS,
    ...SCHEMA_OBJECT_NAMES,
    'xp_cmdshell', 'sp_oacreate', 'sys', 'mysql', 'utl_http', 'dbms_pipe', 'sleep', 'benchmark', 'ascii', 'substr',
    'neill', 'road', 'levi', 'o', 's', 'a', 'x', 'w32', 'é', 'ñandú', '1', '12', '0', '0x', '1f', '1e5', '.5', '3.0',
    ' ', ' ', ' ', "'", "'", '"', '"', '.', ',', ':', '-', '--', '\u00a0', '\n', '\u2028',
    '=', '(', ')', ';', '#', '/*', '*/', '/*!', '@', '@@', '`', '\\', '|', '||', '&', '&&', '<', '>', '+', '*', '/', '!', '~', '%',
  ];
  it('never skips a value on which a rule fires (40,000 generated values)', () => {
    let passed = 0;
    let fired = 0;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 12 }), (parts) => {
        const s = parts.join('');
        const rule = sqlRuleOf(rules, s);
        if (rule !== undefined) fired++;
        if (!plain(s)) return;
        passed++;
        expect(rule, s).toBeUndefined();
      }),
      { numRuns: 40_000 },
    );
    // Not vacuous: the generator reaches both sides of the gate, and values on which rules fire.
    expect(passed).toBeGreaterThan(1_000);
    expect(fired).toBeGreaterThan(1_000);
  });

  // A small alphabet of the keywords the gate lets through next to those it refuses, mostly joined by spaces: the
  // phrases rules fire on (`1 or true`, `case when x then y end`, `' like '`) come up often.
  const PHRASE_PIECES = [
    'case', 'when', 'then', 'else', 'end', 'or', 'and', 'xor', 'true', 'null', 'not', 'is', 'like', 'in', 'div', 'by',
    'order', 'group', 'having', 'where', 'from', 'select', 'union', 'all', 'into', 'outfile', 'drop', 'table', 'if',
    'exists', 'current_user', 'x', 'y', '1', '2', "'", '"', "'1", "x'", '-', ',', '.',
  ];
  it('never skips a phrase on which a rule fires (40,000 generated phrases)', () => {
    let passed = 0;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PHRASE_PIECES), { minLength: 1, maxLength: 8 }), fc.boolean(), (parts, spaced) => {
        const s = parts.join(spaced ? ' ' : '');
        if (!plain(s)) return;
        passed++;
        expect(sqlRuleOf(rules, s), s).toBeUndefined();
      }),
      { numRuns: 40_000 },
    );
    expect(passed).toBeGreaterThan(1_000);
  });

  it('answers as before on the values the gate lets through (the detector reports nothing on them)', () => {
    const sqli = createSqliDetector();
    for (const s of ["Siobhán O'Neill", 'Levi\'s 501 jeans W32" L34"', "12 King's Road", "Rock 'n' Roll"]) expect(ruleOf(sqli, s), s).toBeUndefined();
  });
});
