import assert from 'node:assert/strict';
import { isAttemptStore, type Store } from '../core/store.js';

/** How a test runner declares tests: vitest's and jest's `it`, node:test's `test` all fit. */
export type TestDeclarer = (name: string, run: () => Promise<void>) => unknown;

/** Where the contract runs: the store factory, a unique key per test, a sleep, and the runner's test function. */
export interface StoreContractOptions {
  /** Builds the store under test (called once per test). */
  makeStore(): Store;
  /** A key unique to this run (e.g. with a random prefix), so runs never collide on a shared server. */
  key(name: string): string;
  /** Waits, for TTL tests (TTLs in the contract are 60–400 ms). */
  sleep?(ms: number): Promise<void>;
  /** Declares one test: `it` from vitest or jest, `test` from node:test. */
  test: TestDeclarer;
}

/** A runner-independent `expect` for the contract: node:assert underneath, so no test framework is a dependency. */
function expect(actual: unknown) {
  return {
    toBe: (expected: unknown) => assert.equal(actual, expected),
    toEqual: (expected: unknown) => assert.deepEqual(actual, expected),
    toBeUndefined: () => assert.equal(actual, undefined),
    toBeGreaterThan: (n: number) => assert.ok((actual as number) > n, `${String(actual)} > ${n}`),
    toBeLessThanOrEqual: (n: number) => assert.ok((actual as number) <= n, `${String(actual)} <= ${n}`),
    toHaveLength: (n: number) => assert.equal((actual as { length: number }).length, n),
    toMatchObject: (expected: Record<string, unknown>) => {
      for (const [k, v] of Object.entries(expected)) assert.deepEqual((actual as Record<string, unknown>)[k], v, k);
    },
    rejects: { toThrow: () => assert.rejects(actual as Promise<unknown>) },
  };
}

/**
 * The behaviour every `Store` must have, as one call a third-party store (DynamoDB, Memcached, Postgres) runs in its
 * own test suite: atomicity under concurrency, fixed windows, TTLs, bounded sets, the reserve-then-settle attempt
 * counters and their reset scopes, `raiseIfPresent` (optional on the interface; their cases fail for a store without
 * them, which the credential verifier, a username reset, or App Attest's atomic counter cannot use). MemoryStore, RedisStore and RedisStore on a cluster run it.
 *
 * ```ts
 * import { it } from 'vitest';
 * import { storeContract } from 'mobile-api-shield/testing';
 * storeContract({ makeStore: () => new MyStore(), key: (n) => `t-${Date.now()}-${n}`, test: it });
 * ```
 */
