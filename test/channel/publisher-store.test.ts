/**
 * The publisher's `store` option: a runtime `publish({ revoke: true })` must outlive the process that made it and
 * reach every instance built from the same options. Without it, a restart (or a sibling behind the load balancer)
 * served the pre-revocation set again, pinning the compromised key, with `minPinSetVersion() === 0`.
 */
import { calculateJwkThumbprint } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinSetPublisher, type PinSetPublisher, type PinSetPublisherOptions } from '../../src/channel/publisher.js';
import { refreshPinSet, type PinSetState } from '../../src/client/pinset.js';
import { ShieldConfigError } from '../../src/core/errors.js';
import type { Store } from '../../src/core/store.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { RedisStore } from '../../src/stores/redis.js';
import { redisAnswers, REDIS_LABEL } from '../helpers/redis.js';
import { redisForTestFile } from '../stores/redis-helpers.js';
import { A, AFTER, BEFORE, COMPROMISED, NEXT, privateJwk, publicJwk, T0 } from './pinset-fixtures.js';

const OTHER = Buffer.alloc(32, 4).toString('base64');

/** The thumbprint every state this publisher writes names (a planted state needs it, or it is another publisher's). */
const KEYS = [await calculateJwkThumbprint(publicJwk)];


/** The options every instance of one deployment is built from (as docs/channel.md shows), on a shared store. */
function optionsOn(store: Store | undefined, extra: Partial<PinSetPublisherOptions> = {}): PinSetPublisherOptions {
  return { signingKeys: [{ kid: 'k1', privateKey: privateJwk }], hosts: BEFORE, version: 7, now: () => T0, ...(store ? { store } : {}), ...extra };
}

/** What an installed app does: fetch the served set and keep it unless it is refused (a rollback, say). */
async function appRefresh(state: PinSetState, publisher: { current(): Promise<{ jws: string }> }): Promise<PinSetState> {
  return refreshPinSet(state, async () => (await publisher.current()).jws, [publicJwk], { now: T0 });
}

const servedPins = async (publisher: PinSetPublisher) =>
  (await publisher.current()).payload.hosts['api.example.com']?.pins;

/** A store whose every operation can be made to fail (or hang) from the test, and that counts its reads. */
class FlakyStore extends MemoryStore {
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  gets = 0;
  private gate<T>(run: () => Promise<T>): Promise<T> {
    if (this.mode === 'fail') return Promise.reject(new Error('store down'));
    if (this.mode === 'hang') return new Promise<T>(() => {});
    return run();
  }
  override get(key: string) {
    this.gets++;
    return this.gate(() => super.get(key));
  }
  override setIfAbsent(key: string, value: string, ttlMs: number) {
    return this.gate(() => super.setIfAbsent(key, value, ttlMs));
  }
  override setIfGreater(key: string, value: number, ttlMs: number) {
    return this.gate(() => super.setIfGreater(key, value, ttlMs));
  }
}

let unhandled: unknown[];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

/** The two tests the reviewer's failure calls for, on any store: run on MemoryStore and on Redis. */
function sharedStateTests(makeStore: () => Store) {
  it('a restart built from the same options serves the revocation: version 8, minPinSetVersion 8, no compromised pin', async () => {
    const store = makeStore();
    const first = await createPinSetPublisher(optionsOn(store));
    let app: PinSetState = await appRefresh({ current: undefined }, first);
    await first.publish({ hosts: AFTER, revoke: true });
    app = await appRefresh(app, first);
    expect(app.current?.payload.version).toBe(8);

    const restarted = await createPinSetPublisher(optionsOn(store));
    expect(restarted.minPinSetVersion()).toBe(8);
    expect(restarted.version).toBeGreaterThanOrEqual(8);
    expect(await servedPins(restarted)).toEqual([A]);
    // The app that took version 8 takes the restarted instance's set too (no rollback refused, no error).
    const after = await appRefresh(app, restarted);
    expect(after.lastError).toBeUndefined();
    expect(after.current?.payload.version).toBe(8);
    // Same payload on every instance: one ETag behind the load balancer.
    expect((await restarted.current()).etag).toBe((await first.current()).etag);
  });

  it('a second running instance takes the revocation within refreshSeconds', async () => {
    const store = makeStore();
    let t = T0;
    const now = () => t;
    const first = await createPinSetPublisher(optionsOn(store, { now, refreshSeconds: 5 }));
    const second = await createPinSetPublisher(optionsOn(store, { now, refreshSeconds: 5 }));
    await first.publish({ hosts: AFTER, revoke: true });
    t += 5_000;
    // minPinSetVersion stays synchronous: it answers the last value and looks at the store in the background.
    expect(second.minPinSetVersion()).toBe(0);
    await vi.waitFor(() => expect(second.minPinSetVersion()).toBe(8));
    expect(second.version).toBe(8);
    expect(await servedPins(second)).toEqual([A]);
  });
}

