/**
 * maxHeaderCount and maxHeaderBytes count the lines of `rawHeaders` when the adapter gave them (Node's joined
 * `headers` hides repeated lines), and the values of `headers` on a hand-built request without them.
 */
import { describe, expect, it } from 'vitest';
import { compilePayloadOptions, inspectPayload } from '../../../src/verifiers/payload-shield/index.js';
import { checkHeaderLimits, DEFAULT_LIMITS } from '../../../src/verifiers/payload-shield/limits.js';
import { request } from './helpers.js';

const limits = { ...DEFAULT_LIMITS, maxHeaderCount: 4, maxHeaderBytes: 100 };
/** `count` lines of `name: value` as Node's rawHeaders lists them. */
const lines = (name: string, value: string, count: number): string[] => Array.from({ length: count }, () => [name, value]).flat();

describe('header limits over rawHeaders', () => {
  it('counts every line of a repeated name, which Node joins into one value', () => {
    const joined = { 'x-a': '1, 1, 1, 1, 1' };
    expect(checkHeaderLimits(joined, limits, lines('X-A', '1', 5))).toEqual({ limit: 'maxHeaderCount', code: 'payload_too_large', location: 'header' });
    expect(checkHeaderLimits({ 'x-a': '1, 1, 1, 1' }, limits, lines('X-A', '1', 4))).toBeUndefined();
  });

  it('counts the bytes of repeated lines Node drops (a second User-Agent)', () => {
    const kept = { 'user-agent': 'a'.repeat(30) };
    expect(checkHeaderLimits(kept, limits)).toBeUndefined();
    expect(checkHeaderLimits(kept, limits, lines('User-Agent', 'a'.repeat(30), 3))).toMatchObject({ limit: 'maxHeaderBytes' });
  });

  it('counts repeated cookie lines as one line (the joined cookie header), their bytes in full', () => {
    const jar = { cookie: 'a=1; a=1; a=1; a=1; a=1; a=1' };
    expect(checkHeaderLimits(jar, limits, [...lines('cookie', 'a=1', 6), ...lines('x', '1', 3)])).toBeUndefined();
    expect(checkHeaderLimits(jar, limits, [...lines('Cookie', 'a=1', 6), ...lines('x', '1', 4)])).toMatchObject({ limit: 'maxHeaderCount' });
    expect(checkHeaderLimits(jar, limits, lines('cookie', 'a'.repeat(20), 6))).toMatchObject({ limit: 'maxHeaderBytes' });
  });

  it('reads rawHeaders that are no array as absent, and counts an odd trailing name as a line', () => {
    const five = { a: '1', b: '1', c: '1', d: '1', e: '1' };
    expect(checkHeaderLimits(five, limits, 'a,b' as unknown as string[])).toMatchObject({ limit: 'maxHeaderCount' });
    expect(checkHeaderLimits({}, limits, [...lines('x', '1', 4), 'y'])).toMatchObject({ limit: 'maxHeaderCount' });
  });
});

describe('header limits of a hand-built ShieldRequest without rawHeaders', () => {
  const options = compilePayloadOptions({ limits: { maxHeaderCount: 4 } });
  const inspect = (headers: Record<string, string | string[]>) => inspectPayload(request({ method: 'GET', headers }), undefined, options);

  it('counts the values of headers: keys, and each element of an array value', () => {
    expect(request().rawHeaders).toBeUndefined();
    expect(inspect({ a: '1', b: '1', c: '1', d: '1' })).toMatchObject({ action: 'allow' });
    expect(inspect({ a: '1', b: '1', c: '1', d: '1', e: '1' })).toMatchObject({ action: 'deny', code: 'payload_too_large', detail: expect.stringContaining('maxHeaderCount') });
    expect(inspect({ a: '1', 'set-cookie': ['1', '2', '3', '4'] })).toMatchObject({ detail: expect.stringContaining('maxHeaderCount') });
  });
});
