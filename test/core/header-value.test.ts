/**
 * A request built by hand for `check()` may hold header values that are neither strings nor arrays of strings. They
 * read as absent: a verifier judges the request without them instead of crashing, so `failOpen` (meant for a verifier
 * that cannot decide) never passes a request because of one.
 */
import { describe, expect, it } from 'vitest';
import { createShield } from '../../src/shield.js';
import { headerValue, type ShieldRequest } from '../../src/core/request.js';

const request = (headers: Record<string, unknown>): ShieldRequest =>
  ({ method: 'GET', path: '/accounts', ip: '203.0.113.9', query: '', headers }) as unknown as ShieldRequest;

describe('headerValue', () => {
  it('reads strings and arrays of strings, and anything else as absent', () => {
    expect(headerValue(request({ a: 'x' }), 'a')).toBe('x');
    expect(headerValue(request({ a: ['x', 'y'] }), 'a')).toBe('x, y');
    for (const odd of [5, true, null, { toString: () => 'x' }, ['x', 5], Symbol('s')]) {
      expect(headerValue(request({ a: odd }), 'a'), String(odd?.toString?.())).toBeUndefined();
    }
  });

  it.each([false, true])('a device verifier given an odd header value still judges the request (failOpen %s)', async (failOpen) => {
    const shield = createShield({ device: { failOpen, policy: { actions: { rooted: 'deny' } } } });
    for (const odd of [5, { toString: () => '9.9.9' }, null, ['1.0', 2]]) {
      const decision = await shield.check(request({ 'x-device-signals': 'rooted', 'x-app-version': odd, 'x-device-id': odd }));
      expect({ allowed: decision.allowed, code: decision.code }).toEqual({ allowed: false, code: 'device_untrusted' });
    }
  });
});
