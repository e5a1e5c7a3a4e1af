/**
 * Member holds that end by themselves (`reserveMember` with `holdMs`) and kept sets (`keptSet`), shared by the
 * MemoryStore, RedisStore and Redis Cluster test files, as `storeContract` is. A login whose outcome is never reported
 * (the client hung up, the instance crashed) must not keep its username in a distinct-username set for the set's whole
 * window: its hold frees itself after `holdMs`. A username whose attempt failed stays counted (it is in the kept set).
 */
import { expect } from 'vitest';
import { isAttemptStore, type AttemptStore, type Store } from '../../src/stores/store.js';
import type { StoreContractOptions } from '../../src/testing/index.js';

export function memberHoldContract(options: StoreContractOptions & { sleep(ms: number): Promise<void> }): void {
  const { makeStore, key, sleep, test: it } = options;
  const attemptStore = (): AttemptStore => {
    const store: Store = makeStore();
    if (!isAttemptStore(store)) throw new Error('store lacks the attempt operations');
    return store;
  };
  const HOLD = 80;
  const WAIT = 200;

  it('a member hold never released frees its place after holdMs; the set window does not keep it', async () => {
    const store = attemptStore();
    const k = key('hold-expiry');
    const short = { holdMs: HOLD };
    expect(await store.reserveMember(k, 'a', 2, 60_000, short)).toEqual({ granted: true, added: true });
    expect(await store.reserveMember(k, 'b', 2, 60_000, short)).toEqual({ granted: true, added: true });
    expect((await store.reserveMember(k, 'c', 2, 60_000, short)).granted).toBe(false);
    await sleep(WAIT);
    // Neither hold was released: both ran out, so a new member is admitted, and so is one of the old ones again.
    expect(await store.reserveMember(k, 'c', 2, 60_000, short)).toEqual({ granted: true, added: true });
    expect(await store.reserveMember(k, 'a', 2, 60_000, short)).toEqual({ granted: true, added: true });
    expect((await store.reserveMember(k, 'd', 2, 60_000, short)).granted).toBe(false);
  });

  it('a live hold is not swept: only the expired ones free places, and a member re-reserved stays held', async () => {
    const store = attemptStore();
    const k = key('hold-mixed');
    expect((await store.reserveMember(k, 'old', 2, 60_000, { holdMs: HOLD })).granted).toBe(true);
    expect((await store.reserveMember(k, 'slow', 2, 60_000, { holdMs: 10_000 })).granted).toBe(true);
    await sleep(WAIT);
    expect(await store.reserveMember(k, 'new', 2, 60_000, { holdMs: HOLD })).toEqual({ granted: true, added: true });
    expect((await store.reserveMember(k, 'late', 2, 60_000, { holdMs: HOLD })).granted).toBe(false);
    // A twin of `new` extends its hold; releasing one of the two leaves the other.
    expect(await store.reserveMember(k, 'new', 2, 60_000, { holdMs: 10_000 })).toEqual({ granted: true, added: false });
    await store.removeMember(k, 'new');
    await sleep(WAIT);
    expect((await store.reserveMember(k, 'late', 2, 60_000, { holdMs: HOLD })).granted).toBe(false);
    await store.removeMember(k, 'new');
    expect(await store.reserveMember(k, 'late', 2, 60_000, { holdMs: HOLD })).toEqual({ granted: true, added: true });
  });

  it('without holdMs a hold lasts until released, as before hold expiry existed', async () => {
    const store = attemptStore();
    const k = key('hold-forever');
    expect((await store.reserveMember(k, 'a', 1, 60_000)).granted).toBe(true);
    await sleep(WAIT);
    expect((await store.reserveMember(k, 'b', 1, 60_000)).granted).toBe(false);
    await store.removeMember(k, 'a');
    expect((await store.reserveMember(k, 'b', 1, 60_000)).granted).toBe(true);
  });

  it('members of the kept set count toward the limit whatever their holds; neither release nor hold expiry takes them out', async () => {
    const store = attemptStore();
    const k = key('kept-held');
    const kept = key('kept-set');
    const hold = { holdMs: HOLD, keptSet: kept };
    expect(await store.reserveMember(k, 'failed', 3, 60_000, hold)).toEqual({ granted: true, added: true });
    expect(await store.reserveMember(k, 'failed', 3, 60_000, hold)).toEqual({ granted: true, added: false });
    // Its attempt failed (the set the verifier adds failures to), its twin ended as neither.
    expect(await store.addToSet(kept, 'failed', 60_000)).toBe(1);
    await store.removeMember(k, 'failed', { keptSet: kept });
    await store.removeMember(k, 'failed', { keptSet: kept });
    // A member failed elsewhere (never reserved here) counts too.
    expect(await store.addToSet(kept, 'failed-unreserved', 60_000)).toBe(2);
    expect(await store.reserveMember(k, 'in-flight', 3, 60_000, hold)).toEqual({ granted: true, added: true });
    expect((await store.reserveMember(k, 'refused', 3, 60_000, hold)).granted).toBe(false);
    await sleep(WAIT);
    // The hold of `in-flight` ran out; the two failed members still count: one place.
    expect(await store.reserveMember(k, 'fresh', 3, 60_000, hold)).toEqual({ granted: true, added: true });
    expect((await store.reserveMember(k, 'refused', 3, 60_000, hold)).granted).toBe(false);
    // A failed member is granted without a place of its own, its hold long gone.
    expect(await store.reserveMember(k, 'failed', 3, 60_000, hold)).toEqual({ granted: true, added: false });
    expect(await store.reserveMember(k, 'failed-unreserved', 3, 60_000, hold)).toEqual({ granted: true, added: false });
    // A member both held and kept counts once.
    expect((await store.reserveMember(k, 'refused', 3, 60_000, hold)).granted).toBe(false);
    await store.removeMember(k, 'fresh', { keptSet: kept });
    expect(await store.reserveMember(k, 'refused', 3, 60_000, hold)).toEqual({ granted: true, added: true });
  });

  it('of 100 concurrent reservations with 2 of a limit of 6 kept, exactly 4 newcomers are admitted', async () => {
    const store = attemptStore();
    const k = key('kept-race');
    const kept = key('kept-race-set');
    await store.addToSet(kept, 'f1', 60_000);
    await store.addToSet(kept, 'f2', 60_000);
    const hold = { holdMs: 10_000, keptSet: kept };
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => store.reserveMember(k, `u${i}`, 6, 60_000, hold)));
    expect(results.filter((r) => r.granted)).toHaveLength(4);
    expect(results.filter((r) => r.added)).toHaveLength(4);
    expect(await store.reserveMember(k, 'f1', 6, 60_000, hold)).toEqual({ granted: true, added: false });
  });

  it('deleting the kept set deletes the holds kept with it (an IP or device reset)', async () => {
    const store = attemptStore();
    const k = key('kept-reset');
    const kept = key('kept-reset-set');
    const hold = { holdMs: 10_000, keptSet: kept };
    expect((await store.reserveMember(k, 'a', 2, 60_000, hold)).granted).toBe(true);
    await store.addToSet(kept, 'b', 60_000);
    expect((await store.reserveMember(k, 'c', 2, 60_000, hold)).granted).toBe(false);
    await store.delete(kept);
    expect(await store.reserveMember(k, 'c', 2, 60_000, hold)).toEqual({ granted: true, added: true });
    expect(await store.reserveMember(k, 'd', 2, 60_000, hold)).toEqual({ granted: true, added: true });
  });

  it('a kept set of another type rejects', async () => {
    const store = attemptStore();
    const kept = key('kept-type');
    await store.increment(kept, 10_000);
    await expect(store.reserveMember(key('kept-type-held'), 'a', 2, 10_000, { holdMs: 1_000, keptSet: kept })).rejects.toThrow();
  });
}
