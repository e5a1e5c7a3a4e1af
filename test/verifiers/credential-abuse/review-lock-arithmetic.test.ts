/**
 * Lock arithmetic of the consecutive-failure counter on both stores. `lockSeconds` is the first lock and
 * `maxLockSeconds` the longest; a first lock longer than the default longest (`lockSeconds: 7200` alone, under the
 * default `maxLockSeconds: 3600`) was cut to the longest: locked for one hour instead of the two configured. Both
 * given the other way round (`lockSeconds: 600, maxLockSeconds: 300`) were accepted and the first lock silently cut.
 */
import { describe, expect, it } from 'vitest';
import { ShieldConfigError } from '../../../src/core/errors.js';
import { createShield } from '../../../src/shield.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import { RedisStore } from '../../../src/stores/redis.js';
import type { Store } from '../../../src/stores/store.js';
import { redisForTestFile } from '../../stores/redis-helpers.js';
import { REDIS_LABEL, redisAnswers } from '../../helpers/redis.js';
import { harness } from './helpers.js';

const ONLY_CONSECUTIVE = { ipFailures: false, deviceFailures: false, ipDistinctUsernames: false, deviceDistinctUsernames: false } as const;

const { client, prefix } = redisForTestFile('review-lock-arithmetic');
let stores = 0;
const STORES: readonly (readonly [string, () => Store, boolean])[] = [
  ['MemoryStore', () => new MemoryStore(), true],
  [`RedisStore (${REDIS_LABEL})`, () => new RedisStore({ client, prefix: `${prefix}${(stores += 1)}:` }), redisAnswers],
];

describe.each(STORES)('consecutive-failure locks on %s', (_name, makeStore, available) => {
  it.runIf(available)('a first lock longer than the default longest lock is not cut short', async () => {
    const h = harness({ ...ONLY_CONSECUTIVE, consecutiveFailures: { limit: 1, lockSeconds: 7200 } }, makeStore());
    expect((await h.attempt('victim@x', 401)).outcome).toBe('pass');
    const locked = (await h.attempt('victim@x', undefined)) as { retryAfter?: number };
    expect(locked).toMatchObject({ outcome: 'deny', code: 'login_locked' });
    // Before the fix: retryAfter 3600 (the default maxLockSeconds). A range: Redis counts on its own clock.
    expect(locked.retryAfter).toBeGreaterThan(3600);
    expect(locked.retryAfter).toBeLessThanOrEqual(7200);
  });

  it.runIf(available)('createCredentialAbuseVerifier (no config schema): a longest lock below the first leaves the first as configured', async () => {
    const h = harness({ ...ONLY_CONSECUTIVE, consecutiveFailures: { limit: 2, lockSeconds: 600, maxLockSeconds: 300 } }, makeStore());
    for (let i = 0; i < 2; i++) expect((await h.attempt('victim@x', 401)).outcome).toBe('pass');
    const locked = (await h.attempt('victim@x', undefined)) as { retryAfter?: number };
    expect(locked).toMatchObject({ code: 'login_locked' });
    expect(locked.retryAfter).toBeGreaterThan(300); // before the fix: 300
    expect(locked.retryAfter).toBeLessThanOrEqual(600);
  });
});

describe('consecutiveFailures config', () => {
  it('refuses a longest lock below the first lock, naming the option, and only that', () => {
    const make = () => createShield({ credentials: { consecutiveFailures: { lockSeconds: 600, maxLockSeconds: 300 } } });
    expect(make).toThrow(ShieldConfigError);
    expect(make).toThrow(/credentials\.consecutiveFailures\.maxLockSeconds: must be at least lockSeconds/);
    // Still accepted: a first lock above the default longest lock, and equal bounds.
    expect(() => createShield({ credentials: { consecutiveFailures: { lockSeconds: 7200 } } })).not.toThrow();
    expect(() => createShield({ credentials: { consecutiveFailures: { lockSeconds: 300, maxLockSeconds: 300 } } })).not.toThrow();
  });
});
