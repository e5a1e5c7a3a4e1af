/**
 * Under a stuffing attack most logins come from blocked IP keys or devices. Once an instance has seen a source
 * blocked, its logins read the blocks alone and are refused without reserving (and releasing) a slot on every
 * counter; a block lifted elsewhere (a reset through another instance) still shows at once, because the store is
 * read on every login.
 */
import { describe, expect, it } from 'vitest';
import { createClientIpResolver } from '../../../src/core/client-ip.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import type { Store } from '../../../src/stores/store.js';
import { buildCredentialAbuse } from '../../../src/verifiers/credential-abuse/index.js';
import { makeContext } from './helpers.js';

const ipResolver = createClientIpResolver({});
const OPTIONS = { consecutiveFailures: false, ipFailures: false, deviceFailures: false, ipDistinctUsernames: { limit: 2, windowSeconds: 3600 } } as const;

/** The store, counting calls per method. */
function counted(store: Store): { store: Store; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof property !== 'string' || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(property, (calls.get(property) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

async function failLogins(verifier: ReturnType<typeof buildCredentialAbuse>['verifier'], emails: string[], ip: string): Promise<void> {
  for (const email of emails) {
    const ctx = makeContext({ now: Date.now(), body: { email }, ip, attestation: { provider: 't', claims: { did: `d-${email}` } } });
    expect((await verifier.verify(ctx)).outcome).toBe('pass');
    await verifier.onResponse!(ctx, 401);
  }
}

const loginFrom = (ip: string, email = 'victim@x') =>
  makeContext({ now: Date.now(), body: { email }, ip, attestation: { provider: 't', claims: { did: `d-${email}` } } });

describe('logins from a source this instance knows as blocked', () => {
  it('are refused after reading the blocks alone: no reservation, no release', async () => {
    const memory = new MemoryStore();
    const { store, calls } = counted(memory);
    const { verifier } = buildCredentialAbuse(OPTIONS, { store, ipResolver });
    await failLogins(verifier, ['a@x', 'b@x'], '203.0.113.5');
    // The first refusal takes the ordinary path (block reads and reservations together, then the releases).
    calls.clear();
    expect(await verifier.verify(loginFrom('203.0.113.5'))).toMatchObject({ outcome: 'deny', code: 'credential_abuse' });
    expect([...calls.keys()].sort()).toEqual(['get', 'removeMember', 'reserveMember']);
    // From then on: the block reads only.
    for (let i = 0; i < 3; i++) {
      calls.clear();
      const ctx = loginFrom('203.0.113.5', `next${i}@x`);
      expect(await verifier.verify(ctx)).toMatchObject({ outcome: 'deny', code: 'credential_abuse', retryAfter: 3600 });
      expect([...calls.keys()].sort()).toEqual(['get']);
      await verifier.onResponse!(ctx, 429);
      expect([...calls.keys()].sort()).toEqual(['get']);
    }
    // Another IP key is not affected.
    expect((await verifier.verify(loginFrom('198.51.100.9'))).outcome).toBe('pass');
  });

  it('log in again at once after a reset through another instance on the same store', async () => {
    const memory = new MemoryStore();
    const a = buildCredentialAbuse(OPTIONS, { store: memory, ipResolver });
    const b = buildCredentialAbuse(OPTIONS, { store: memory, ipResolver });
    await failLogins(a.verifier, ['a@x', 'b@x'], '203.0.113.6');
    expect(await a.verifier.verify(loginFrom('203.0.113.6'))).toMatchObject({ code: 'credential_abuse' });
    expect(await a.verifier.verify(loginFrom('203.0.113.6'))).toMatchObject({ code: 'credential_abuse' });
    await b.api.reset({ ip: '203.0.113.6' });
    expect((await a.verifier.verify(loginFrom('203.0.113.6'))).outcome).toBe('pass');
  });

  it('take the ordinary path when the block read fails: the marker alone never decides', async () => {
    const memory = new MemoryStore();
    let readsDown = false;
    const flaky = Object.assign(Object.create(memory) as Store, {
      get: (key: string) => (readsDown ? Promise.reject(new Error('reads down')) : memory.get(key)),
    });
    const { store, calls } = counted(flaky);
    const { verifier } = buildCredentialAbuse(OPTIONS, { store, ipResolver });
    await failLogins(verifier, ['a@x', 'b@x'], '203.0.113.7');
    expect(await verifier.verify(loginFrom('203.0.113.7'))).toMatchObject({ code: 'credential_abuse' });
    readsDown = true;
    calls.clear();
    // The ordinary path runs (its reservations go out) and decides: the full distinct-username set refuses.
    expect(await verifier.verify(loginFrom('203.0.113.7'))).toMatchObject({ outcome: 'deny', code: 'credential_abuse' });
    expect(calls.get('reserveMember')).toBeGreaterThan(0);
    // With nothing refusing on the ordinary path either, the failed read fails the login closed (no marker pass).
    const { verifier: fresh } = buildCredentialAbuse({ ...OPTIONS, ipDistinctUsernames: { limit: 50, windowSeconds: 3600 } }, { store, ipResolver });
    await expect(fresh.verify(loginFrom('203.0.113.7'))).rejects.toThrow('reads down');
  });
});
