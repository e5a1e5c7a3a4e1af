/** Route parameters read before routing: encoded segments by index; named by the route's pattern when asked. */
import { describe, expect, it } from 'vitest';
import { unroutedParams } from '../../../src/verifiers/payload-shield/unrouted-params.js';

const at = (path: string, pattern: string | undefined, named = true) => {
  const params = unroutedParams({ method: 'GET', path, headers: {}, findRoute: () => pattern }, named);
  return params === undefined ? undefined : { ...params };
};

describe('unroutedParams', () => {
  it('without names: every segment with an encoded character, decoded, by index; plain segments are not parameters', () => {
    expect(at('/api/files/%2Fetc%2Fpasswd', '/api/files/:name', false)).toEqual({ '2': '/etc/passwd' });
    expect(at('/api/whoami', '/api/whoami', false)).toBeUndefined();
    expect(at('/u/%2Fetc/profile/x%20y', undefined, false)).toEqual({ '1': '/etc', '3': 'x y' });
  });
  it('with names: the parameters of a pattern of literal and :name segments, decoded as routers decode them', () => {
    expect(at('/api/files/%2Fetc%2Fpasswd', '/api/files/:name')).toEqual({ name: '/etc/passwd' });
    expect(at('/orders/7/items/9/', '/orders/:order/items/:item')).toEqual({ order: '7', item: '9' });
    expect(at('/files/%E0%A4%A', '/files/:name')).toEqual({ name: '%E0%A4%A' }); // undecodable: kept as sent
    // An encoded segment the pattern holds as literal text (a mount path's parameter) is still read, by index.
    expect(at('/u/%2Fetc/profile', '/u/%2Fetc/profile')).toEqual({ '1': '/etc' });
  });
  it('with names, a pattern with router syntax, other lengths or no route falls back to encoded segments by index', () => {
    const byIndex = { '2': 'b c' };
    for (const pattern of ['/files/*splat', '/files/(.*)', '/files/:name', '/files/:name.json/:x', undefined]) {
      expect([pattern, at('/files/a/b%20c', pattern)]).toEqual([pattern, byIndex]);
    }
  });
});