export function storeContract(options: StoreContractOptions): void {
  const { makeStore, key, test: it } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const describe = (_name: string, body: () => void): void => body();
  it('setIfAbsent stores once and get reads it back', async () => {
    const store = makeStore();
    const k = key('sia');
    expect(await store.get(k)).toBeUndefined();
    expect(await store.setIfAbsent(k, 'first', 10_000)).toBe(true);
    expect(await store.setIfAbsent(k, 'second', 10_000)).toBe(false);
    expect(await store.get(k)).toBe('first');
    await store.delete(k);
    expect(await store.get(k)).toBeUndefined();
    expect(await store.setIfAbsent(k, 'third', 10_000)).toBe(true);
  });

  it('setIfAbsent race: exactly one of 200 concurrent calls wins', async () => {
    const store = makeStore();
    const k = key('sia-race');
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => store.setIfAbsent(k, `v${i}`, 10_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(await store.get(k)).toBe(`v${winner}`);
  });

  it('values expire after their TTL', async () => {
    const store = makeStore();
    const k = key('ttl');
    await store.setIfAbsent(k, 'x', 60);
    expect(await store.get(k)).toBe('x');
    await sleep(120);
    expect(await store.get(k)).toBeUndefined();
    expect(await store.setIfAbsent(k, 'y', 60)).toBe(true);
  });

  it('increment counts in a fixed window that later increments do not extend', async () => {
    const store = makeStore();
    const k = key('incr');
    const first = await store.increment(k, 200);
    expect(first.count).toBe(1);
    expect(first.ttlMs).toBeGreaterThan(100);
    expect(first.ttlMs).toBeLessThanOrEqual(200);
    await sleep(80);
    const second = await store.increment(k, 200);
    expect(second.count).toBe(2);
    expect(second.ttlMs).toBeLessThanOrEqual(200 - 60);
    expect(await store.get(k)).toBe('2');
    await sleep(200);
    expect((await store.increment(k, 200)).count).toBe(1);
  });

  it('500 concurrent increments are all counted, each count seen once', async () => {
    const store = makeStore();
    const k = key('incr-race');
    const results = await Promise.all(Array.from({ length: 500 }, () => store.increment(k, 10_000)));
    const counts = results.map((r) => r.count).sort((a, b) => a - b);
    expect(counts).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(await store.get(k)).toBe('500');
  });

  it('addToSet counts distinct members in a window', async () => {
    const store = makeStore();
    const k = key('set');
    expect(await store.addToSet(k, 'a', 200)).toBe(1);
    expect(await store.addToSet(k, 'b', 200)).toBe(2);
    expect(await store.addToSet(k, 'a', 200)).toBe(2);
    const concurrent = await Promise.all(Array.from({ length: 100 }, (_, i) => store.addToSet(k, `m${i % 50}`, 200)));
    expect(Math.max(...concurrent)).toBe(52);
    await sleep(260);
    expect(await store.addToSet(k, 'c', 200)).toBe(1);
  });

  it('addToSet saturates at the member cap (bounded exact set)', async () => {
    const store = makeStore();
    const k = key('set-cap');
    let last = 0;
    for (let i = 0; i < 1100; i++) last = await store.addToSet(k, `member-${i}`, 10_000);
    expect(last).toBe(1024);
  });

  it('setIfGreater only raises the value', async () => {
    const store = makeStore();
    const k = key('sig');
    expect(await store.setIfGreater(k, 5, 10_000)).toBe(true);
    expect(await store.setIfGreater(k, 5, 10_000)).toBe(false);
    expect(await store.setIfGreater(k, 4, 10_000)).toBe(false);
    expect(await store.setIfGreater(k, 6, 10_000)).toBe(true);
    expect(await store.get(k)).toBe('6');
    expect(await store.setIfGreater(k, 1_764_356_400_123, 10_000)).toBe(true);
    expect(await store.get(k)).toBe('1764356400123');
  });

  it('setIfGreater race: of 200 concurrent equal values exactly one wins; the maximum always ends up stored', async () => {
    const store = makeStore();
    const k = key('sig-race');
    const same = await Promise.all(Array.from({ length: 200 }, () => store.setIfGreater(k, 10, 10_000)));
    expect(same.filter(Boolean)).toHaveLength(1);
    const k2 = key('sig-race-2');
    const values = Array.from({ length: 200 }, (_, i) => (i * 7919) % 200);
    await Promise.all(values.map((v) => store.setIfGreater(k2, v, 10_000)));
    expect(await store.get(k2)).toBe('199');
  });

  it('setIfGreater refuses to overwrite a non-numeric value', async () => {
    const store = makeStore();
    const k = key('sig-text');
    await store.setIfAbsent(k, 'text', 10_000);
    await expect(store.setIfGreater(k, 1, 10_000)).rejects.toThrow();
    expect(await store.get(k)).toBe('text');
  });

  it('setIfGreater values expire', async () => {
    const store = makeStore();
    const k = key('sig-ttl');
    await store.setIfGreater(k, 10, 60);
    await sleep(120);
    expect(await store.get(k)).toBeUndefined();
    expect(await store.setIfGreater(k, 1, 60)).toBe(true);
  });

  // Optional on the interface, like the attempt operations: a store without it fails this case (App Attest then reads
  // a counter before raising it, which leaves the moment between the two open).
  it('raiseIfPresent raises only a key that exists; of 200 concurrent equal values exactly one wins', async () => {
    const store = makeStore();
    if (typeof store.raiseIfPresent !== 'function') throw new Error('store lacks raiseIfPresent');
    const raise = store.raiseIfPresent.bind(store);
    const k = key('rip');
    expect(await raise(k, 5, 10_000)).toBeUndefined();
    expect(await store.get(k)).toBeUndefined(); // an absent key is not created
    await store.setIfGreater(k, 0, 10_000);
    expect(await raise(k, 5, 10_000)).toBe(true);
    expect(await raise(k, 5, 10_000)).toBe(false);
    expect(await raise(k, 4, 10_000)).toBe(false);
    expect(await store.get(k)).toBe('5');
    const k2 = key('rip-race');
    await store.setIfGreater(k2, 0, 10_000);
    const same = await Promise.all(Array.from({ length: 200 }, () => raise(k2, 10, 10_000)));
    expect(same.filter((r) => r === true)).toHaveLength(1);
    const k3 = key('rip-text');
    await store.setIfAbsent(k3, 'text', 10_000);
    await expect(raise(k3, 1, 10_000)).rejects.toThrow();
  });

  describe('reserve-then-settle attempt counters', () => {
    const attemptStore = () => {
      const store = makeStore();
      if (!isAttemptStore(store)) throw new Error('store lacks the attempt operations');
      return store;
    };
    const lock = { limit: 5, floor: 1, windowMs: 10_000, holdMs: 10_000 } as const;
    const fail = { failed: true, limit: 5, windowMs: 10_000, lockMs: 150, maxLockMs: 1_000 };

    it('of 200 concurrent reservations with limit 5, exactly 5 are granted; a release frees one slot', async () => {
      const store = attemptStore();
      const k = key('att-race');
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => store.reserveAttempt(k, `r${i}`, lock)));
      const granted = results.flatMap((r, i) => (r.granted ? [i] : []));
      expect(granted).toHaveLength(5);
      expect(results.filter((r) => !r.granted).every((r) => !r.locked && r.retryAfterMs > 0)).toBe(true);
      expect((await store.reserveAttempt(k, 'late', lock)).granted).toBe(false);
      await store.settleAttempt(k, `r${granted[0]}`, { ...fail, failed: false });
      expect((await store.reserveAttempt(k, 'after-release', lock)).granted).toBe(true);
      expect((await store.reserveAttempt(k, 'one-too-many', lock)).granted).toBe(false);
    });

    it('a released attempt that leaves its counter empty (no failure, lock or hold) removes it; one with a failure stays', async () => {
      const store = attemptStore();
      const k = key('att-empty');
      expect((await store.reserveAttempt(k, 'a', lock)).granted).toBe(true);
      expect((await store.reserveAttempt(k, 'b', lock)).granted).toBe(true);
      await store.settleAttempt(k, 'a', { ...fail, failed: false });
      expect(await store.setIfAbsent(k, 'probe', 10_000)).toBe(false); // 'b' still holds it
      await store.settleAttempt(k, 'b', { ...fail, failed: false });
      expect(await store.setIfAbsent(k, 'probe', 10_000)).toBe(true); // gone: the key was free again
      const kept = key('att-kept');
      expect((await store.reserveAttempt(kept, 'a', lock)).granted).toBe(true);
      expect(await store.settleAttempt(kept, 'a', fail)).toBe(1);
      expect((await store.reserveAttempt(kept, 'b', lock)).granted).toBe(true);
      expect(await store.settleAttempt(kept, 'b', { ...fail, failed: false })).toBe(1);
      expect(await store.setIfAbsent(kept, 'probe', 10_000)).toBe(false);
    });

    it('failures lock with backoff; after a lock one attempt at a time is let through', async () => {
      const store = attemptStore();
      const k = key('att-lock');
      for (let i = 0; i < 5; i++) {
        expect((await store.reserveAttempt(k, `a${i}`, lock)).granted).toBe(true);
        expect(await store.settleAttempt(k, `a${i}`, fail)).toBe(i + 1);
      }
      const locked = await store.reserveAttempt(k, 'x', lock);
      expect(locked).toMatchObject({ granted: false, locked: true });
      expect(locked.retryAfterMs).toBeGreaterThan(50);
      expect(locked.retryAfterMs).toBeLessThanOrEqual(150);
      await sleep(200);
      const next = await Promise.all(Array.from({ length: 20 }, (_, i) => store.reserveAttempt(k, `b${i}`, lock)));
      expect(next.filter((r) => r.granted)).toHaveLength(1);
      const winner = `b${next.findIndex((r) => r.granted)}`;
      expect(await store.settleAttempt(k, winner, fail)).toBe(6);
      const doubled = await store.reserveAttempt(k, 'y', lock);
      expect(doubled.locked).toBe(true);
      expect(doubled.retryAfterMs).toBeGreaterThan(150);
      expect(doubled.retryAfterMs).toBeLessThanOrEqual(300);
    });

    it('a budget (floor 0) refuses until its window ends once failures reach the limit', async () => {
      const store = attemptStore();
      const k = key('att-budget');
      const budget = { limit: 3, floor: 0, windowMs: 5_000, holdMs: 10_000 } as const;
      for (let i = 0; i < 3; i++) {
        expect((await store.reserveAttempt(k, `a${i}`, budget)).granted).toBe(true);
        await store.settleAttempt(k, `a${i}`, { failed: true, limit: 3, windowMs: 5_000, lockMs: 0, maxLockMs: 0 });
      }
      const refused = await store.reserveAttempt(k, 'x', budget);
      expect(refused).toMatchObject({ granted: false, locked: false });
      expect(refused.retryAfterMs).toBeGreaterThan(4_000);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(5_000);
    });

    it('an unsettled reservation frees its slot when its hold ends', async () => {
      const store = attemptStore();
      const k = key('att-hold');
      const short = { limit: 2, floor: 1, windowMs: 10_000, holdMs: 80 } as const;
      expect((await store.reserveAttempt(k, 'a', short)).granted).toBe(true);
      expect((await store.reserveAttempt(k, 'b', short)).granted).toBe(true);
      expect((await store.reserveAttempt(k, 'c', short)).granted).toBe(false);
      await sleep(150);
      expect((await store.reserveAttempt(k, 'd', short)).granted).toBe(true);
    });

    it('a failure settled after a reset (or without a reservation) still counts', async () => {
      const store = attemptStore();
      const k = key('att-reset');
      await store.reserveAttempt(k, 'a', lock);
      await store.delete(k);
      expect(await store.settleAttempt(k, 'a', fail)).toBe(1);
      expect(await store.settleAttempt(k, 'never-reserved', fail)).toBe(2);
    });

    it('reserveMember admits at most limit distinct members under concurrency; present members pass; removal frees', async () => {
      const store = attemptStore();
      const k = key('member-race');
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => store.reserveMember(k, `u${i}`, 6, 10_000)));
      const admitted = results.flatMap((r, i) => (r.granted ? [`u${i}`] : []));
      expect(admitted).toHaveLength(6);
      expect(results.filter((r) => r.added)).toHaveLength(6);
      expect(await store.reserveMember(k, admitted[0]!, 6, 10_000)).toEqual({ granted: true, added: false });
      expect((await store.reserveMember(k, 'newcomer', 6, 10_000)).granted).toBe(false);
      await store.removeMember(k, admitted[1]!);
      expect(await store.reserveMember(k, 'newcomer', 6, 10_000)).toEqual({ granted: true, added: true });
    });

    it('reserveMember counts holds: a member stays until every reservation of it is released', async () => {
      const store = attemptStore();
      const k = key('member-holds');
      // Two reservations of one member (a login and its twin), then the set is filled.
      expect(await store.reserveMember(k, 'twin', 2, 10_000)).toEqual({ granted: true, added: true });
      expect(await store.reserveMember(k, 'twin', 2, 10_000)).toEqual({ granted: true, added: false });
      expect((await store.reserveMember(k, 'other', 2, 10_000)).granted).toBe(true);
      await store.removeMember(k, 'twin');
      expect((await store.reserveMember(k, 'newcomer', 2, 10_000)).granted).toBe(false);
      await store.removeMember(k, 'twin');
      expect(await store.reserveMember(k, 'newcomer', 2, 10_000)).toEqual({ granted: true, added: true });
      // Releasing a member never reserved (or released already) changes nothing.
      await store.removeMember(k, 'twin');
      await store.removeMember(k, 'stranger');
      expect((await store.reserveMember(k, 'late', 2, 10_000)).granted).toBe(false);
      // A set whose last member leaves is removed (Redis drops an empty hash), not kept for its window.
      const lone = key('member-lone');
      await store.reserveMember(lone, 'only', 2, 10_000);
      await store.removeMember(lone, 'only');
      expect(await store.setIfAbsent(lone, 'probe', 10_000)).toBe(true);
    });

    it('a success settled with clear removes the counter and its lock', async () => {
      const store = attemptStore();
      const k = key('att-clear');
      for (let i = 0; i < 5; i++) await store.settleAttempt(k, `a${i}`, fail);
      expect((await store.reserveAttempt(k, 'x', lock)).locked).toBe(true);
      expect(await store.settleAttempt(k, 'x', { ...fail, failed: false, clear: true })).toBe(0);
      expect((await store.reserveAttempt(k, 'y', lock)).granted).toBe(true);
      expect(await store.settleAttempt(k, 'y', fail)).toBe(1);
    });

    const scoped = () => {
      const store = attemptStore();
      if (typeof store.resetScope !== 'function') throw new Error('store lacks resetScope');
      return store as typeof store & Required<Pick<typeof store, 'resetScope'>>;
    };

    it('resetScope voids every counter of the scope at once, and nothing else', async () => {
      const store = scoped();
      const scope = key('scope-a');
      const other = key('scope-b');
      const inScope = [`${scope}:1`, `${scope}:2`];
      const outside = `${other}:1`;
      const lockIn = (s: string) => ({ ...lock, scope: s });
      const failIn = (s: string) => ({ ...fail, scope: s });
      for (const k of [...inScope, outside]) {
        const s = k === outside ? other : scope;
        for (let i = 0; i < 5; i++) await store.settleAttempt(k, `a${i}`, failIn(s));
        expect((await store.reserveAttempt(k, 'x', lockIn(s))).locked).toBe(true);
      }
      await store.resetScope(scope, 10_000);
      for (const k of inScope) {
        expect((await store.reserveAttempt(k, 'after', lockIn(scope))).granted).toBe(true);
        expect(await store.settleAttempt(k, 'after', failIn(scope))).toBe(1);
      }
      expect((await store.reserveAttempt(outside, 'after', lockIn(other))).locked).toBe(true);
      // A second reset voids the counters created after the first.
      await store.resetScope(scope, 10_000);
      expect(await store.settleAttempt(inScope[0]!, 'again', failIn(scope))).toBe(1);
    });

    it('resetScope racing 40 failures: the old count never comes back', async () => {
      const store = scoped();
      const scope = key('scope-race');
      const k = `${scope}:ip`;
      const failIn = { ...fail, scope };
      for (let i = 0; i < 5; i++) await store.settleAttempt(k, `old${i}`, failIn);
      const racing = [
        ...Array.from({ length: 20 }, (_, i) => store.settleAttempt(k, `b${i}`, failIn)),
        store.resetScope(scope, 10_000),
        ...Array.from({ length: 20 }, (_, i) => store.settleAttempt(k, `c${i}`, failIn)),
      ];
      await Promise.all(racing);
      // Every failure counted either before the reset (voided with the old 5) or after it: at most 40 + this one,
      // never the old 5 on top. (Which side each lands on is the store's order: a script reloaded after NOSCRIPT
      // on a fresh cluster node runs later than commands sent after it.)
      const after = await store.settleAttempt(k, 'last', failIn);
      expect(after).toBeGreaterThan(0);
      expect(after).toBeLessThanOrEqual(41);
      // Sequentially: a reset, then exactly the failures after it.
      await store.resetScope(scope, 10_000);
      expect(await store.settleAttempt(k, 'again-1', failIn)).toBe(1);
      expect(await store.settleAttempt(k, 'again-2', failIn)).toBe(2);
    });

    it('an attempt counter on a key of another type rejects', async () => {
      const store = attemptStore();
      const k = key('att-type');
      await store.addToSet(k, 'a', 10_000);
      await expect(store.reserveAttempt(k, 'a', lock)).rejects.toThrow();
    });
  });
}
