/**
 * Review item: `if (`, `len(`, `log(`, `str(` in code and prose were SQL function calls (STRONG_FUNCTIONS), and any
 * `&`, `;` or comment then fired sqli-function-chain. Such words now count only called with SQL arguments: a
 * variable, a sub-select, a non-word SQL function, empty parentheses or three arguments (`if(1=1,1,0)`).
 */
import { describe, expect, it } from 'vitest';
import { createSqliDetector, SQLI_RULES } from '../../../src/verifiers/payload-shield/sqli.js';
import { ruleOf } from './helpers.js';
import { checkBody } from './review-helpers.js';

const sqli = createSqliDetector();
const decision = async (body: unknown): Promise<[boolean, string]> => {
  const d = await checkBody(body);
  return [d.allowed, d.detail];
};

const TEXTS = [
  'It says (error 500) and if (retry) fails again',
  'if (count > 0) { show(); }',
  'if (user && user.id) { load(user.id); }',
  "if (len(s) > 3 && s[0] == 'a') print(s)",
  'print(len(name) - 1)',
  // near misses
  'and now (finally) it works; thanks',
  'console.log(a, b, c); return x && y;',
  'Python: print(str(len(x))) and log(y)',
  'The sign (stop) and the mid (section)',
];

const CALLS = [
  '1 and if(1=1,1,0)',
  "1 and mid(version(),1,1)='5'",
  '1 and len(@@version)>1',
  "1 and user()='root'--",
  "1 and mid(user,1,1)='r'",
  '1 and if((select 1),1,0)',
];

describe('SQL injection: functions that are also words', () => {
  it('allows code and prose with `if (` and `len(`, and still denies SQL calls of them', async () => {
    for (const t of TEXTS) expect([t, ruleOf(sqli, t), await decision({ ticket: t })]).toEqual([t, undefined, [true, '']]);
    for (const c of CALLS) expect([c, ruleOf(sqli, c)]).toEqual([c, SQLI_RULES.functionChain]);
  });
});
