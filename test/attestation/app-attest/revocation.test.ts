import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAppAttestRegistry } from '../../../src/attestation/app-attest/index.js';
import type { Store } from '../../../src/stores/store.js';
import { RedisStore } from '../../../src/stores/redis.js';
import { TestMemoryStore } from '../memory-store.js';
import { redisForTestFile } from '../../stores/redis-helpers.js';
import { assert, deviceKey, FakeAppleCa } from './fake-apple.js';
import { redisAnswers } from '../../helpers/redis.js';
import { asyncReasonOf as reasonOf } from './reasons.js';

// Issue 17 item 6: a revoked key stays revoked on every instance, including one that still caches it.
const TEAM = 'ABCDE12345';
const BUNDLE = 'com.example.bank';
const NOW = Date.parse('2026-05-01T12:00:00Z');
const ca = new FakeAppleCa();
const { client, prefix } = redisForTestFile('revoke');

const stores: Array<[string, () => Store]> = [
  ['an in-process store', () => new TestMemoryStore()],
  ...(redisAnswers ? [['Redis', () => new RedisStore({ client, prefix })] as [string, () => Store]] : []),
];

describe.each(stores)('revocation across instances on %s', (_name, makeStore) => {
  async function twoInstances() {
    const store = makeStore();
    const options = { store, teamId: TEAM, bundleId: BUNDLE, environment: 'production' as const, trustAnchor: ca.root, keyPrefix: `aa-${randomUUID()}:` };
    const a = createAppAttestRegistry(options);
    const b = createAppAttestRegistry(options);
    const key = deviceKey();
    const challenge = Buffer.from('registration');
    const attestationObject = ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge });
    await a.register({ attestationObject, challenge, keyId: key.keyId, now: NOW });
    const assertion = (counter: number) => ({
      keyId: key.keyId,
      clientData: 'GET /accounts',
      assertion: assert(key, { teamId: TEAM, bundleId: BUNDLE, counter, clientData: 'GET /accounts' }),
    });
    return { a, b, key, assertion, register: () => a.register({ attestationObject, challenge, keyId: key.keyId, now: NOW }) };
  }

  it('an instance that cached the key refuses a replay of the first assertion after another instance revoked it', async () => {
    const { a, b, assertion } = await twoInstances();
    const first = assertion(1);
    expect((await b.verifyAssertion(first)).counter).toBe(1); // b now caches the key
    await a.revoke(first.keyId);
    expect(await reasonOf(b.verifyAssertion(first))).toBe('key_revoked');
    expect(await reasonOf(b.verifyAssertion(assertion(2)))).toBe('key_revoked');
    expect(await reasonOf(a.verifyAssertion(assertion(3)))).toBe('key_revoked');
  });

  it('a revoked key cannot be registered again, and revoking twice is harmless', async () => {
    const { a, key, register } = await twoInstances();
    await a.revoke(key.keyId);
    await a.revoke(key.keyId);
    expect(await reasonOf(register())).toBe('key_already_registered');
  });

  it('an ordinary replay is still counter_not_increasing', async () => {
    const { b, assertion } = await twoInstances();
    const first = assertion(1);
    await b.verifyAssertion(first);
    expect(await reasonOf(b.verifyAssertion(first))).toBe('counter_not_increasing');
  });
});

