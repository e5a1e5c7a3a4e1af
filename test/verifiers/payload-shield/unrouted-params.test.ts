/** Route parameters read before routing: by the pattern the router will run, else every segment by index. */
import { describe, expect, it } from 'vitest';
import { unroutedParams } from '../../../src/verifiers/payload-shield/unrouted-params.js';

const at = (path: string, pattern: string | undefined) => ({ ...unroutedParams({ method: 'GET', path, headers: {}, findRoute: () => pattern }) });

describe('unroutedParams', () => {
  it('names the parameters of a pattern of literal and :name segments, decoded as routers decode them', () => {
    expect(at('/api/files/%2Fetc%2Fpasswd', '/api/files/:name')).toEqual({ name: '/etc/passwd' });
    expect(at('/orders/7/items/9/', '/orders/:order/items/:item')).toEqual({ order: '7', item: '9' });
    expect(at('/api/whoami', '/api/whoami')).toEqual({});
    expect(at('/files/%E0%A4%A', '/files/:name')).toEqual({ name: '%E0%A4%A' }); // undecodable: kept as sent
  });
  it('falls back to every segment by index when the pattern has router syntax, the lengths differ, or no route is known', () => {
    const all = { '0': 'files', '1': 'a', '2': 'b c' };
    expect(at('/files/a/b%20c', '/files/*splat')).toEqual(all);
    expect(at('/files/a/b%20c', '/files/(.*)')).toEqual(all);
    expect(at('/files/a/b%20c', '/files/:name')).toEqual(all);
    expect(at('/files/a/b%20c', '/files/:name.json/:x')).toEqual(all);
    expect(at('/files/a/b%20c', undefined)).toEqual(all);
  });
});
