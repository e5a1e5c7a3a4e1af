/**
 * Review: a verified token's device id claim that is a number (`did: 42`, as some providers sign it) is the device's
 * id. It was ignored (only strings were read), so a denylisted numeric id never matched and the device was judged as
 * if it had no id. A safe integer is read as its decimal string; other numbers (fractions, NaN, infinities, integers
 * beyond 2^53 that JSON parsing already rounded, so two devices could share one spelling) stay unread.
 * The shield case goes over real HTTP (Express), tokens signed with jose by the test attester.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../../src/attestation/approov.js';
import { createShield } from '../../../src/shield.js';
import { createTestAttester } from '../../../src/testing/index.js';
import { compileClaimMapping } from '../../../src/verifiers/device-risk/index.js';
import { ADAPTERS, type RunningApp } from '../../helpers/adapters.js';

describe('token claims: a numeric device id', () => {
  const map = compileClaimMapping({ deviceId: 'dev.id' });
  const idOf = (value: unknown) => map({ provider: 'p', claims: { dev: { id: value } } }).deviceId;

  it.each([
    [42, '42'],
    [0, '0'],
    [-7, '-7'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
    [1e15, '1000000000000000'],
  ])('the safe integer %s is read as "%s"', (value, expected) => {
    expect(idOf(value)).toBe(expected);
  });

  it('other numbers stay unread (fractions, NaN, infinities, beyond 2^53), while a safe integer beside them is read', () => {
    expect(idOf(42)).toBe('42');
    for (const value of [4.2, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53 + 2, 1e300, true]) expect(idOf(value)).toBeUndefined();
    expect(idOf('42')).toBe('42');
  });
});

describe('device-risk: a numeric token device id meets the device lists (express5, real HTTP)', () => {
  const attester = createTestAttester({ header: 'approov-token' });
  const express = ADAPTERS.find((a) => a.name === 'express5')!;
  let app: RunningApp;
  beforeAll(async () => {
    const shield = createShield({
      token: { ...approov({ secret: attester.secret as string }), binding: false },
      device: {
        tokenClaims: { deviceId: 'did', level: 'MEETS_DEVICE_INTEGRITY' },
        policy: { devices: { deny: ['42', '9007199254740994'] } },
      },
    });
    app = await express.start(shield, [{ method: 'GET', path: '/feed' }]);
  });
  afterAll(() => app.close());

  const call = async (claims: Record<string, unknown>) =>
    request(app.server).get('/feed').set('approov-token', await attester.mint({ claims }));

  it('a denylisted numeric id is denied, like its string spelling', async () => {
    const numeric = await call({ did: 42 });
    expect(numeric.status).toBe(403);
    expect(numeric.body.code).toBe('device_untrusted');
    expect((await call({ did: '42' })).status).toBe(403);
    // Another numeric id, or a number that is not a safe integer (2^53 + 2 is denylisted as a string), is not listed.
    expect((await call({ did: 43 })).status).toBe(200);
    expect((await call({ did: 42.5 })).status).toBe(200);
    expect((await call({ did: 2 ** 53 + 2 })).status).toBe(200);
  });
});