describe('lost counter state (a bounded MemoryStore evicting under a flood of other keys)', () => {
  async function flooded() {
    const { MemoryStore } = await import('../../../src/stores/memory.js');
    const store = new MemoryStore({ maxEntries: 64 });
    const registry = createAppAttestRegistry({ store, teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: ca.root });
    const key = deviceKey();
    const challenge = Buffer.from('registration');
    await registry.register({ attestationObject: ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge }), challenge, keyId: key.keyId, now: NOW });
    const assertion = (counter: number) => ({
      keyId: key.keyId,
      clientData: 'GET /accounts',
      assertion: assert(key, { teamId: TEAM, bundleId: BUNDLE, counter, clientData: 'GET /accounts' }),
    });
    // Unauthenticated traffic (challenges, say) sharing the store pushes the key's records out; the registry's
    // in-process cache still holds the key.
    const flood = async () => {
      for (let i = 0; i < 200; i++) await store.setIfAbsent(`challenge:${i}:${randomUUID()}`, '1', 60_000);
    };
    return { registry, key, assertion, flood };
  }

  it('a replayed assertion is refused once the counter is gone, not accepted as a first use', async () => {
    const { registry, assertion, flood } = await flooded();
    expect((await registry.verifyAssertion(assertion(1))).counter).toBe(1);
    await flood();
    expect(await reasonOf(registry.verifyAssertion(assertion(1)))).toBe('unknown_key');
    expect(await reasonOf(registry.verifyAssertion(assertion(2)))).toBe('unknown_key');
  });

  it('a revoked key stays refused after its tombstone is evicted', async () => {
    const { registry, key, assertion, flood } = await flooded();
    expect((await registry.verifyAssertion(assertion(1))).counter).toBe(1);
    await registry.revoke(key.keyId);
    expect(await reasonOf(registry.verifyAssertion(assertion(2)))).toBe('key_revoked');
    await flood();
    expect(await reasonOf(registry.verifyAssertion(assertion(3)))).toBe('unknown_key');
  });
});

describe('lost counter state while the replay is in flight', () => {
  it('a replay is never accepted, whichever microtask turn the flood lands on (one atomic raise, no read before it)', async () => {
    const { MemoryStore } = await import('../../../src/stores/memory.js');
    const { createAttestationChallenges } = await import('../../../src/attestation/app-attest/challenges.js');
    for (let turns = 0; turns < 8; turns++) {
      const store = new MemoryStore({ maxEntries: 64 });
      const registry = createAppAttestRegistry({ store, teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: ca.root });
      const challenges = createAttestationChallenges({ store }); // what unauthenticated challenge requests write
      const key = deviceKey();
      const challenge = Buffer.from('registration');
      await registry.register({ attestationObject: ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge }), challenge, keyId: key.keyId, now: NOW });
      const captured = { keyId: key.keyId, clientData: 'POST /transfer', assertion: assert(key, { teamId: TEAM, bundleId: BUNDLE, counter: 5, clientData: 'POST /transfer' }) };
      expect((await registry.verifyAssertion(captured)).counter).toBe(5);
      const replay = reasonOf(registry.verifyAssertion(captured));
      await Promise.all(
        Array.from({ length: 100 }, async () => {
          for (let t = 0; t < turns; t++) await undefined;
          await challenges.issue();
        }),
      );
      expect(['unknown_key', 'counter_not_increasing']).toContain(await replay);
    }
  });
});

describe('a custom store without raiseIfPresent that answers null for a missing key', () => {
  it('a lost counter is still refused (the read before the raise treats null as absent)', async () => {
    const { MemoryStore } = await import('../../../src/stores/memory.js');
    const inner = new MemoryStore();
    // Only the Store interface, no raiseIfPresent; get answers null where the contract says undefined.
    const store: Store = {
      setIfAbsent: (k, v, t) => inner.setIfAbsent(k, v, t),
      get: async (k) => ((await inner.get(k)) ?? null) as unknown as string | undefined,
      delete: (k) => inner.delete(k),
      increment: (k, t) => inner.increment(k, t),
      addToSet: (k, m, t) => inner.addToSet(k, m, t),
      setIfGreater: (k, v, t) => inner.setIfGreater(k, v, t),
    };
    const registry = createAppAttestRegistry({ store, teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: ca.root });
    const key = deviceKey();
    const challenge = Buffer.from('registration');
    await registry.register({ attestationObject: ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge }), challenge, keyId: key.keyId, now: NOW });
    const assertion = (counter: number) => ({ keyId: key.keyId, clientData: 'GET /accounts', assertion: assert(key, { teamId: TEAM, bundleId: BUNDLE, counter, clientData: 'GET /accounts' }) });
    expect((await registry.verifyAssertion(assertion(1))).counter).toBe(1);
    // The counter is lost (expired, evicted) while the key stays cached: the next assertion must not start it over.
    const counterKeys = [...(inner as unknown as { entries: Map<string, unknown> }).entries.keys()].filter((k) => k.includes(':ctr:'));
    expect(counterKeys).toHaveLength(1);
    await inner.delete(counterKeys[0]!);
    expect(await reasonOf(registry.verifyAssertion(assertion(1)))).toBe('unknown_key');
  });
});
