/**
 * Review item: any `; <statement word>` was a stacked query, so `Also; update my email` was refused. After `;` a
 * statement must now have SQL's shape (`; update users set`, `; delete from t`, `; select @@version`, `; drop table
 * t`, `; exec xp_…`, `; call p('x')`); a value that is only a number (or nothing) before the `;` keeps the old reading.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliDetector, SQLI_RULES } from '../../../src/verifiers/payload-shield/sqli.js';
import type { RunningApp } from '../../helpers/adapters.js';
import { ruleOf } from './helpers.js';
import { checkBody, postJson, startExpress } from './review-helpers.js';

const sqli = createSqliDetector();
const decision = async (body: unknown): Promise<[boolean, string]> => {
  const d = await checkBody(body);
  return [d.allowed, d.detail];
};

const MESSAGES = [
  "I'm busy right now; call me later",
  'Thanks for the fix; update: it works now',
  'Also; update my email',
  'Done; delete my data per GDPR',
  'Great shoes; select a half size up',
  "Drop-in replacement for model X-200; select 'Compatible' to filter",
  "Couldn't log in; create a new account?",
  'Ok; drop it at the front desk',
  'Payment failed; insert card again?',
  'Not sure; load times are slow',
  'Hi team; alter my delivery address please',
  // near misses: a statement's words, not its shape
  'Great; call me (555) 123-4567',
  'Hi; create table reservation for 4',
  'Sizes; select 8, 10 or 12',
  'Great; select it.',
  'Hi; update the order set to 3 items',
  'Hmm; insert into slot B and press start',
];

const STATEMENTS = [
  "x; update users set role='admin'",
  'abc; delete from users',
  "name; insert into users values ('a','b')",
  'x; drop table if exists users',
  'x; create or replace function sys(cstring) returns int',
  "x; create user bob identified by 'pw'",
  'x; alter table users add x int',
  "x; exec xp_cmdshell 'dir'",
  "x; exec('select 1')",
  'x; declare @s varchar(99)',
  'x; shutdown with nowait',
  'x; select @@version',
  'x; select 1--',
  'x; select version()',
  'x; select user;',
  "x; call proc('x')",
  "x; load data infile '/etc/passwd' into table t",
  'x; handler users open',
  '1; update my email',
  ';select',
];

describe('SQL injection: stacked queries need a statement', () => {
  it('allows prose with a semicolon before a statement word, and denies stacked statements', async () => {
    for (const m of MESSAGES) expect([m, ruleOf(sqli, m), await decision({ message: m })]).toEqual([m, undefined, [true, '']]);
    for (const s of STATEMENTS) expect([s, ruleOf(sqli, s)]).toEqual([s, SQLI_RULES.stacked]);
  });

  it('reads `update function` as prose: only drop, create, alter and truncate take a schema object', () => {
    const prose = ['tighten the bolts (4mm hex). insert water update function but', 'we (often) update table names;', 'please (soon) exec function x'];
    expect(prose.map((s) => ruleOf(sqli, s))).toEqual([undefined, undefined, undefined]);
    expect([ruleOf(sqli, 'x drop table users;'), ruleOf(sqli, 'x truncate table logs;')]).toEqual([SQLI_RULES.stacked, SQLI_RULES.stacked]);
  });

  describe('over HTTP (express5)', () => {
    let app: RunningApp;
    let port: number;
    beforeAll(async () => ({ app, port } = await startExpress()));
    afterAll(() => app.close());
    it('answers 200 to a chat message and 403 to a stacked statement', async () => {
      const post = (text: string): Promise<number> => postJson(port, { conversationId: 'c-19', text });
      for (const m of MESSAGES.slice(0, 11)) expect([m, await post(m)]).toEqual([m, 200]);
      for (const s of STATEMENTS.slice(0, 3)) expect([s, await post(s)]).toEqual([s, 403]);
    });
  });
});
