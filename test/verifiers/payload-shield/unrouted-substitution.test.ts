/**
 * Before routing (Express, Koa), a path segment with a shell substitution spelled out (a backtick, `$(`) is read as
 * a parameter, as an encoded segment is: the handler gets `` `id` `` alone, where the whole-path reading sees
 * Markdown inline code after a `/`.
 */
import { describe, expect, it } from 'vitest';
import { unroutedParams } from '../../../src/verifiers/payload-shield/unrouted-params.js';

const at = (path: string, pattern: string | undefined, named = false) => {
  const params = unroutedParams({ method: 'GET', path, headers: {}, findRoute: () => pattern }, named);
  return params === undefined ? undefined : { ...params };
};

describe('unroutedParams: shell substitutions spelled out in the path', () => {
  it('reads a segment with a backtick or `$(` as a parameter, by index, and starts no joined rest', () => {
    expect(at('/hosts/`id`', '/hosts/:host')).toEqual({ '1': '`id`' });
    expect(at('/hosts/$(id)', '/hosts/:host')).toEqual({ '1': '$(id)' });
    expect(at('/a/`b`/c', undefined)).toEqual({ '1': '`b`' });
    // With names, the route's parameter is named as the handler reads it.
    expect(at('/hosts/`id`', '/hosts/:host', true)).toEqual({ host: '`id`' });
  });

  it('leaves paths without one as they were (no parameters to read)', () => {
    expect(at('/hosts/abc', '/hosts/:host')).toBeUndefined();
    expect(at('/price/$5', undefined)).toBeUndefined();
  });
});
