/**
 * Two publisher instances sharing a store and built from options that list the same hosts and pins in another order
 * publish the same pin set: apps match a served chain against any pin of a host, so neither the order of the hosts
 * nor that of a host's pins (or backup pins) is content. Such an instance must join the stored version, where the
 * comparison by `JSON.stringify` refused it ("already published with other contents"); a set that differs (a pin
 * changed, a pin moved between `pins` and `backupPins`) must still be refused. Run on MemoryStore and on Redis.
 */
import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { createPinSetPublisher, toPinSetHosts, type PinSetPublisherOptions } from '../../src/channel/publisher.js';
import { PublishedStateStore } from '../../src/channel/published-state.js';
import type { HostPinConfig } from '../../src/channel/validate-pins.js';
import { ShieldConfigError } from '../../src/core/errors.js';
import type { Store } from '../../src/core/store.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { RedisStore } from '../../src/stores/redis.js';
import { redisAnswers, REDIS_LABEL } from '../helpers/redis.js';
import { redisForTestFile } from '../stores/redis-helpers.js';
import { A, COMPROMISED, NEXT, privateJwk, publicJwk, T0 } from './pinset-fixtures.js';

const OTHER = Buffer.alloc(32, 4).toString('base64');
const FIFTH = Buffer.alloc(32, 5).toString('base64');

type Hosts = Record<string, HostPinConfig>;

/** Two hosts, each with two pins and backups, and an expiry on one: the instance deployed first. */
const ORDERED: Hosts = {
  'api.example.com': { pins: [A, COMPROMISED], backupPins: [NEXT, OTHER], expiresAt: '2027-01-01' },
  'cdn.example.com': { pins: [A, COMPROMISED], backupPins: [NEXT], includeSubdomains: true },
};
/** The same pin set, written in another order: hosts, pins and backup pins reversed, a pin listed twice. */
const REORDERED: Hosts = {
  'cdn.example.com': { includeSubdomains: true, backupPins: [NEXT], pins: [COMPROMISED, A, COMPROMISED] },
  'api.example.com': { expiresAt: '2027-01-01', backupPins: [OTHER, NEXT], pins: [COMPROMISED, A] },
};
/** Reordered, and one pin of one host changed: another pin set. */
const OTHER_PIN: Hosts = {
  'cdn.example.com': { includeSubdomains: true, backupPins: [NEXT], pins: [COMPROMISED, A] },
  'api.example.com': { expiresAt: '2027-01-01', backupPins: [OTHER, NEXT], pins: [FIFTH, A] },
};
/** Reordered, and a current pin demoted to the backups: another pin set (the rotation's switch undone). */
const DEMOTED: Hosts = {
  'cdn.example.com': { includeSubdomains: true, backupPins: [NEXT], pins: [COMPROMISED, A] },
  'api.example.com': { expiresAt: '2027-01-01', backupPins: [OTHER, NEXT, COMPROMISED], pins: [A] },
};

function optionsOn(store: Store, hosts: Hosts, version = 7): PinSetPublisherOptions {
  return { signingKeys: [{ kid: 'k1', privateKey: privateJwk }], hosts, version, now: () => T0, store };
}

const refusal = /version 7 is already published with other contents/;

