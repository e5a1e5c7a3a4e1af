import { describe, expect, it } from 'vitest';
import { createShield } from '../../../src/shield.js';
import type { ShieldRequest } from '../../../src/core/request.js';
import { createTestAttester } from '../../../src/testing/index.js';

// The token verifier remembers, per cached token, the Authorization value whose SHA-256 already matched the binding
// claim, and compares a repeat with it instead of hashing again. These tests pin that the memo only ever lets the
// exact matched value through: a value of the same length, one differing in its last character, a prefix, and a
// different binding route all still go through the real digest check.
const attester = createTestAttester();
const req = (token: string, authorization?: string, extra: Record<string, string> = {}): ShieldRequest => ({
  method: 'GET',
  path: '/x',
  ip: '127.0.0.1',
  headers: { 'x-attestation-token': token, ...(authorization !== undefined ? { authorization } : {}), ...extra },
});

describe('token binding memo on the cached path', () => {
  const shield = createShield({ token: { secret: attester.secret as string, binding: { claim: 'pay', headers: ['authorization'] } } });

  it('after a match, the same value passes and every other value is still denied', async () => {
    const token = await attester.mint({ bindTo: 'Bearer alice-0001' });
    for (let i = 0; i < 3; i++) expect((await shield.check(req(token, 'Bearer alice-0001'))).allowed).toBe(true);
    for (const other of ['Bearer alice-0002', 'Bearer alice-000', 'Bearer alice-00011', 'bearer alice-0001', '']) {
      expect((await shield.check(req(token, other))).code).toBe('token_binding_mismatch');
    }
    expect((await shield.check(req(token))).code).toBe('token_binding_mismatch');
    // The memo was not overwritten by the denied values.
    expect((await shield.check(req(token, 'Bearer alice-0001'))).allowed).toBe(true);
  });

  it('a value that matched one token is not accepted for another token bound elsewhere', async () => {
    const alice = await attester.mint({ bindTo: 'Bearer alice' });
    const bob = await attester.mint({ bindTo: 'Bearer bob00' });
    expect((await shield.check(req(alice, 'Bearer alice'))).allowed).toBe(true);
    expect((await shield.check(req(bob, 'Bearer bob00'))).allowed).toBe(true);
    expect((await shield.check(req(bob, 'Bearer alice'))).code).toBe('token_binding_mismatch');
    expect((await shield.check(req(alice, 'Bearer bob00'))).code).toBe('token_binding_mismatch');
  });

  it('a route binding over other headers never reuses the global binding memo wrongly', async () => {
    const token = await attester.mint({ bindTo: 'Bearer carol' });
    expect((await shield.check(req(token, 'Bearer carol'))).allowed).toBe(true);
    const route = { token: { binding: { headers: ['authorization', 'x-device'] } } };
    // Joined material is "Bearer carol\ndev" whose hash differs from the claim: denied although Authorization matched.
    expect((await shield.check(req(token, 'Bearer carol', { 'x-device': 'dev' }), route)).code).toBe('token_binding_mismatch');
  });
});
