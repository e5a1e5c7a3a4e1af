import { describe, expect, it } from 'vitest';
import { isPollutionKey, parseQueryString } from '../../../src/verifiers/payload-shield/query-parser.js';

describe('bracket-aware query parser', () => {
  it('nests bracket keys and collects arrays', () => {
    const { value } = parseQueryString('a[b][c]=1&list[]=x&list[]=y&n=%20z+w');
    expect(JSON.parse(JSON.stringify(value))).toEqual({ a: { b: { c: '1' } }, list: ['x', 'y'], n: ' z w' });
  });
  it('keeps a value a later bracketed name would have replaced (under the empty key)', () => {
    expect(JSON.parse(JSON.stringify(parseQueryString('id=a&id[x]=1').value))).toEqual({ id: { '': 'a', x: '1' } });
    expect(JSON.parse(JSON.stringify(parseQueryString('l[0]=a&l[0][y]=2').value))).toEqual({ l: [{ '': 'a', y: '2' }] });
  });

  it('turns repeated plain keys into arrays and reports the repeat count', () => {
    const parsed = parseQueryString('id=1&id=2&id=3');
    expect(parsed.value.id).toEqual(['1', '2', '3']);
    expect(parsed.maxRepeats).toBe(3);
    expect(parseQueryString('a[]=1&a[]=2').maxRepeats).toBe(1);
  });
  it('builds null-prototype objects so __proto__ is data, never a prototype', () => {
    const parsed = parseQueryString('__proto__[polluted]=yes&a[__proto__][x]=1&constructor[prototype][y]=2');
    expect(parsed.pollution).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(parsed.value)).toBeNull();
    expect(Object.keys(parsed.value)).toContain('__proto__');
  });
  it('recognises dotted pollution keys', () => {
    expect(isPollutionKey('__proto__.x')).toBe(true);
    expect(isPollutionKey('Object.__proto__.evil')).toBe(true);
    expect(isPollutionKey('constructor.prototype.x')).toBe(true);
    expect(isPollutionKey('protocol')).toBe(false);
  });
  it('bounds depth, array indices and pair count', () => {
    const deep = parseQueryString('a[1][2][3][4][5][6][7]=x', { maxParams: 10, maxDepth: 3, maxArrayIndex: 20 });
    expect(JSON.stringify(deep.value)).toContain('[4][5][6][7]');
    const sparse = parseQueryString('a[999999]=x');
    expect(Array.isArray(sparse.value.a)).toBe(false);
    const many = parseQueryString(Array.from({ length: 20 }, (_, i) => `k${i}=v`).join('&'), { maxParams: 5, maxDepth: 5, maxArrayIndex: 20 });
    expect(many.truncated).toBe(true);
    expect(Object.keys(many.value)).toHaveLength(5);
  });
  it('never throws on malformed input', () => {
    expect(() => parseQueryString('%%%&=&&a[=1&]b=2&c]]=[&%E0%A4%A=x')).not.toThrow();
  });
});

describe('a repeated indexed name', () => {
  // The values are pushed onto the array parsed so far (a copy per repeat made 3,000 repeats cost 450 ms, n²).
  it('collects every repeat in order, as a repeated plain name does', () => {
    const limits = { maxParams: 100_000, maxDepth: 5, maxArrayIndex: 20 };
    const indexed = parseQueryString(Array.from({ length: 3000 }, (_, i) => `a[0]=${i}`).join('&'), limits);
    const plain = parseQueryString(Array.from({ length: 3000 }, (_, i) => `a=${i}`).join('&'), limits);
    expect(indexed.maxRepeats).toBe(3000);
    expect((indexed.value.a as unknown[])[0]).toEqual(Array.from({ length: 3000 }, (_, i) => String(i)));
    expect(plain.value.a).toEqual(Array.from({ length: 3000 }, (_, i) => String(i)));
    expect((parseQueryString('a[0]=x&a[0]=y&a[0]=z', limits).value.a as unknown[])[0]).toEqual(['x', 'y', 'z']);
  });
});