function orderTests(makeStore: () => Store) {
  it('an instance whose options list the same hosts and pins in another order joins the stored version', async () => {
    const store = makeStore();
    const first = await createPinSetPublisher(optionsOn(store, ORDERED));
    const second = await createPinSetPublisher(optionsOn(store, REORDERED));
    expect([first.version, second.version]).toEqual([7, 7]);
    // It serves the same pins under that version (whatever their order).
    const pinsOf = async (p: typeof first, host: string) => [...new Set((await p.current()).payload.hosts[host]?.pins)].sort();
    expect(await pinsOf(second, 'api.example.com')).toEqual(await pinsOf(first, 'api.example.com'));
    // And the two go on sharing the store: a revoke on one reaches the other.
    await second.publish({ hosts: { 'api.example.com': { pins: [A], backupPins: [NEXT] } }, revoke: true });
    const restarted = await createPinSetPublisher(optionsOn(store, ORDERED));
    expect([restarted.version, restarted.minPinSetVersion()]).toEqual([8, 8]);
  });

  it('instances whose options list one pin set in another order sign the same bytes: one ETag behind the load balancer', async () => {
    const store = makeStore();
    const first = await createPinSetPublisher(optionsOn(store, ORDERED));
    const second = await createPinSetPublisher(optionsOn(store, REORDERED));
    const [a, b] = [await first.current(), await second.current()];
    // The payload's bytes (ECDSA signatures differ run to run; the ETag is taken from the payload).
    expect(JSON.stringify(b.payload)).toBe(JSON.stringify(a.payload));
    expect(b.etag).toBe(a.etag);
    // Hosts by name, each host's pins sorted and listed once.
    expect(Object.keys(a.payload.hosts)).toEqual(['api.example.com', 'cdn.example.com']);
    expect(a.payload.hosts['cdn.example.com']?.pins).toEqual([A, COMPROMISED].sort());
  });

  it('an instance whose options change one pin under the stored version is still refused', async () => {
    const store = makeStore();
    await createPinSetPublisher(optionsOn(store, ORDERED));
    const error = await createPinSetPublisher(optionsOn(store, OTHER_PIN)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShieldConfigError);
    expect((error as Error).message).toMatch(refusal);
  });

  it('an instance whose options move a pin from pins to backupPins under the stored version is still refused', async () => {
    const store = makeStore();
    await createPinSetPublisher(optionsOn(store, ORDERED));
    const error = await createPinSetPublisher(optionsOn(store, DEMOTED)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShieldConfigError);
    expect((error as Error).message).toMatch(refusal);
  });

  it('the write of a version already stored passes for the same set in another order, and refuses another set', async () => {
    // The path of two instances of one deploy starting together on an older stored version: the second's write
    // finds the first's state under the new version.
    const store = makeStore();
    const state = new PublishedStateStore(store, 'pinset', [await calculateJwkThumbprint(publicJwk)]);
    const stateOf = (hosts: Hosts) => ({ version: 9, minClientVersion: 0, hosts: toPinSetHosts(hosts) });
    await expect(state.write(stateOf(ORDERED), 0)).resolves.toBeUndefined();
    await expect(state.write(stateOf(ORDERED), 0)).resolves.toBeUndefined(); // a retry: its own bytes
    // The second instance's write hands back the first's state, for it to serve in that order.
    const theirs = await state.write(stateOf(REORDERED), 0);
    expect(JSON.stringify(theirs?.hosts)).toBe(JSON.stringify(stateOf(ORDERED).hosts));
    await expect(state.write(stateOf(OTHER_PIN), 0)).rejects.toThrow(/pin set version 9 was already published by another instance with other contents/);
    await expect(state.write(stateOf(DEMOTED), 0)).rejects.toThrow(RangeError);
    await expect(state.write({ ...stateOf(REORDERED), minClientVersion: 9 }, 0)).rejects.toThrow(RangeError);
    expect((await state.latest())?.version).toBe(9);
  });

  it('instances of one deploy starting together with the same set in other orders all start', async () => {
    const store = makeStore();
    await createPinSetPublisher(optionsOn(store, ORDERED, 5));
    const twins = await Promise.all([ORDERED, REORDERED, REORDERED].map((hosts) => createPinSetPublisher(optionsOn(store, hosts, 7))));
    expect(twins.map((p) => p.version)).toEqual([7, 7, 7]);
    // Whichever wrote first, all serve its bytes: one ETag.
    const etags = await Promise.all(twins.map(async (p) => (await p.current()).etag));
    expect(new Set(etags).size).toBe(1);
  });
}

describe('published state, same set in another order (MemoryStore)', () => {
  orderTests(() => new MemoryStore());
});

describe.skipIf(!redisAnswers)(`published state, same set in another order (RedisStore on ${REDIS_LABEL})`, () => {
  const { client, prefix } = redisForTestFile('pinset-order');
  let n = 0;
  // A prefix of its own per test: each test starts from an empty store.
  orderTests(() => new RedisStore({ client, prefix: `${prefix}${n++}:` }));
});
