/**
 * Follow-up review: `issueToken()` is public (custom evidence flows) but checked none of its arguments: a NaN
 * `pinSetVersion` was signed as `psv: null`, an empty or non-string `subject` and a `binding` that is no SHA-256
 * digest were signed as given, and so was a verdict of the wrong shape. Each is now a TypeError naming the argument
 * (never its value); valid arguments still issue a token that verifies, with the binding in canonical base64.
 */
import { createHash } from 'node:crypto';
import { decodeJwt, jwtVerify, createLocalJWKSet } from 'jose';
import { describe, expect, it } from 'vitest';
import type { IssuedDeviceVerdict } from '../../../src/attestation/issuer/index.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import { AUDIENCE, ISSUER, testService } from './fixtures.js';

const verdict: IssuedDeviceVerdict = {
  platform: 'android',
  app: { id: 'com.example.bank', version: 42 },
  device: { levels: ['MEETS_DEVICE_INTEGRITY', 'MEETS_BASIC_INTEGRITY'], signals: ['unlicensed'] },
};
const digest = createHash('sha256').update('Bearer abc').digest();

describe('issueToken arguments', () => {
  const service = testService(new MemoryStore());

  it('refuses a pin-set version that is not a non-negative safe integer', async () => {
    for (const psv of [Number.NaN, -1, 1.5, Number.POSITIVE_INFINITY, 2 ** 53, '3' as unknown as number]) {
      await expect(service.issueToken(verdict, 'install-0001', undefined, psv)).rejects.toThrow(/^issueToken: pinSetVersion must be a non-negative integer/);
    }
  });

  it('refuses a subject that is not a string of 1 to 256 characters, without repeating it', async () => {
    for (const subject of ['', 'x'.repeat(257), undefined, 42, null] as unknown as string[]) {
      const error = await service.issueToken(verdict, subject).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(/^issueToken: subject must be a string of 1 to 256 characters$/);
    }
  });

  it('refuses a binding that is not a base64 SHA-256 digest', async () => {
    for (const binding of ['', 'not a digest', digest.toString('hex'), Buffer.alloc(31).toString('base64'), 7 as unknown as string]) {
      await expect(service.issueToken(verdict, 'install-0001', binding)).rejects.toThrow(/^issueToken: binding must be a base64 SHA-256 digest/);
    }
  });

  it('refuses a verdict of the wrong shape, naming the field', async () => {
    const bad: [unknown, RegExp][] = [
      [null, /verdict/],
      [{ ...verdict, platform: 'windows' }, /verdict\.platform/],
      [{ ...verdict, app: { id: 7 } }, /verdict\.app\.id/],
      [{ ...verdict, device: { levels: ['MEETS_EVERYTHING'], signals: [] } }, /verdict\.device\.levels\.0/],
      [{ ...verdict, device: { levels: [], signals: ['rooted-ish'] } }, /verdict\.device\.signals\.0/],
    ];
    for (const [value, field] of bad) {
      const error = await service.issueToken(value as IssuedDeviceVerdict, 'install-0001').then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(field);
    }
  });

  it('still issues a verifying token for valid arguments, the binding in canonical padded base64', async () => {
    const issued = await service.issueToken(verdict, 'install-0001', digest.toString('base64url'), 0);
    const { payload } = await jwtVerify(issued.token, createLocalJWKSet(service.jwks()), { issuer: ISSUER, audience: AUDIENCE });
    expect(payload).toMatchObject({ sub: 'install-0001', psv: 0, pay: digest.toString('base64'), plat: 'android', app: { id: 'com.example.bank', ver: 42 } });
    expect(decodeJwt(issued.token).exp).toBe(issued.expiresAt);
  });
});
