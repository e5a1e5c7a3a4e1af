/**
 * The query the handler reads (`parsedQueryFrom`): compared with the shield's own parse, inspected as a second
 * reading when it differs, a rule found in both readings counted once, virtual patches and limits on it.
 */
import { describe, expect, it } from 'vitest';
import { compilePayloadOptions, inspectPayload, type PayloadShieldOptions } from '../../../src/verifiers/payload-shield/index.js';
import { handlerQueryIfDifferent } from '../../../src/verifiers/payload-shield/handler-query.js';
import { parseQueryString } from '../../../src/verifiers/payload-shield/query-parser.js';
import { request } from './helpers.js';

function inspect(query: string, handlerQuery: unknown, options: PayloadShieldOptions = {}) {
  return inspectPayload(request({ method: 'GET', query, parsedQueryFrom: { query: handlerQuery } }), undefined, compilePayloadOptions(options));
}

const rulesOf = (verdict: { hits: readonly { ruleId: string; location: string }[] }) => verdict.hits.map((h) => `${h.ruleId}@${h.location}`);

describe('handlerQueryIfDifferent', () => {
  const own = (text: string) => parseQueryString(text).value;
  it('is undefined when the framework parsed the same strings under the same keys', () => {
    const holder = (query: unknown) => request({ parsedQueryFrom: { query } });
    expect(handlerQueryIfDifferent(holder({ a: '1', b: ['2', '3'], c: { d: 'x' } }), own('a=1&b=2&b=3&c[d]=x'), 32)).toBeUndefined();
    expect(handlerQueryIfDifferent(holder(Object.assign(Object.create(null), { a: '1' })), own('a=1'), 32)).toBeUndefined();
    expect(handlerQueryIfDifferent(holder({}), undefined, 32)).toBeUndefined();
    expect(handlerQueryIfDifferent(holder(undefined), own('a=1'), 32)).toBeUndefined();
    expect(handlerQueryIfDifferent(holder(null), own('a=1'), 32)).toBeUndefined();
    expect(handlerQueryIfDifferent(request(), own('a=1'), 32)).toBeUndefined();
  });
  it('is the framework query when any key, string, index or shape differs', () => {
    const base = own('a=1&b=2&b=3&c[d]=x');
    const differing: unknown[] = [
      { a: '1', b: ['2', '3'], c: { d: 'y' } },
      { a: '1', b: ['2', '3'], c: { d: 'x' }, e: '' },
      { a: '1', b: ['2', '3'] },
      { a: '1', b: ['3', '2'], c: { d: 'x' } },
      { a: '1', b: '2,3', c: { d: 'x' } },
      { a: '1', b: { 0: '2', 1: '3' }, c: { d: 'x' } },
      { a: 1, b: ['2', '3'], c: { d: 'x' } },
      { a: '1', b: ['2', '3'], 'c[d]': 'x' },
      'a=1',
    ];
    for (const query of differing) expect(handlerQueryIfDifferent(request({ parsedQueryFrom: { query } }), base, 32)).toBe(query);
    const nonEmpty = { a: '1' };
    expect(handlerQueryIfDifferent(request({ parsedQueryFrom: { query: nonEmpty } }), undefined, 32)).toBe(nonEmpty);
  });
  it('stops comparing at the depth limit and after one key more than the shield parsed', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.a = cyclic;
    expect(handlerQueryIfDifferent(request({ parsedQueryFrom: { query: cyclic } }), own('a[a][a]=1'), 32)).toBe(cyclic);
    const wide = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, 'v']));
    expect(handlerQueryIfDifferent(request({ parsedQueryFrom: { query: wide } }), own('k0=v'), 32)).toBe(wide);
  });
});

describe('the second reading of the query', () => {
  it('finds what only the handler reads: an operator behind a delimiter the shield does not split on', () => {
    expect(inspect('a=1;password[$ne]=x', { a: '1;password[$ne]=x' })).toMatchObject({ action: 'allow', hits: [] });
    const verdict = inspect('a=1;password[$ne]=x', { a: '1', password: { $ne: 'x' } });
    expect(verdict.action).toBe('deny');
    expect(rulesOf(verdict)).toEqual(['nosqli-operator-key@query.password.$ne']);
  });
  it('counts a rule found in both readings once (flat keys against bracket keys)', () => {
    const monitored = { categories: { nosqli: 'monitor' } } as const;
    const verdict = inspect('password[$ne]=x&user[$gt]=', { 'password[$ne]': 'x', 'user[$gt]': '' }, monitored);
    expect(rulesOf(verdict)).toEqual(['nosqli-operator-key@query.password.$ne', 'nosqli-operator-key@query.user.$gt']);
    expect(inspect('password[$ne]=x', { 'password[$ne]': 'x' }).score).toBe(inspect('password[$ne]=x', undefined).score);
  });
  it('adds a rule the first reading did not find, at the handler reading\'s location', () => {
    const verdict = inspect('q=x', { q: 'x', filter: { $where: 'sleep(1000)' } }, { categories: { nosqli: 'monitor' } });
    expect(rulesOf(verdict)).toContain('nosqli-operator-key@query.filter.$where');
  });
  it('an exclusion for a query target holds in the second reading, whose flat keys it does not name', async () => {
    const exclusions: PayloadShieldOptions['exclusions'] = [{ categories: ['sqli'], targets: ['query.filter'] }];
    const attack = "' OR 1=1--";
    expect(inspect('filter[name]=x', { 'filter[name]': attack }, { exclusions }).action).toBe('deny'); // the first reading had no hit
    expect(inspect(`filter[name]=${encodeURIComponent(attack)}`, { 'filter[name]': attack }, { exclusions })).toMatchObject({ action: 'allow', hits: [] });
    expect(inspect(`filter[name]=${encodeURIComponent(attack)}`, { 'filter[name]': attack }).action).toBe('deny');
  });
  it('applies the structural limits to the handler\'s query (a cyclic or huge parse is refused, not walked forever)', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.a = cyclic;
    expect(inspect('a=1', cyclic)).toMatchObject({ action: 'deny', code: 'payload_too_large', detail: expect.stringContaining('maxDepth') });
    const wide = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, 'v']));
    expect(inspect('k0=v', wide)).toMatchObject({ action: 'deny', detail: expect.stringContaining('maxKeys') });
  });
  it('runs virtual patches on the handler\'s query, once when both readings match', () => {
    const virtualPatches: PayloadShieldOptions['virtualPatches'] = [{ id: 'vp-id', target: 'query.id', match: /^-/, action: 'monitor' }];
    expect(rulesOf(inspect('id=5;id=-1', { id: '-1' }, { virtualPatches }))).toEqual(['vp-id@query.id']);
    expect(rulesOf(inspect('id=-1', { id: '-1', page: '2' }, { virtualPatches }))).toEqual(['vp-id@query.id']);
    expect(rulesOf(inspect('id=5', { id: '5' }, { virtualPatches }))).toEqual([]);
  });
});
