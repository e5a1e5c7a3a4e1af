/**
 * Review item: `in (` read as a function call (`f`) let IN-list tautologies through (`' or 'x' in ('x') --`). `in`
 * is now always the operator; a tautology needs a list of literals that ends the condition, so `8 or 10 in (US)` and
 * `1 in (10) chance` stay prose.
 */
import { describe, expect, it } from 'vitest';
import { createSqliDetector, SQLI_RULES } from '../../../src/verifiers/payload-shield/sqli.js';
import { ruleOf } from './helpers.js';
import { checkBody } from './review-helpers.js';

const sqli = createSqliDetector();
const allowed = async (body: unknown): Promise<boolean> => (await checkBody(body)).allowed;

const PAYLOADS = [
  "' or 'x' in ('x') -- ",
  "admin' or 'a' IN ('a')#",
  '" or "a" in ("a") -- ',
  "1' or 'x' in ('x','y')#",
  "' or 'a' in ('a') or '",
  "aa'in (0)#(",
];

const PROSE = [
  'Sizes 8 or 10 in (US) please',
  'Is it 1 or 2 in (the box)?',
  'Do you have it in (red) or (blue)?',
  'ships in (3-5) days or 1 in (10) chance',
  'x or y in (1)',
];

describe('SQL injection: IN-list tautologies', () => {
  it('denies the IN-list forms, and allows prose with `in (`', async () => {
    for (const p of PAYLOADS) expect([p, await allowed({ username: p })]).toEqual([p, false]);
    for (const p of PROSE) expect([p, ruleOf(sqli, p), await allowed({ message: p })]).toEqual([p, undefined, true]);
  });

  it('reads an unquoted IN list of literals after logic as a tautology', () => {
    expect([ruleOf(sqli, '1 or 1 in (1)'), ruleOf(sqli, "1 or 'a' in ('a')"), ruleOf(sqli, '1 or 1 not in (2)')]).toEqual([
      SQLI_RULES.tautology,
      SQLI_RULES.tautology,
      SQLI_RULES.tautology,
    ]);
    expect([ruleOf(sqli, '1 or 1 in (1) chance'), ruleOf(sqli, '1 or 1 in (a)')]).toEqual([undefined, undefined]);
  });
});
