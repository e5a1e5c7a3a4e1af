/**
 * SQL-like prose the SQL injection detector refused, each beside the injections that share its words: the readings
 * that passed the prose read SQL's grammar more closely (what a select list, a tautology, a DDL statement or a dangerous
 * call needs), and every injection beside them still fires. From the detection bench's tuning-half false positives
 * (a `Union Select` author, an `href="/teams/"` attribute, `select@o'reilly.example`) and from probes written for it.
 */
import { describe, expect, it } from 'vitest';
import { createSqliDetector } from '../../../src/verifiers/payload-shield/sqli.js';
import { ruleOf } from './helpers.js';

const sqli = createSqliDetector();

/** `[value, rule]` for every value: one `toEqual` shows every wrong answer at once. */
const rules = (values: readonly string[]): [string, string | undefined][] => values.map((v) => [v, ruleOf(sqli, v)]);
const passing = (values: readonly string[]): [string, undefined][] => values.map((v) => [v, undefined]);

describe('sqli: SQL-like prose beside the injections it resembles', () => {
  it('UNION SELECT needs a select list: not the two words alone, nor before markup or `)`', () => {
    const prose = ['Union Select', '<customer>Union Select</customer>', 'Union (Select) band', 'select a size or union of sets'];
    const attacks = ['1 union select', "' union select", 'union select *', 'union select -1--', 'union(select(1))', "<p>x</p>' union select 1,2--"];
    expect([...rules(prose), ...rules(attacks)]).toEqual([...passing(prose), ...attacks.map((a) => [a, 'sqli-union-select'])]);
  });

  it('a select of a variable and then an open string is an address', () => {
    const prose = ["select@o'reilly.example", "Select@O'Brien.example"];
    const attacks: [string, string][] = [
      ['select @a', 'sqli-select-from'],
      ['select current_user;', 'sqli-select-from'],
      ["select@@version'", 'sqli-system-variable'],
      ["select @a 'x' from dual", 'sqli-select-from'],
    ];
    expect([...rules(prose), ...rules(attacks.map(([a]) => a))]).toEqual([...passing(prose), ...attacks]);
  });

  it('a path between quotes is not division: `href="/teams/"`', () => {
    const prose = ['Rejoindre sur la <A HREF="/TEAMS/">PAGE DES TEAMS</A>', 'See <a href="/help/faq">the FAQ</a> page', "a'/b/'c d"];
    const attacks = ['x" / 1 / "', '1"/sleep(5)/"', "x'/@@version/'"];
    expect([...rules(prose), ...rules(attacks).map(([a, r]) => [a, r !== undefined])]).toEqual([...passing(prose), ...attacks.map((a) => [a, true])]);
  });

  it('`or <literal>` then `--` or `;` after a word, after `;`, or before more prose is writing', () => {
    const prose = [
      'Pick 1 or 2 -- either is fine',
      "She said 'yes' or 'no' -- then left",
      'Choose "small" or "large" -- whichever fits',
      'Size: 10" or 12" -- see chart',
      '1 or 2; maybe 3',
      'Having 2 cats; or 3 -- who counts',
      'drop me a line; or call',
      "O'Reilly's 'best of' -- 2nd ed.",
      "1' or 2' pipes",
    ];
    const attacks = ['1 or 1--', '-1 or 2 --', '1) or 1#', '1 or 1;', '1 or 1; drop table users', '1 or 1;--', "x' or 1 --", "admin' or 'a'='a", "1' or 2' --"];
    expect([...rules(prose), ...rules(attacks).map(([a, r]) => [a, r !== undefined])]).toEqual([...passing(prose), ...attacks.map((a) => [a, true])]);
  });

  it('a dangerous function needs an argument: two names side by side are a title', () => {
    const prose = ['Sleep (a novel) by Smith', 'Polygon (the shape) set'];
    const attacks = ['sleep(5)', '1 and sleep (5)', 'benchmark(1000000,md5(1))', 'polygon((select*from(select*from(select@@version)f)x))', '1 and sleep(a)'];
    expect([...rules(prose), ...rules(attacks)]).toEqual([...passing(prose), ...attacks.map((a) => [a, 'sqli-dangerous-function'])]);
  });

  it('only CREATE takes a `(` after the object name: `Drop table lamp (oak)` is furniture', () => {
    const prose = ['Drop table lamp (oak), 2 pcs', 'Truncate table runner (linen) -- 2m'];
    const attacks = ['drop table users;', 'drop table users--', 'create table t (x int)', 'truncate table logs;'];
    expect([...rules(prose), ...rules(attacks).map(([a, r]) => [a, r !== undefined])]).toEqual([...passing(prose), ...attacks.map((a) => [a, true])]);
  });

  it('ORDER or GROUP without BY is no break before a select', () => {
    const prose = ['order select items from the menu', 'Group select options from the list'];
    const attacks = ['1;select name from users', '(select password from users)', '1 order by 1--', "' union select name from users--"];
    expect([...rules(prose), ...rules(attacks).map(([a, r]) => [a, r !== undefined])]).toEqual([...passing(prose), ...attacks.map((a) => [a, true])]);
  });
});
