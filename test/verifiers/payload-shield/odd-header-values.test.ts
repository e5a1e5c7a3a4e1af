/**
 * A request built by hand for `check()` may hold header values that are neither strings nor arrays of strings: the
 * payload shield reads them as absent and judges the rest of the request, instead of crashing (503).
 */
import { describe, expect, it } from 'vitest';
import type { ShieldRequest } from '../../../src/core/request.js';
import { createShield } from '../../../src/shield.js';

const request = (odd: unknown, body: unknown): ShieldRequest =>
  ({ method: 'POST', path: '/orders', ip: '203.0.113.1', query: '', headers: { 'content-type': 'application/json', 'content-length': odd, 'x-note': odd }, body }) as unknown as ShieldRequest;

describe('payload shield and odd header values', () => {
  it.each([5, { a: 1 }, null, true, ['x', 5]])('%j: an attack in the body is still refused, a clean body passes', async (odd) => {
    const shield = createShield({ payload: {} });
    expect((await shield.check(request(odd, { note: "1' or '1'='1" }))).code).toBe('payload_attack');
    expect((await shield.check(request(odd, { note: 'leave at the door' }))).allowed).toBe(true);
  });
});
