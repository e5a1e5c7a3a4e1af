/**
 * timedStore: the store latency wrapper behind `mobile_api_shield.store.duration`. It must change nothing (the whole
 * Store contract, on MemoryStore and on a real Redis) and report each operation with its time and failure.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/stores/memory.js';
import { RedisStore } from '../../src/stores/redis.js';
import { isAttemptStore, type Store } from '../../src/stores/store.js';
import { timedStore, type StoreOperationName } from '../../src/stores/timed-store.js';
import { storeContract } from '../../src/testing/index.js';
import { redisForTestFile } from './redis-helpers.js';
import { REDIS_LABEL, redisAnswers } from '../helpers/redis.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const { client, prefix } = redisForTestFile('timed');

type Reported = [StoreOperationName, number, boolean];

describe('timedStore(MemoryStore): Store contract', () => {
  let n = 0;
  storeContract({ makeStore: () => timedStore(new MemoryStore(), () => {}), key: (name) => `${name}-${n++}`, sleep, test: it });
});

describe.skipIf(!redisAnswers)(`timedStore(RedisStore) on ${REDIS_LABEL}: Store contract`, () => {
  let n = 0;
  storeContract({
    makeStore: () => timedStore(new RedisStore({ client, prefix, commandTimeoutMs: 2000 }), () => {}),
    key: (name) => `${name}-${n++}`,
    sleep,
    test: it,
  });
});

describe('timedStore reporting', () => {
  it('reports each operation with its duration, and failures as failed (the error still reaches the caller)', async () => {
    const reported: Reported[] = [];
    const slow: Store = Object.assign(new MemoryStore(), {
      get: (key: string) => (key === 'boom' ? Promise.reject(new Error('down')) : sleep(20).then(() => 'v')),
    });
    const store = timedStore(slow, (...args) => void reported.push(args));
    expect(await store.setIfAbsent('a', '1', 1000)).toBe(true);
    expect(await store.get('a')).toBe('v');
    await expect(store.get('boom')).rejects.toThrow('down');
    expect(await store.increment('c', 1000)).toMatchObject({ count: 1 });
    expect(reported.map(([op, , failed]) => [op, failed])).toEqual([
      ['setIfAbsent', false],
      ['get', false],
      ['get', true],
      ['increment', false],
    ]);
    expect(reported[1]?.[1]).toBeGreaterThanOrEqual(18);
    for (const [, ms] of reported) expect(ms).toBeGreaterThanOrEqual(0);
  });

  it('keeps optional operations optional, and a throwing listener never breaks a store call', async () => {
    const minimal: Store = {
      setIfAbsent: async () => true,
      get: async () => undefined,
      delete: async () => {},
      increment: async () => ({ count: 1, ttlMs: 1 }),
      addToSet: async () => 1,
      setIfGreater: async () => true,
    };
    const listener = () => {
      throw new Error('metrics backend down');
    };
    expect(isAttemptStore(timedStore(minimal, listener))).toBe(false);
    expect(isAttemptStore(timedStore(new MemoryStore(), listener))).toBe(true);
    expect(await timedStore(minimal, listener).setIfAbsent('k', 'v', 1)).toBe(true);
    const throwing: Store = { ...minimal, get: () => { throw new Error('sync failure'); } };
    const reported: Reported[] = [];
    expect(() => timedStore(throwing, (...args) => void reported.push(args)).get('k')).toThrow('sync failure');
    expect(reported.map(([op, , failed]) => [op, failed])).toEqual([['get', true]]);
  });

  it.skipIf(!redisAnswers)('times real Redis round trips', async () => {
    const reported: Reported[] = [];
    const store = timedStore(new RedisStore({ client, prefix }), (...args) => void reported.push(args));
    expect(await store.setIfAbsent('jti:timed', '1', 10_000)).toBe(true);
    expect(await store.setIfAbsent('jti:timed', '1', 10_000)).toBe(false);
    expect(reported.map(([op, , failed]) => [op, failed])).toEqual([['setIfAbsent', false], ['setIfAbsent', false]]);
    for (const [, ms] of reported) expect(ms).toBeGreaterThan(0);
  });
});
