import { expect, it } from 'vitest';
import type { Store } from '../../src/stores/store.js';

/** The behaviour every Store must have; run against MemoryStore and RedisStore. */
export function storeContract(makeStore: () => Store, key: (name: string) => string, sleep: (ms: number) => Promise<void>): void {
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
}
