/**
 * `$('#id')' union select password from users --` passed: read after the first `'`, the string `$(` closes and MySQL's
 * `#` comments out everything after it (a `sc` fingerprint), and a quoted id selector with that fingerprint was taken
 * for script as a whole. Only MySQL stops at the `#`: the other databases read on, where the selector's closing quote
 * opens a string and the next quote breaks out again. The selector alone is still script; what the value breaks out
 * to behind it is read as any quote break is.
 */
import { describe, expect, it } from 'vitest';
import { createSqliDetector } from '../../../src/verifiers/payload-shield/sqli.js';
import { ruleOf } from './helpers.js';
import { checkBody } from './review-helpers.js';

const sqli = createSqliDetector();

/** Each break behind a quoted id selector, with the rule it must fire. */
const BREAKS: [string, string][] = [
  ["$('#id')' union select password from users --", 'sqli-union-select'],
  ['$("#id")" union select password from users --', 'sqli-union-select'],
  ["$('#id')' union select password from users #", 'sqli-union-select'],
  ["jQuery('#a').find('#b')' union select 1,2 -- -", 'sqli-union-select'],
  ["$('#id')'; drop table users; --", 'sqli-stacked-query'],
  ["$('#id')' or '1'='1", 'sqli-tautology'],
];

/** Scripts with more quotes after the selector: read on past the `#`, they are strings and names, no SQL. */
const SCRIPTS = [
  "$('#id').css('width', '100%')",
  "$('#q').val() == '' || $('#r').hide()",
  "$('#n').text(a + ' items')",
  "$('#a').attr('data-x', 'y')",
  "$('#select').hide(); $('#union').show()",
];

describe('sqli: a quote break behind a quoted id selector', () => {
  it('fires on the break and passes the scripts', () => {
    expect([...BREAKS.map(([s]) => [s, ruleOf(sqli, s)]), ...SCRIPTS.map((s) => [s, ruleOf(sqli, s)])]).toEqual([
      ...BREAKS,
      ...SCRIPTS.map((s) => [s, undefined]),
    ]);
  });

  it('is denied through check() in a JSON body and in the query', async () => {
    const attack = BREAKS[0]![0];
    const body = await checkBody({ note: attack });
    const query = await checkBody({}, {}, `q=${encodeURIComponent(attack)}`);
    const script = await checkBody({ note: SCRIPTS[0] }, {}, `q=${encodeURIComponent(SCRIPTS[1]!)}`);
    expect([body.allowed, body.detail, query.allowed, query.detail, script.allowed]).toEqual([
      false,
      expect.stringContaining('sqli-union-select@body.note'),
      false,
      expect.stringContaining('sqli-union-select@query.q'),
      true,
    ]);
  });
});
