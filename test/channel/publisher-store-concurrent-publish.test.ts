import { expect, it } from 'vitest';
import { createPinSetPublisher } from '../../src/channel/publisher.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { A, AFTER, BEFORE, COMPROMISED, NEXT, privateJwk, T0 } from './pinset-fixtures.js';

const EXTRA = { ...BEFORE, 'cdn.example.com': { pins: [A, COMPROMISED], backupPins: [NEXT] } };

/** The shared store as instance B sees it: its state writes can be held (a slow network round trip). */
class SlowWrites extends MemoryStore {
  constructor(private readonly inner: MemoryStore) { super(); }
  gate: Promise<void> | undefined;
  override get(key: string) { return this.inner.get(key); }
  override async setIfAbsent(key: string, value: string, ttl: number) { await this.gate; return this.inner.setIfAbsent(key, value, ttl); }
  override setIfGreater(key: string, value: number, ttl: number) { return this.inner.setIfGreater(key, value, ttl); }
}

it('a publish racing a revoke never stores (or serves) a newer state without the revoke', async () => {
  const shared = new MemoryStore();
  const slow = new SlowWrites(shared);
  const base = { signingKeys: [{ kid: 'k1', privateKey: privateJwk }], now: () => T0, hosts: BEFORE, version: 7 };
  const a = await createPinSetPublisher({ ...base, store: shared });
  const b = await createPinSetPublisher({ ...base, store: slow });
  let release!: () => void;
  slow.gate = new Promise<void>((r) => (release = r));
  // B publishes an unrelated change as version 9 (read the latest, 7, then its write is slow)...
  const bPublish = b.publish({ version: 9, hosts: EXTRA }).then(() => 'ok', (e: Error) => e.name);
  await new Promise((r) => setTimeout(r, 10));
  // ...while A revokes the compromised key (version 8, minimum 8).
  await a.publish({ hosts: AFTER, revoke: true });
  release();
  expect(await bPublish).toBe('RangeError'); // B built on 7, which A's revoke replaced: refused, nothing stored
  expect(await shared.get('pinset:state:9')).toBeUndefined();
  // A restarted instance (or any new one) starts from the store.
  const c = await createPinSetPublisher({ ...base, store: shared });
  const served = (await c.current()).payload;
  expect(c.minPinSetVersion()).toBeGreaterThanOrEqual(8);
  expect(served.hosts['api.example.com']?.pins).not.toContain(COMPROMISED);
});

it('the loser of the race publishes again on the revoke: its change lands, the revoke kept', async () => {
  const shared = new MemoryStore();
  const slow = new SlowWrites(shared);
  const base = { signingKeys: [{ kid: 'k1', privateKey: privateJwk }], now: () => T0, hosts: BEFORE, version: 7, refreshSeconds: 3600 };
  const a = await createPinSetPublisher({ ...base, store: shared });
  const b = await createPinSetPublisher({ ...base, store: slow });
  let release!: () => void;
  slow.gate = new Promise<void>((r) => (release = r));
  const bPublish = b.publish({ version: 9, hosts: EXTRA }).catch((e: Error) => e);
  await new Promise((r) => setTimeout(r, 10));
  await a.publish({ hosts: AFTER, revoke: true });
  release();
  expect(String(await bPublish)).toMatch(/another instance published since version 7: publish again/);
  slow.gate = undefined;
  const again = await b.publish({ version: 9, hosts: { ...AFTER, 'cdn.example.com': AFTER['api.example.com'] } });
  expect([again.payload.version, b.minPinSetVersion()]).toEqual([9, 8]);
});

it('a retried identical write on the same base passes (instances of one deploy starting together)', async () => {
  const shared = new MemoryStore();
  const base = { signingKeys: [{ kid: 'k1', privateKey: privateJwk }], now: () => T0, hosts: BEFORE, version: 7, store: shared };
  await createPinSetPublisher(base);
  const twins = await Promise.all([1, 2].map(() => createPinSetPublisher({ ...base, hosts: AFTER, version: 9 })));
  expect(twins.map((p) => p.version)).toEqual([9, 9]);
  expect(await shared.get('pinset:after:7')).toBe('9');
  // Another version on a base already claimed (its state not stored yet): refused at creation.
  const fresh = new MemoryStore();
  await createPinSetPublisher({ ...base, store: fresh });
  await fresh.setIfAbsent('pinset:after:7', '8', 60_000); // claimed by an instance whose state is not stored yet
  await expect(createPinSetPublisher({ ...base, store: fresh, version: 9, hosts: AFTER })).rejects.toThrow(/another instance published since version 7/);
});
