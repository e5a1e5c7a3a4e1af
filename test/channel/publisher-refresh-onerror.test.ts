/**
 * The publisher's `onError`: a refresh of the shared state that fails (store down or hung, a malformed or foreign
 * stored state) must be heard. Before it, such a refresh was swallowed: this instance went on serving a possibly
 * revoked set (and a low `minPinSetVersion()`) with nobody told.
 */
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinSetPublisher, type PinSetPublisherOptions } from '../../src/channel/publisher.js';
import { PinSetRefreshError, REFRESH_WAIT_MS } from '../../src/channel/published-state.js';
import { ShieldConfigError } from '../../src/core/errors.js';
import type { Store } from '../../src/core/store.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { RedisStore } from '../../src/stores/redis.js';
import { redisAnswers, REDIS_LABEL } from '../helpers/redis.js';
import { freePort, redisForTestFile } from '../stores/redis-helpers.js';
import { AFTER, BEFORE, privateJwk, T0 } from './pinset-fixtures.js';

/** A store whose reads can be made to reject, throw, or hang, and whose backing can be swapped (a flushed store). */
class BrokenReads extends MemoryStore {
  reads: 'ok' | 'reject' | 'throw' | 'hang' = 'ok';
  /** Rejects the reads left hanging (a store that answers at last, with an error). */
  readonly hung: ((error: Error) => void)[] = [];
  override get(key: string): Promise<string | undefined> {
    // The message quotes a connection URL with a password, as some clients' errors do: it must not reach onError.
    if (this.reads === 'reject') return Promise.reject(Object.assign(new Error('redis://:hunter2@cache:6379 refused'), { code: 'ECONNREFUSED' }));
    if (this.reads === 'throw') throw new TypeError('client closed (token=abc.def.ghi)');
    if (this.reads === 'hang') return new Promise((_resolve, reject) => this.hung.push(reject));
    return super.get(key);
  }
}

/** A store delegating to whichever backing the test sets (a healthy one at creation, a broken one later). */
function switchable(first: Store): { store: Store; use(next: Store): void } {
  let backing = first;
  const store: Store = {
    get: (key) => backing.get(key),
    setIfAbsent: (key, value, ttl) => backing.setIfAbsent(key, value, ttl),
    setIfGreater: (key, value, ttl) => backing.setIfGreater(key, value, ttl),
    delete: (key) => backing.delete(key),
    increment: (key, ttl) => backing.increment(key, ttl),
    addToSet: (key, member, ttl) => backing.addToSet(key, member, ttl),
  };
  return { store, use: (next) => (backing = next) };
}

let t: number;
let errors: PinSetRefreshError[];
let unhandled: unknown[];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  t = T0;
  errors = [];
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
  vi.useRealTimers();
});

function optionsOn(store: Store, extra: Partial<PinSetPublisherOptions> = {}): PinSetPublisherOptions {
  return { signingKeys: [{ kid: 'k1', privateKey: privateJwk }], hosts: BEFORE, version: 7, now: () => t, store, onError: (e) => errors.push(e), ...extra };
}

/** Nothing secret in what onError hears: no private key part, no password or token the store's error quoted. */
function expectNoSecrets(error: Error): void {
  const text = `${error.message} ${String(error.stack)} ${JSON.stringify(error)} ${String(error.cause)}`;
  for (const secret of [String(privateJwk.d), 'hunter2', 'abc.def.ghi']) expect(text).not.toContain(secret);
}

