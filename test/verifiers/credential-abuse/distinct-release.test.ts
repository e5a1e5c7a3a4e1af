/**
 * A failed username stays counted in the distinct-username budget when another attempt with the same username ends
 * without failing. Both attempts reserve the username; the first to reserve adds it to the set of usernames in
 * flight and removes it when it ends as neither success nor failure (a breached-password denial, a 400, a client
 * that hung up). Counted in that set alone, the other attempt's failure was taken back by that removal: an attacker
 * pairing each guess with such an attempt kept the set empty, and the IP key (or device) was never blocked.
 */
import { describe, expect, it } from 'vitest';
import { createClientIpResolver } from '../../../src/core/client-ip.js';
import type { VerifierOutcome } from '../../../src/core/verifier.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import { RedisStore } from '../../../src/stores/redis.js';
import type { Store } from '../../../src/stores/store.js';
import { createCredentialAbuseVerifier } from '../../../src/verifiers/credential-abuse/index.js';
import { redisForTestFile } from '../../stores/redis-helpers.js';
import { REDIS_LABEL, redisAnswers } from '../../helpers/redis.js';
import { makeContext } from './helpers.js';

const LIMIT = 3;
/** Only the distinct-username budgets, so nothing else refuses first. */
const ONLY_DISTINCT = { consecutiveFailures: false, ipFailures: false, deviceFailures: false } as const;

const { client, prefix } = redisForTestFile('distinct-release');
let stores = 0;
const STORES: readonly (readonly [string, () => Store, boolean])[] = [
  ['MemoryStore', () => new MemoryStore(), true],
  [`RedisStore (${REDIS_LABEL})`, () => new RedisStore({ client, prefix: `${prefix}${(stores += 1)}:` }), redisAnswers],
];

/** Which order the two attempts of one username end in. */
type Order = 'failure first' | 'release first';

describe.each(STORES)('distinct usernames on %s: a released twin does not take a failure back', (_name, makeStore, available) => {
  function setup(scope: 'ip' | 'device') {
    const limit = { limit: LIMIT, windowSeconds: 3600 };
    const options =
      scope === 'ip'
        ? { ...ONLY_DISTINCT, ipDistinctUsernames: limit, deviceDistinctUsernames: false as const }
        : { ...ONLY_DISTINCT, ipDistinctUsernames: false as const, deviceDistinctUsernames: limit };
    const verifier = createCredentialAbuseVerifier(options, { store: makeStore(), ipResolver: createClientIpResolver({}) });
    // One IP key and one device for every attempt, a username of their own each.
    const login = (email: string) =>
      makeContext({ now: Date.now(), ip: '203.0.113.7', body: { email, password: 'guess' }, attestation: { provider: 'test', claims: { did: 'stuffer' } } });
    /** Two attempts with `email` in flight together: one fails (401), its twin ends as neither (500). */
    async function pairedGuess(email: string, order: Order): Promise<[VerifierOutcome, VerifierOutcome]> {
      const twin = login(email);
      const guess = login(email);
      const outcomes = [await verifier.verify(twin), await verifier.verify(guess)] as [VerifierOutcome, VerifierOutcome];
      if (order === 'failure first') {
        await verifier.onResponse!(guess, 401);
        await verifier.onResponse!(twin, 500);
      } else {
        await verifier.onResponse!(twin, 500);
        await verifier.onResponse!(guess, 401);
      }
      return outcomes;
    }
    return { verifier, login, pairedGuess };
  }

  for (const scope of ['ip', 'device'] as const) {
    for (const order of ['failure first', 'release first'] as const) {
      it.skipIf(!available)(`${scope}: after ${LIMIT} failed usernames, each paired with a released twin (${order}), the next username is refused`, async () => {
        const { verifier, login, pairedGuess } = setup(scope);
        for (let i = 0; i < LIMIT; i++) {
          expect((await pairedGuess(`victim${i}@example.com`, order)).map((o) => o.outcome)).toEqual(['pass', 'pass']);
        }
        const next = await verifier.verify(login('victim-next@example.com'));
        expect(next).toMatchObject({ outcome: 'deny', code: 'credential_abuse', retryAfter: 3600 });
      });
    }
    it.skipIf(!available)(`${scope}: a username stays counted while a guess with it is in flight, after its twin ended as neither`, async () => {
      const { verifier, login } = setup(scope);
      const guesses = [];
      for (let i = 0; i < LIMIT; i++) {
        // The twin reaches the app first and ends fast (400); the guess is still at the app (a slow password check).
        const twin = login(`victim${i}@example.com`);
        const guess = login(`victim${i}@example.com`);
        expect([(await verifier.verify(twin)).outcome, (await verifier.verify(guess)).outcome]).toEqual(['pass', 'pass']);
        await verifier.onResponse!(twin, 400);
        guesses.push(guess);
      }
      const next = await verifier.verify(login('victim-next@example.com'));
      expect(next).toMatchObject({ outcome: 'deny', code: 'credential_abuse' });
      // Once the guesses end as neither too, their usernames are free again.
      for (const guess of guesses) await verifier.onResponse!(guess, 400);
      expect((await verifier.verify(login('victim-later@example.com'))).outcome).toBe('pass');
    });

    it.skipIf(!available)(`${scope}: usernames whose attempts all end as neither are not counted`, async () => {
      const { verifier, login } = setup(scope);
      for (let i = 0; i < 2 * LIMIT; i++) {
        const ctx = login(`user${i}@example.com`);
        expect((await verifier.verify(ctx)).outcome).toBe('pass');
        await verifier.onResponse!(ctx, 500);
      }
      expect((await verifier.verify(login('one-more@example.com'))).outcome).toBe('pass');
    });
  }
});
