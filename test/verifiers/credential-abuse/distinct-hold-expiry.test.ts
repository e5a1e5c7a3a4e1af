/**
 * A login whose outcome is never reported (the client hung up, the instance crashed) holds its username in the
 * distinct-username sets only until `holdSeconds`, like its attempt-counter slots: it must not fill the per-IP (or
 * per-device) set for the set's whole window and refuse every new username there, with no failure counted (reviewer's
 * reproduction: three never-settled logins, then a fourth username refused `credential_abuse` for an hour). A
 * username whose login failed stays counted for the window, as before.
 */
import { describe, expect, it } from 'vitest';
import { createClientIpResolver } from '../../../src/core/client-ip.js';
import type { VerifierContext } from '../../../src/core/verifier.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import { RedisStore } from '../../../src/stores/redis.js';
import type { Store } from '../../../src/stores/store.js';
import { createCredentialAbuseVerifier } from '../../../src/verifiers/credential-abuse/index.js';
import { redisForTestFile } from '../../stores/redis-helpers.js';
import { REDIS_LABEL, redisAnswers } from '../../helpers/redis.js';
import { makeContext } from './helpers.js';

const { client, prefix } = redisForTestFile('distinct-hold');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const LIMIT = { limit: 3, windowSeconds: 3600 };

type Kind = 'memory' | 'redis';
let stores = 0;
const KINDS: readonly (readonly [string, Kind, boolean])[] = [
  ['MemoryStore', 'memory', true],
  [`RedisStore (${REDIS_LABEL})`, 'redis', redisAnswers],
];

describe.each(KINDS)('distinct usernames on %s: a hold never settled ends with holdSeconds', (_name, kind, available) => {
  function setup(scope: 'ip' | 'device') {
    const clock = { now: Date.now() };
    // MemoryStore on a clock the test moves; Redis judges holds on its own clock, so its test waits for real.
    const store: Store = kind === 'memory' ? new MemoryStore({ now: () => clock.now }) : new RedisStore({ client, prefix: `${prefix}${(stores += 1)}:` });
    const options =
      scope === 'ip'
        ? { holdSeconds: 1, ipDistinctUsernames: LIMIT, deviceDistinctUsernames: false as const }
        : { holdSeconds: 1, ipDistinctUsernames: false as const, deviceDistinctUsernames: LIMIT };
    const verifier = createCredentialAbuseVerifier(options, { store, ipResolver: createClientIpResolver({}) });
    // IP scope: one IP key, a device per login. Device scope: one device, an IP per login.
    let n = 0;
    const login = (email: string): VerifierContext => {
      n += 1;
      return makeContext({
        now: clock.now,
        ip: scope === 'ip' ? '203.0.113.7' : `198.51.100.${n}`,
        body: { email, password: 'guess' },
        attestation: { provider: 'test', claims: { did: scope === 'ip' ? `device-${n}` : 'stuffer' } },
      });
    };
    /** Lets `ms` pass (MemoryStore) or just over the 1 s hold (Redis, real time). */
    const later = async (ms: number) => {
      if (kind === 'memory') clock.now += ms;
      else {
        await sleep(1_300);
        clock.now = Date.now();
      }
    };
    return { verifier, login, later };
  }

  for (const scope of ['ip', 'device'] as const) {
    it.skipIf(!available)(`${scope}: three logins never settled do not refuse a fourth username once their holds ended`, async () => {
      const { verifier, login, later } = setup(scope);
      for (const email of ['a@x', 'b@x', 'c@x']) expect((await verifier.verify(login(email))).outcome).toBe('pass'); // no outcome, ever
      // While they are in flight, the set is full.
      expect(await verifier.verify(login('early@x'))).toMatchObject({ outcome: 'deny', code: 'credential_abuse' });
      await later(5_000);
      const next = login('d@x');
      expect(await verifier.verify(next)).toEqual({ outcome: 'pass' });
      await verifier.onResponse!(next, 200);
      // 50 minutes on, the set is no fuller than its logins in flight: three new usernames, then a refusal.
      await later(50 * 60_000);
      for (const email of ['e@x', 'f@x', 'g@x']) expect((await verifier.verify(login(email))).outcome).toBe('pass');
      expect(await verifier.verify(login('h@x'))).toMatchObject({ outcome: 'deny', code: 'credential_abuse' });
    });

    it.skipIf(!available)(`${scope}: a failed username stays counted after its hold ended; only the in-flight holds free`, async () => {
      const { verifier, login, later } = setup(scope);
      for (const email of ['a@x', 'b@x']) {
        const ctx = login(email);
        expect((await verifier.verify(ctx)).outcome).toBe('pass');
        await verifier.onResponse!(ctx, 401);
      }
      await later(5_000);
      // a and b failed: one place left, taken by c (never settled).
      expect((await verifier.verify(login('c@x'))).outcome).toBe('pass');
      const refused = await verifier.verify(login('d@x'));
      expect(refused).toMatchObject({ outcome: 'deny', code: 'credential_abuse', retryAfter: 3600 });
      expect((refused as { detail?: string }).detail).toMatch(/distinct-username budget/);
      // A failed username is let in again (it is counted already).
      const again = login('a@x');
      expect((await verifier.verify(again)).outcome).toBe('pass');
      await verifier.onResponse!(again, 400);
      await later(5_000);
      // c's hold ended; a and b still count: d takes the last place, e is refused.
      expect((await verifier.verify(login('d@x'))).outcome).toBe('pass');
      expect(await verifier.verify(login('e@x'))).toMatchObject({ outcome: 'deny', code: 'credential_abuse' });
    });
  }
});
