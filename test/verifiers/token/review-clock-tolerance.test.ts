/**
 * Review: `clockTolerance` had no upper bound. A tolerance is there to absorb clock skew between issuer and server
 * (seconds, minutes); `'30d'` (or `86400 * 30`) was accepted and turned every five-minute token into one good for a
 * month, replayable long after the issuer meant it to die. Tolerances beyond an hour (the attestation service's own
 * `clockSkew` maximum) are now a configuration error.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { ShieldConfigError } from '../../../src/core/errors.js';
import { createShield } from '../../../src/shield.js';
import type { ShieldRequest } from '../../../src/core/request.js';

const secret = randomBytes(32);
const request = (token: string): ShieldRequest => ({ method: 'GET', path: '/pay', ip: '203.0.113.5', headers: { 'x-attestation-token': token } });

describe('clockTolerance is bounded', () => {
  for (const clockTolerance of ['30d', 2 * 86_400, '2h', 3_601]) {
    it(`refuses ${JSON.stringify(clockTolerance)} (before: accepted, and a token expired an hour ago verified)`, async () => {
      let shield;
      try {
        shield = createShield({ token: { secret: secret.toString('base64'), clockTolerance } });
      } catch (error) {
        expect(error).toBeInstanceOf(ShieldConfigError);
        expect((error as ShieldConfigError).issues.map((i) => i.path)).toContain('token.clockTolerance');
        return;
      }
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ iat: now - 3_602, exp: now - 3_601 }).setProtectedHeader({ alg: 'HS256' }).sign(secret);
      const decision = await shield.check(request(token));
      expect.fail(`accepted; a token expired an hour ago was answered ${decision.code ?? 'pass'}`);
    });
  }

  it('an hour or less still works, and still tolerates what it should', async () => {
    for (const clockTolerance of [0, 30, '5m', '1h', 3_600]) {
      expect(() => createShield({ token: { secret: secret.toString('base64'), clockTolerance } })).not.toThrow();
    }
    const shield = createShield({ token: { secret: secret.toString('base64'), clockTolerance: '1h' } });
    const now = Math.floor(Date.now() / 1000);
    const lateBy30Min = await new SignJWT({ exp: now - 1_800 }).setProtectedHeader({ alg: 'HS256' }).sign(secret);
    expect((await shield.check(request(lateBy30Min))).code).toBeUndefined();
    const lateBy2h = await new SignJWT({ exp: now - 7_200 }).setProtectedHeader({ alg: 'HS256' }).sign(secret);
    expect((await shield.check(request(lateBy2h))).code).toBe('token_expired');
  });
});
