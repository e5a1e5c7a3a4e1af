/**
 * A token the token verifier denies lends its claims to nothing: not the Decision's `attestation`, not the verifiers
 * after it. In monitor mode a denied token lets the request on, so a stolen token sent with another Authorization
 * value (or a single-use token sent again) would otherwise have the device policy judge the victim's claims, and the
 * handler read them as the caller's.
 */
import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createShield } from '../../../src/shield.js';
import type { ShieldRequest } from '../../../src/core/request.js';

const secret = new Uint8Array(32).fill(7);
const payOf = (authorization: string): string => createHash('sha256').update(authorization).digest('base64');

async function tokenFor(authorization: string, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ pay: payOf(authorization), sub: 'victim', ...claims }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(secret);
}

const request = (token: string, authorization: string): ShieldRequest => ({
  method: 'GET',
  path: '/api/me',
  headers: { 'x-attestation-token': token, authorization },
  ip: '198.51.100.7',
});

describe('a denied token lends its claims to nothing', () => {
  // The device policy reads the token's claims: a rooted device is refused, in enforce mode for the device verifier.
  const shield = (replay: boolean) =>
    createShield({
      token: { secret, binding: {}, replay, mode: 'monitor' },
      device: { tokenClaims: { signals: { rooted: 'rooted' } }, policy: { actions: { rooted: 'deny' } }, mode: 'enforce' },
    });

  it('a token bound to another Authorization value: monitored, no attestation, the device policy does not read it', async () => {
    const s = shield(false);
    const token = await tokenFor('Bearer victim', { rooted: true });
    const genuine = await s.check(request(token, 'Bearer victim'));
    expect([genuine.allowed, genuine.code, genuine.attestation?.claims.sub]).toEqual([false, 'device_untrusted', 'victim']);
    expect(genuine.results.find((r) => r.verifier === 'device-risk')?.detail).toContain('rooted:deny');
    const stolen = await s.check(request(token, 'Bearer attacker'));
    expect(stolen.results.find((r) => r.verifier === 'token')).toMatchObject({ outcome: 'deny', code: 'token_binding_mismatch', mode: 'monitor' });
    expect(stolen.attestation).toBeUndefined();
    // The device verifier judged a request without attestation, not the victim's rooted flag.
    expect(stolen.results.find((r) => r.verifier === 'device-risk')?.detail).toContain('noAttestation');
    expect(stolen.results.find((r) => r.verifier === 'device-risk')?.detail).not.toContain('rooted');
  });

  it('a single-use token sent again: monitored, no attestation', async () => {
    const s = shield(true);
    const token = await tokenFor('Bearer victim', { jti: 'once-1', rooted: false });
    const first = await s.check(request(token, 'Bearer victim'));
    expect([first.allowed, first.attestation?.claims.sub]).toEqual([true, 'victim']);
    const again = await s.check(request(token, 'Bearer victim'));
    expect(again.results.find((r) => r.verifier === 'token')).toMatchObject({ outcome: 'deny', code: 'token_replayed' });
    expect(again.attestation).toBeUndefined();
  });
});
