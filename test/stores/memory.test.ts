import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/stores/memory.js';
import { storeContract } from '../../src/testing/index.js';
import { memberHoldContract } from './member-holds-contract.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('MemoryStore: Store contract', () => {
  let n = 0;
  storeContract({
    makeStore: () => new MemoryStore(),
    key: (name) => `${name}-${n++}`,
    sleep,
    test: it,
  });
});

describe('MemoryStore: member holds that end by themselves, kept sets', () => {
  let n = 0;
  memberHoldContract({ makeStore: () => new MemoryStore(), key: (name) => `${name}-${n++}`, sleep, test: it });
});

describe('MemoryStore specifics', () => {
  it('the last key is never deleted from the LRU, which would empty it (lru-cache clears arrays of maxEntries then)', async () => {
    // lru-cache 11 empties itself when its last key is deleted, filling arrays as long as `max`: about 250 µs at
    // 100,000 on every quiet-server login (a release deleted the only empty counter) before this was found.
    const store = new MemoryStore();
    await store.setIfAbsent('only', 'v', 10_000);
    await store.delete('only');
    expect(await store.get('only')).toBeUndefined();
    expect(store.size).toBe(1); // left in place, expired
    expect(await store.setIfAbsent('only', 'again', 10_000)).toBe(true);
    await store.reserveMember('names', 'alice', 5, 10_000);
    await store.delete('only');
    expect(store.size).toBe(1); // another key was present: deleted for real
    await store.removeMember('names', 'alice'); // the set's last member leaves: the set goes, but not from the LRU
    expect(store.size).toBe(1);
    expect(await store.setIfAbsent('names', 'probe', 10_000)).toBe(true);
  });

  it('uses the injected clock for expiry', async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ now: () => now });
    await store.setIfAbsent('k', 'v', 1000);
    now += 999;
    expect(await store.get('k')).toBe('v');
    now += 1;
    expect(await store.get('k')).toBeUndefined();
    expect(await store.increment('c', 5000)).toEqual({ count: 1, ttlMs: 5000 });
    now += 2000;
    expect(await store.increment('c', 5000)).toEqual({ count: 2, ttlMs: 3000 });
  });

  it('evicts the least recently used key beyond maxEntries', async () => {
    const store = new MemoryStore({ maxEntries: 3 });
    await store.setIfAbsent('a', '1', 10_000);
    await store.setIfAbsent('b', '1', 10_000);
    await store.setIfAbsent('c', '1', 10_000);
    await store.get('a');
    await store.setIfAbsent('d', '1', 10_000);
    expect(store.size).toBe(3);
    expect(await store.get('a')).toBe('1');
    expect(await store.get('b')).toBeUndefined();
  });

  it('honours a custom set cap', async () => {
    const store = new MemoryStore({ maxSetMembers: 3 });
    for (const m of ['a', 'b', 'c', 'd', 'e']) await store.addToSet('s', m, 10_000);
    expect(await store.addToSet('s', 'z', 10_000)).toBe(3);
    expect(await store.addToSet('s', 'a', 10_000)).toBe(3);
  });

  it('rejects operations on a key of another kind, like Redis WRONGTYPE', async () => {
    const store = new MemoryStore();
    await store.addToSet('s', 'a', 10_000);
    await expect(store.increment('s', 10_000)).rejects.toThrow(/another kind/);
    await expect(store.get('s')).rejects.toThrow(/another kind/);
    await store.setIfAbsent('n', '41', 10_000);
    expect((await store.increment('n', 10_000)).count).toBe(42);
  });

  it('rejects bad options', () => {
    expect(() => new MemoryStore({ maxEntries: 0 })).toThrow(TypeError);
    expect(() => new MemoryStore({ maxSetMembers: 1.5 })).toThrow(TypeError);
  });

  it('memory stays flat under 1,000,000 distinct IP keys', async () => {
    // Expose a real GC so the heap figures measure live data, not garbage not yet collected.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (() => void) | undefined;
    const store = new MemoryStore();
    const heap = () => {
      gc?.();
      return process.memoryUsage().heapUsed;
    };
    const before = heap();
    let afterFirstFill = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const ip = `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`;
      await store.increment(`ipfail:${ip}:${i >> 24}`, 86_400_000);
      if (i === 199_999) afterFirstFill = heap();
    }
    const after = heap();
    const growthMb = (after - before) / 1024 / 1024;
    const lateGrowthMb = (after - afterFirstFill) / 1024 / 1024;
    console.log(
      `MemoryStore, 1,000,000 distinct keys (maxEntries 100,000): heap +${growthMb.toFixed(1)} MB overall, ` +
        `+${lateGrowthMb.toFixed(1)} MB over the last 800,000 keys; gc exposed: ${gc !== undefined}`,
    );
    expect(gc).toBeTypeOf('function');
    expect(store.size).toBe(100_000);
    // 100,000 counter entries measure about 26 MB; the last 800,000 keys only replace evicted ones.
    expect(growthMb).toBeLessThan(40);
    expect(lateGrowthMb).toBeLessThan(4);
  });

});