describe('createPinSetPublisher with a store (MemoryStore)', () => {
  sharedStateTests(() => new MemoryStore());

  it('reads the store at most once per refreshSeconds; current() waits for a due refresh', async () => {
    const store = new FlakyStore();
    let t = T0;
    const first = await createPinSetPublisher(optionsOn(store, { now: () => t, refreshSeconds: 30 }));
    const second = await createPinSetPublisher(optionsOn(store, { now: () => t, refreshSeconds: 30 }));
    await first.publish({ hosts: AFTER, revoke: true });
    const reads = store.gets;
    t += 29_999;
    for (let i = 0; i < 1_000; i++) expect(second.minPinSetVersion()).toBe(0);
    expect((await second.current()).payload.version).toBe(7);
    expect(store.gets).toBe(reads); // no read of the store inside the window
    t += 1;
    expect((await second.current()).payload.version).toBe(8); // the served GET waits for the due refresh
    expect(second.minPinSetVersion()).toBe(8);
  });

  it('publish builds on the latest stored version, not the stale local one', async () => {
    const store = new MemoryStore();
    const first = await createPinSetPublisher(optionsOn(store, { refreshSeconds: 3600 }));
    const second = await createPinSetPublisher(optionsOn(store, { refreshSeconds: 3600 }));
    await first.publish({ hosts: AFTER, revoke: true });
    // second has not refreshed (an hour): still its default must be 9, and the revoke's minimum must stay.
    const set = await second.publish({ hosts: { 'api.example.com': { pins: [A, OTHER], backupPins: [NEXT] } } });
    expect(set.payload.version).toBe(9);
    expect(second.minPinSetVersion()).toBe(8);
    await expect(second.publish({ hosts: AFTER, version: 9 })).rejects.toThrow(/must increase: current 9/);
    expect((await createPinSetPublisher(optionsOn(store))).version).toBe(9);
  });

  it('two instances publishing one version at once: exactly one wins, and both then serve the winner', async () => {
    const store = new MemoryStore();
    let t = T0;
    const first = await createPinSetPublisher(optionsOn(store, { now: () => t }));
    const second = await createPinSetPublisher(optionsOn(store, { now: () => t }));
    const results = await Promise.allSettled([
      first.publish({ hosts: AFTER, version: 8, revoke: true }),
      second.publish({ hosts: { 'api.example.com': { pins: [A, COMPROMISED, OTHER], backupPins: [NEXT] } }, version: 8 }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.reason).toBeInstanceOf(RangeError);
    // Both read version 7 before either wrote: the store's setIfAbsent, not the local check, decided.
    expect(String(lost[0]?.reason)).toMatch(/version 8 was already published by another instance with other contents/);
    const winner = (won[0] as PromiseFulfilledResult<{ etag: string; payload: { hosts: unknown } }>).value;
    t += 5_000;
    for (const instance of [first, second, await createPinSetPublisher(optionsOn(store, { now: () => t }))]) {
      expect((await instance.current()).etag).toBe(winner.etag);
    }
  });

  it('a newer deploy (options version 9) over a stored revoke: published, and the stored minimum kept', async () => {
    const store = new MemoryStore();
    const first = await createPinSetPublisher(optionsOn(store));
    await first.publish({ hosts: AFTER, revoke: true });
    const deployed = await createPinSetPublisher(optionsOn(store, { hosts: AFTER, version: 9 }));
    expect(deployed.version).toBe(9);
    expect(deployed.minPinSetVersion()).toBe(8); // options say 0: a deploy must not take the revoke back
    const old = await createPinSetPublisher(optionsOn(store)); // an instance still on the old options
    expect([old.version, old.minPinSetVersion()]).toEqual([9, 8]);
    // Instances of one deploy starting together write the same state: all start.
    const twins = await Promise.all([1, 2, 3].map(() => createPinSetPublisher(optionsOn(store, { hosts: AFTER, version: 10 }))));
    expect(twins.map((p) => p.version)).toEqual([10, 10, 10]);
  });

  it('a store that fails at creation rejects creation (it cannot know whether a revocation happened)', async () => {
    const store = new FlakyStore();
    store.mode = 'fail';
    await expect(createPinSetPublisher(optionsOn(store))).rejects.toThrow(/pinset\.store: the published state could not be read or written \(store down\)/);
    // Also when the read works but the first write fails.
    const writes = new FlakyStore();
    writes.setIfAbsent = () => Promise.reject(new Error('read-only replica'));
    await expect(createPinSetPublisher(optionsOn(writes))).rejects.toThrow(/read-only replica/);
  });

  it('a store that fails (or hangs) while running: the last known set stays served, nothing unhandled', async () => {
    const store = new FlakyStore();
    let t = T0;
    const publisher = await createPinSetPublisher(optionsOn(store, { now: () => t }));
    await publisher.publish({ hosts: AFTER, revoke: true });
    const before = await publisher.current();
    store.mode = 'fail';
    t += 10_000;
    expect(publisher.minPinSetVersion()).toBe(8);
    expect(publisher.version).toBe(8);
    expect((await publisher.current()).etag).toBe(before.etag);
    const response = await publisher.respond({ method: 'GET', headers: {} });
    expect(response.status).toBe(200);
    await expect(publisher.publish({ hosts: BEFORE })).rejects.toThrow(/store down/); // a publish is never local-only
    store.mode = 'hang';
    t += 10_000;
    // A hung store is waited for at most REFRESH_WAIT_MS (publisher-refresh-onerror.test.ts times that with fake timers).
    expect((await publisher.current()).etag).toBe(before.etag);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).toEqual([]);
    expect(publisher.minPinSetVersion()).toBe(8);
  });

  it('a refresh never adopts a lower version (a flushed store) and never lowers the minimum', async () => {
    let backing = new MemoryStore();
    const store: Store = {
      get: (key) => backing.get(key),
      setIfAbsent: (key, value, ttl) => backing.setIfAbsent(key, value, ttl),
      setIfGreater: (key, value, ttl) => backing.setIfGreater(key, value, ttl),
      delete: (key) => backing.delete(key),
      increment: (key, ttl) => backing.increment(key, ttl),
      addToSet: (key, member, ttl) => backing.addToSet(key, member, ttl),
    };
    let t = T0;
    const publisher = await createPinSetPublisher(optionsOn(store, { now: () => t }));
    await publisher.publish({ hosts: AFTER, revoke: true });
    backing = new MemoryStore();
    await createPinSetPublisher(optionsOn(store, { now: () => t })); // writes version 7, minimum 0
    t += 10_000;
    expect((await publisher.current()).payload.version).toBe(8);
    expect(publisher.minPinSetVersion()).toBe(8);
  });

  it.each([
    ['a version key that is not a version', (s: Store) => s.setIfAbsent('pinset:version', 'eight', 60_000), /"pinset:version" does not hold a pin-set version/],
    ['a state that is not JSON', async (s: Store) => { await s.setIfAbsent('pinset:state:9', '{oops', 60_000); await s.setIfGreater('pinset:version', 9, 60_000); }, /"pinset:state:9" is not JSON/],
    ['a state of another version', async (s: Store) => { await s.setIfAbsent('pinset:state:9', JSON.stringify({ version: 8, minClientVersion: 0, hosts: {} }), 60_000); await s.setIfGreater('pinset:version', 9, 60_000); }, /holds version 8/],
    ['a state with a minimum above its version', async (s: Store) => { await s.setIfAbsent('pinset:state:9', JSON.stringify({ version: 9, minClientVersion: 10, hosts: {} }), 60_000); await s.setIfGreater('pinset:version', 9, 60_000); }, /minClientVersion above its version/],
    ['a missing state', (s: Store) => s.setIfGreater('pinset:version', 9, 60_000), /"pinset:state:9" is missing/],
    ['hosts that would brick apps (one pin, no backup)', async (s: Store) => { await s.setIfAbsent('pinset:state:9', JSON.stringify({ version: 9, minClientVersion: 9, keys: KEYS, hosts: { 'api.example.com': { pins: [A] } } }), 60_000); await s.setIfGreater('pinset:version', 9, 60_000); }, /pinset\.hosts\.api\.example\.com/],
    ['hosts that are not hosts', async (s: Store) => { await s.setIfAbsent('pinset:state:9', JSON.stringify({ version: 9, minClientVersion: 9, keys: KEYS, hosts: { 'API!': { pins: 1 } } }), 60_000); await s.setIfGreater('pinset:version', 9, 60_000); }, /pinset\.store\.hosts/],
  ])('a malformed stored state (%s): ShieldConfigError at creation', async (_name, plant, message) => {
    const store = new MemoryStore();
    await plant(store);
    const error = await createPinSetPublisher(optionsOn(store)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShieldConfigError);
    expect(String((error as Error).message)).toMatch(message);
  });

  it('a malformed state found by a refresh is not adopted: the last known set stays served', async () => {
    const store = new MemoryStore();
    let t = T0;
    const publisher = await createPinSetPublisher(optionsOn(store, { now: () => t }));
    await store.setIfAbsent('pinset:state:9', '{oops', 60_000);
    await store.setIfGreater('pinset:version', 9, 60_000);
    t += 10_000;
    expect((await publisher.current()).payload.version).toBe(7);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(unhandled).toEqual([]);
  });

  it('storeKey separates publishers on one store', async () => {
    const store = new MemoryStore();
    const first = await createPinSetPublisher(optionsOn(store, { storeKey: 'pins-a' }));
    await first.publish({ hosts: AFTER, revoke: true });
    expect((await createPinSetPublisher(optionsOn(store, { storeKey: 'pins-b' }))).version).toBe(7);
    expect((await createPinSetPublisher(optionsOn(store, { storeKey: 'pins-a' }))).version).toBe(8);
    expect(await store.get('pins-a:version')).toBe('8');
  });

  it.each([
    ['a store without the operations', { store: { get: () => Promise.resolve(undefined) } }, /pinset\.store: must be a Store/],
    ['an empty storeKey', { store: new MemoryStore(), storeKey: '' }, /pinset\.storeKey/],
    ['refreshSeconds 0', { store: new MemoryStore(), refreshSeconds: 0 }, /pinset\.refreshSeconds/],
    ['refreshSeconds above an hour', { store: new MemoryStore(), refreshSeconds: 3601 }, /pinset\.refreshSeconds/],
    ['refreshSeconds not an integer', { store: new MemoryStore(), refreshSeconds: 1.5 }, /pinset\.refreshSeconds/],
    ['storeKey without a store', { storeKey: 'pins' }, /storeKey and refreshSeconds need a store/],
  ])('refuses %s', async (_name, extra, message) => {
    const error = await createPinSetPublisher({ ...optionsOn(undefined), ...(extra as Partial<PinSetPublisherOptions>) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShieldConfigError);
    expect((error as Error).message).toMatch(message);
  });
});

describe.skipIf(!redisAnswers)(`createPinSetPublisher with a RedisStore on ${REDIS_LABEL}`, () => {
  const { client, prefix } = redisForTestFile('pinset-publisher');
  let n = 0;
  // A prefix of its own per test: the restarted instance must find only this test's state.
  sharedStateTests(() => new RedisStore({ client, prefix: `${prefix}${n++}:` }));
});
