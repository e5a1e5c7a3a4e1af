/** The Cookie header as the payload shield reads it: every pair in order, first values for patches, `j:` JSON. */
import { describe, expect, it } from 'vitest';
import { firstCookieValues, jsonCookieValue, parseCookies } from '../../../src/verifiers/payload-shield/cookies.js';

describe('parseCookies', () => {
  it('keeps every pair in order, repeated names and pairs past the hundredth included', () => {
    expect(parseCookies(' a=1; b = 2 ;a=3;;noequals; =x; c=')).toEqual({ names: ['a', 'b', 'a', 'c'], values: ['1', '2', '3', ''] });
    const many = Array.from({ length: 300 }, (_, i) => `k${i}=v`).join('; ');
    expect(parseCookies(many).names).toHaveLength(300);
    expect(parseCookies(`${';'.repeat(500)}s=1`)).toEqual({ names: ['s'], values: ['1'] });
  });
  it('firstCookieValues keeps the first value of a name, as handlers read it', () => {
    const first = firstCookieValues(parseCookies('s=one; s=two; t=3; __proto__=x'));
    expect({ ...first }).toEqual({ s: 'one', t: '3', ['__proto__']: 'x' });
    expect(Object.getPrototypeOf(first)).toBeNull();
  });
});

describe('jsonCookieValue (cookie-parser\'s j: cookies)', () => {
  it('parses a j: object or array, quoted or percent-encoded', () => {
    expect(jsonCookieValue('j:{"$ne":1}')).toEqual({ $ne: 1 });
    expect(jsonCookieValue('"j:[1,2]"')).toEqual([1, 2]);
    expect(jsonCookieValue('j%3A%7B%22%24type%22%3A%22string%22%7D')).toEqual({ $type: 'string' });
  });
  it('is undefined for anything else (plain values, JSON scalars, bad JSON or encoding)', () => {
    for (const raw of ['abc', 'j:', 'j:1', 'j:"s"', 'j:null', 'j:{', 'J:{}', '{"$ne":1}', 'j%3A%7B%E0', '"']) {
      expect([raw, jsonCookieValue(raw)]).toEqual([raw, undefined]);
    }
  });
});
