/**
 * Review item: PostgreSQL `::type` casts and the jsonb operators (`@>`, `<@`, `?`, `?|`, `?&`, `#>`) read as unknown
 * characters hid quote breaks and tautologies (`1' OR 'a'::text='a'--`). The tokenizer now drops a cast and reads
 * the operators as comparisons; `::` and `?` elsewhere (C++ scopes, IPv6, questions) stay prose.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliDetector } from '../../../src/verifiers/payload-shield/sqli.js';
import { SqlTokenizer } from '../../../src/verifiers/payload-shield/sql-tokenizer.js';
import type { RunningApp } from '../../helpers/adapters.js';
import { ruleOf } from './helpers.js';
import { checkBody, getQuery, postJson, startExpress } from './review-helpers.js';

const sqli = createSqliDetector();
const allowed = async (body: unknown): Promise<boolean> => (await checkBody(body)).allowed;

const PAYLOADS = [
  "1' OR 'a'::text='a'--",
  "1' OR '1'::int=1 --",
  "' or ''::text='' --",
  "x' and 'a'::text<>'b'::text--",
  "' or data @> '{}' --",
  "' or data ? 'role' --",
  "' or '{}'::json is not null --",
  "1' or '{\"a\":1}'::jsonb @> '{}'::jsonb--",
  '1 or \'{"a":1}\'::jsonb @> \'{}\'::jsonb',
  "1 or '[1,2]'::jsonb ?| array['a']",
  "x' or '{}'::jsonb <@ data --",
  "x' or data #> '{a}' = '1' --",
  "' or 'a'::character varying(10)='a' --",
];

// `::` and `?` that are no SQL: C++/Ruby scopes, IPv6 addresses, questions, chat mentions.
const PROSE = [
  'std::vector<int> v; if (v.size() > 0) { v.clear(); }',
  'Use Foo::bar() and Baz::qux() in Ruby',
  'ping fe80::1ff:fe23:4567:890a or ::1',
  "Is it good? 'yes' or 'no' she asked",
  'Really? "Yes" and "No" are both fine',
  'Hey <@U12345> and <@U999> can you check',
  "price? '10' or '20'",
];

describe('SQL injection through PostgreSQL casts and jsonb operators', () => {
  it('reads a cast as nothing and the jsonb operators as operators', () => {
    const t = new SqlTokenizer();
    expect(t.read("1' or 'a'::text='a'--", 39).fp).toBe('s&sosc');
    expect(t.read("x' or data ? 'role' --", 39).fp).toBe('s&nosc');
    expect(t.read("x' or data @> '{}'::jsonb[] --", 39).fp).toBe('s&nosc');
    // A `?` ending a question, and a `::` before no name, are what they were.
    expect([t.read('really? yes', 0).fp, t.read('a ::1', 0).fp]).toEqual(['nxn', 'nxx1']);
  });

  it('denies the cast and jsonb-operator forms, and allows the prose near misses', async () => {
    for (const p of PAYLOADS) expect([p, ruleOf(sqli, p) !== undefined, await allowed({ search: p })]).toEqual([p, true, false]);
    for (const p of PROSE) expect([p, ruleOf(sqli, p), await allowed({ message: p })]).toEqual([p, undefined, true]);
  });

  describe('over HTTP (express5)', () => {
    let app: RunningApp;
    let port: number;
    beforeAll(async () => ({ app, port } = await startExpress()));
    afterAll(() => app.close());
    it('refuses them in a JSON body and in the query', async () => {
      for (const p of PAYLOADS.slice(0, 10)) {
        expect([p, await postJson(port, { search: p }), await getQuery(port, `id=${encodeURIComponent(p)}`)]).toEqual([p, 403, 403]);
      }
    });
  });
});
