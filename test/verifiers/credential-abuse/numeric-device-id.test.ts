/**
 * A numeric device claim was read as any finite number (`String(4.2)`, `String(1e21)` = `"1e+21"`, an integer beyond
 * 2^53 that JSON parsing already rounded), while the `device` verifier reads only safe integers. Now only a safe
 * integer is a device id (its decimal string); any other number is read as missing: the next of `deviceClaims` is
 * tried, and with none the per-device counters are not kept while the username + IP and IP-key counters still count
 * the login. Over real HTTP with signed tokens, on MemoryStore and on real Redis.
 */
import { describe, expect, it } from 'vitest';
import { COUNTERS_OFF, loginStores, startLoginApp } from './http-login.js';

const DEVICE_BUDGET = { ...COUNTERS_OFF, deviceFailures: { limit: 2, windowSeconds: 3600 } };
/** Numbers that are no device id. */
const NOT_IDS = [4.2, 1e21, 2 ** 53 + 2, -(2 ** 53) - 2];

describe.each(loginStores('numeric-device-id'))('a numeric device claim on %s', (_name, makeStore, available) => {
  it.skipIf(!available)('a safe integer is the device, as its decimal string (control)', async () => {
    const app = await startLoginApp(DEVICE_BUDGET, makeStore());
    try {
      // From two IP keys, so only the device ties the attempts together.
      expect((await app.login('a@x.com', { claims: { did: 42 }, ip: '198.51.100.1' })).status).toBe(401);
      expect((await app.login('b@x.com', { claims: { did: 42 }, ip: '198.51.100.2' })).status).toBe(401);
      expect(await app.login('c@x.com', { claims: { did: '42' }, ip: '198.51.100.3' })).toEqual({ status: 429, code: 'credential_abuse' });
      expect((await app.login('c@x.com', { claims: { did: 43 }, ip: '198.51.100.3' })).status).toBe(401);
      // A support reset names the device as that string.
      await expect(app.shield.credentials.reset({ device: '42' })).resolves.toEqual({ cleared: ['device-failures', 'device-usernames'] });
      expect((await app.login('c@x.com', { claims: { did: 42 }, ip: '198.51.100.3' })).status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it.skipIf(!available)('another number is no device id: no per-device counter is keyed by it', async () => {
    const app = await startLoginApp(DEVICE_BUDGET, makeStore());
    try {
      for (const did of NOT_IDS) {
        for (let i = 0; i < 4; i++) expect((await app.login(`u${i}@x.com`, { claims: { did }, ip: `198.51.100.${i}` })).status).toBe(401);
      }
      // Nor under the string it used to be spelt as.
      for (const did of ['4.2', '1e+21', '9007199254740994']) {
        expect((await app.login('v@x.com', { claims: { did }, ip: '203.0.113.9' })).status).toBe(401);
      }
    } finally {
      await app.close();
    }
  });

  it.skipIf(!available)('read as missing, it does not hide the next device claim', async () => {
    const app = await startLoginApp({ ...DEVICE_BUDGET, deviceClaims: ['did', 'dev'] }, makeStore());
    try {
      expect((await app.login('a@x.com', { claims: { did: 4.2, dev: 'phone-9' }, ip: '198.51.100.1' })).status).toBe(401);
      expect((await app.login('b@x.com', { claims: { did: 2 ** 53 + 2, dev: 'phone-9' }, ip: '198.51.100.2' })).status).toBe(401);
      expect(await app.login('c@x.com', { claims: { dev: 'phone-9' }, ip: '198.51.100.3' })).toEqual({ status: 429, code: 'credential_abuse' });
    } finally {
      await app.close();
    }
  });

  it.skipIf(!available)('a login without a device id is still counted by username + IP and by IP key', async () => {
    const app = await startLoginApp(
      { ...COUNTERS_OFF, consecutiveFailures: { limit: 2 }, ipFailures: { limit: 4, windowSeconds: 3600 } },
      makeStore(),
    );
    try {
      for (let i = 0; i < 2; i++) expect((await app.login('victim@x.com', { claims: { did: 1e21 } })).status).toBe(401);
      expect((await app.login('victim@x.com', { claims: { did: 4.2 } })).code).toBe('login_locked');
      for (let i = 0; i < 2; i++) expect((await app.login(`w${i}@x.com`, { claims: { did: 4.2 } })).status).toBe(401);
      expect((await app.login('z@x.com', { claims: { did: 4.2 } })).code).toBe('credential_abuse');
    } finally {
      await app.close();
    }
  });
});