describe('createPinSetPublisher onError (refresh failures)', () => {
  it.each([
    ['rejects', 'reject', /the store failed \(Error ECONNREFUSED\)/],
    ['throws synchronously', 'throw', /the store failed \(TypeError\)/],
  ] as const)('a store whose read %s: onError hears each failed refresh, the last set stays served', async (_name, mode, message) => {
    const store = new BrokenReads();
    const publisher = await createPinSetPublisher(optionsOn(store));
    await publisher.publish({ hosts: AFTER, revoke: true });
    const served = await publisher.current();
    store.reads = mode;
    t += 5_000;
    expect((await publisher.current()).etag).toBe(served.etag); // waits for the due refresh, which failed
    expect(errors).toHaveLength(1);
    const [error] = errors as [PinSetRefreshError];
    expect(error).toBeInstanceOf(PinSetRefreshError);
    expect(error.stage).toBe('store');
    expect(error.message).toMatch(/^pinset\.store: refreshing the pin set from storeKey "pinset" failed: /);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/still serving version 8 \(minimum 8\), last read from the store at 2026-06-01T00:00:00\.000Z/);
    expect(error.lastRefreshAt).toBe(T0);
    expectNoSecrets(error);
    // Every refresh that fails is reported (one per refreshSeconds, not one per request).
    for (let i = 0; i < 50; i++) publisher.minPinSetVersion();
    t += 5_000;
    await publisher.current();
    expect(errors).toHaveLength(2);
    // The store back: the refresh succeeds, nothing more is reported, and lastRefreshAt moves on.
    store.reads = 'ok';
    t += 5_000;
    await publisher.current();
    const refreshedAt = t;
    store.reads = mode;
    t += 5_000;
    await publisher.current();
    expect(errors).toHaveLength(3);
    expect(errors[2]?.lastRefreshAt).toBe(refreshedAt);
    expect(unhandled).toEqual([]);
  });

  it.each([
    ['a version key that is not a version', (s: Store) => s.setIfAbsent('pinset:version', 'eight', 60_000), /"pinset:version" does not hold a pin-set version/],
    ['a state that is not JSON', async (s: Store) => { await s.setIfAbsent('pinset:state:9', '{oops', 60_000); await s.setIfGreater('pinset:version', 9, 60_000); }, /"pinset:state:9" is not JSON/],
    ['a missing state', (s: Store) => s.setIfGreater('pinset:version', 9, 60_000), /"pinset:state:9" is missing/],
    ["another publisher's state (no thumbprint of our keys)", async (s: Store) => { await s.setIfAbsent('pinset:state:9', JSON.stringify({ version: 9, minClientVersion: 9, keys: ['x'], hosts: {} }), 60_000); await s.setIfGreater('pinset:version', 9, 60_000); }, /storeKey "pinset" holds another publisher's pin set/],
  ])('a malformed stored state found by a refresh (%s): reported as stage "state", not adopted', async (_name, plant, message) => {
    const { store, use } = switchable(new MemoryStore());
    const publisher = await createPinSetPublisher(optionsOn(store));
    // A flushed store refilled with garbage (planted on a fresh backing: the version key is only ever raised).
    const broken = new MemoryStore();
    await plant(broken);
    use(broken);
    t += 5_000;
    expect(publisher.minPinSetVersion()).toBe(0);
    expect((await publisher.current()).payload.version).toBe(7);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.stage).toBe('state');
    expect(errors[0]?.message).toMatch(message);
    expect(errors[0]?.message).toMatch(/still serving version 7 \(minimum 0\)/);
    expectNoSecrets(errors[0] as Error);
  });

  it('a store that hangs: reported once as a timeout after REFRESH_WAIT_MS (fake timers), the last set served', async () => {
    const store = new BrokenReads();
    const publisher = await createPinSetPublisher(optionsOn(store));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    store.reads = 'hang';
    t += 5_000;
    const pending = publisher.current();
    await vi.advanceTimersByTimeAsync(REFRESH_WAIT_MS - 1);
    expect(errors).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect((await pending).payload.version).toBe(7);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.stage).toBe('timeout');
    expect(errors[0]?.message).toMatch(new RegExp(`the store did not answer within ${REFRESH_WAIT_MS} ms`));
    // The hung read failing at last is the same refresh: not reported a second time.
    for (const reject of store.hung) reject(new Error('gave up'));
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toHaveLength(1);
  });

  it('an onError that throws or rejects: nothing unhandled, and later refreshes still run and adopt', async () => {
    const store = new BrokenReads();
    const calls: string[] = [];
    const throwing = await createPinSetPublisher(optionsOn(store, { onError: (e) => { calls.push(`throw ${e.stage}`); throw new Error('log sink down'); } }));
    const rejecting = await createPinSetPublisher(optionsOn(store, { onError: async (e) => { calls.push(`reject ${e.stage}`); throw new Error('log sink down'); } }));
    store.reads = 'reject';
    t += 5_000;
    for (const p of [throwing, rejecting]) expect((await p.current()).payload.version).toBe(7);
    t += 5_000;
    for (const p of [throwing, rejecting]) expect((await p.current()).payload.version).toBe(7);
    expect(calls).toEqual(['throw store', 'reject store', 'throw store', 'reject store']);
    // The store back with a revoke published elsewhere: both refresh and serve it.
    store.reads = 'ok';
    const other = await createPinSetPublisher(optionsOn(store));
    await other.publish({ hosts: AFTER, revoke: true });
    t += 5_000;
    for (const p of [throwing, rejecting]) {
      expect((await p.current()).payload.version).toBe(8);
      expect(p.minPinSetVersion()).toBe(8);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  });

  it('without onError a failing refresh stays silent and harmless (the option is optional)', async () => {
    const store = new BrokenReads();
    const publisher = await createPinSetPublisher(optionsOn(store, { onError: undefined }));
    store.reads = 'reject';
    t += 5_000;
    expect((await publisher.current()).payload.version).toBe(7);
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  });

  it('refuses an onError that is not a function', async () => {
    const bad = { ...optionsOn(new MemoryStore()), onError: 'log' } as unknown as PinSetPublisherOptions;
    const error = await createPinSetPublisher(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShieldConfigError);
    expect((error as Error).message).toMatch(/pinset\.onError: must be a function/);
  });
});

describe.skipIf(!redisAnswers)(`createPinSetPublisher onError on a RedisStore at ${REDIS_LABEL}`, () => {
  const { client, prefix } = redisForTestFile('pinset-refresh-onerror');

  it('garbage under the version key: reported, the last set stays served', async () => {
    const store = new RedisStore({ client, prefix: `${prefix}garbage:` });
    const publisher = await createPinSetPublisher(optionsOn(store));
    await publisher.publish({ hosts: AFTER, revoke: true });
    await client.set(`${prefix}garbage:{pinset:version}`, 'not-a-version\u0000');
    t += 5_000;
    expect((await publisher.current()).payload.version).toBe(8);
    expect(errors.map((e) => e.stage)).toEqual(['state']);
    expect(errors[0]?.message).toMatch(/"pinset:version" does not hold a pin-set version; still serving version 8 \(minimum 8\)/);
  });

  it('a connection pointed at a closed port: reported as a store failure, the last set stays served', async () => {
    const { store, use } = switchable(new RedisStore({ client, prefix: `${prefix}closed:` }));
    const publisher = await createPinSetPublisher(optionsOn(store));
    const dead = new Redis({ host: '127.0.0.1', port: await freePort(), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    dead.on('error', () => {});
    try {
      use(new RedisStore({ client: dead, prefix: `${prefix}closed:`, commandTimeoutMs: 1_000 }));
      t += 5_000;
      expect((await publisher.current()).payload.version).toBe(7);
      expect(errors.map((e) => e.stage)).toEqual(['store']);
      expect(errors[0]?.message).toMatch(/the store failed \(\w+/);
      expect(errors[0]?.message).not.toMatch(/127\.0\.0\.1/);
    } finally {
      dead.disconnect();
    }
  });
});
