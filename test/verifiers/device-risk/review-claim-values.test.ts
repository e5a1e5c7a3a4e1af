/**
 * Review: a verified token's signal claims are judged fail-closed. A mapped claim is "not observed" only when it says
 * so (`false`, `"false"`, `0`, `"0"`, `null`, an empty array) or is absent; any other value (`"TRUE"`, `"yes"`, `2`, a
 * non-empty array, an object) is observed. Before the fix only `true`, `"true"` and `1` were observed, so a signed
 * `rooted: "True"` (a Python-serialised boolean) or `rooted: ["magisk"]` passed a policy that denies rooted devices.
 * `equals` rules compare scalars by their spelling (`false` equals `"false"`, `"frida"` equals `"FRIDA"`).
 * Over real HTTP (Express), tokens signed with jose by the test attester.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../../src/attestation/approov.js';
import { createShield } from '../../../src/shield.js';
import { createTestAttester } from '../../../src/testing/index.js';
import { ADAPTERS, type RunningApp } from '../../helpers/adapters.js';

const attester = createTestAttester({ header: 'approov-token' });
const express = ADAPTERS.find((a) => a.name === 'express5')!;

describe('device-risk: signal claims of unexpected type or spelling fail closed (express5, real HTTP)', () => {
  let app: RunningApp;
  beforeAll(async () => {
    const shield = createShield({
      token: { ...approov({ secret: attester.secret as string }), binding: false },
      device: {
        tokenClaims: {
          signals: {
            rooted: 'rooted',
            'integrity.ok': { signal: 'tampered', equals: false },
            hooks: { signal: 'hooked', equals: 'frida' },
          },
          level: 'MEETS_DEVICE_INTEGRITY',
        },
        policy: { actions: { rooted: 'deny' } },
      },
    });
    app = await express.start(shield, [{ method: 'GET', path: '/feed' }]);
  });
  afterAll(() => app.close());

  const call = async (claims: Record<string, unknown>) =>
    request(app.server).get('/feed').set('approov-token', await attester.mint({ claims }));

  it.each([
    ['"TRUE"', 'TRUE'],
    ['"True"', 'True'],
    ['"yes"', 'yes'],
    ['2', 2],
    ['a non-empty array', ['magisk']],
    ['an object', { detected: true }],
  ])('a rooted claim of %s is observed (denied)', async (_name, value) => {
    const res = await call({ rooted: value });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('device_untrusted');
  });

  it.each([
    ['absent', undefined],
    ['false', false],
    ['"false"', 'false'],
    ['" FALSE "', ' FALSE '],
    ['0', 0],
    ['"0"', '0'],
    ['null', null],
    ['an empty array', []],
  ])('a rooted claim of %s is not observed (allowed)', async (_name, value) => {
    const res = await call(value === undefined ? {} : { rooted: value });
    expect(res.status).toBe(200);
  });

  it('an equals:false rule matches the string "false" (tampered denies by default)', async () => {
    expect((await call({ integrity: { ok: 'false' } })).status).toBe(403);
    expect((await call({ integrity: { ok: 'FALSE' } })).status).toBe(403);
    expect((await call({ integrity: { ok: true } })).status).toBe(200);
  });

  it('an equals rule on a string matches whatever its case (hooked denies by default)', async () => {
    expect((await call({ hooks: 'FRIDA' })).status).toBe(403);
    expect((await call({ hooks: ['Frida', 'xposed'] })).status).toBe(403);
    expect((await call({ hooks: 'frida-like' })).status).toBe(200);
  });
});
