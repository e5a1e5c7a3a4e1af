/** Route parameters read before routing: encoded segments by index, joined rests for wildcards, names when asked. */
import { describe, expect, it } from 'vitest';
import { unroutedParams } from '../../../src/verifiers/payload-shield/unrouted-params.js';

const at = (path: string, pattern: string | undefined, named = true) => {
  const params = unroutedParams({ method: 'GET', path, headers: {}, findRoute: () => pattern }, named);
  return params === undefined ? undefined : { ...params };
};

describe('unroutedParams', () => {
  it('without names: every segment with an encoded character, decoded, by index; plain segments are not parameters', () => {
    expect(at('/files/%2Fetc%2Fpasswd', '/files/:name', false)).toEqual({ '1': '/etc/passwd', '0*': 'files//etc/passwd' });
    expect(at('/api/whoami', '/api/whoami', false)).toBeUndefined();
    expect(at('/caf%C3%A9/ok', undefined, false)).toEqual({ '0': 'café' });
    // No encoded delimiter, no joined rests: a benign rest joins the route's own words (`café/windows/3`).
    expect(at('/rooms/caf%C3%A9/windows/3', undefined, false)).toEqual({ '1': 'café' });
  });
  it('the rest of the path joined from each early position up to the last encoded segment (a wildcard parameter)', () => {
    expect(at('/splat/http%3A//169.254.169.254/latest', undefined, false)).toEqual({
      '1': 'http:',
      '0*': 'splat/http://169.254.169.254/latest',
      '1*': 'http://169.254.169.254/latest',
      // The `//` spelled out starts a rest of its own (an absolute path after an empty segment).
      '2*': '/169.254.169.254/latest',
    });
    // Spelled out, nothing encoded: a `:` segment is read, and the rests up to the last such segment or `//`.
    expect(at('/w/http://169.254.169.254/latest', undefined, false)).toEqual({
      '1': 'http:',
      '0*': 'w/http://169.254.169.254/latest',
      '1*': 'http://169.254.169.254/latest',
      '2*': '/169.254.169.254/latest',
    });
    expect(at('/w//etc/passwd', undefined, false)).toEqual({ '0*': 'w//etc/passwd', '1*': '/etc/passwd' });
    // Past the eighth position, a rest starts at each delimiter sent (diff review: a deep wildcard).
    const deepRest = at('/a/b/c/d/e/f/g/h/i/http://169.254.169.254/latest', undefined, false)!;
    expect(deepRest['9*']).toBe('http://169.254.169.254/latest');
    expect(deepRest['10*']).toBe('/169.254.169.254/latest');
    expect(at('/splat/x/%2Fetc/passwd', undefined, false)).toEqual({
      '2': '/etc',
      '0*': 'splat/x//etc/passwd',
      '1*': 'x//etc/passwd',
      '2*': '/etc/passwd',
    });
    // Bounded: rests start at the first eight positions only.
    const deep = at(`/${'a/'.repeat(40)}%2F`, undefined, false)!;
    expect(Object.keys(deep).filter((k) => k.endsWith('*'))).toHaveLength(8);
  });
  it('with names: the parameters of a pattern of literal and :name segments (no wildcard, no joined rests)', () => {
    expect(at('/files/%2Fetc%2Fpasswd', '/files/:name')).toEqual({ name: '/etc/passwd' });
    expect(at('/orders/7/items/9/', '/orders/:order/items/:item')).toEqual({ order: '7', item: '9' });
    expect(at('/files/%E0%A4%A', '/files/:name')).toEqual({ name: '%E0%A4%A' }); // undecodable: kept as sent
    // An encoded segment the pattern holds as literal text (a mount path's parameter) is still read, by index.
    expect(at('/u/%2Fetc/profile', '/u/%2Fetc/profile')).toEqual({ '1': '/etc' });
  });
  it('with names, a pattern with router syntax, other lengths or no route falls back to what is read without names', () => {
    for (const pattern of ['/files/*splat', '/files/(.*)', '/files/:name', '/files/:name.json/:x', undefined]) {
      expect([pattern, at('/files/a/b%20c', pattern)]).toEqual([pattern, at('/files/a/b%20c', pattern, false)]);
    }
  });
});
