import { expect, it } from 'vitest';
import { createPinSetPublisher } from '../../src/channel/publisher.js';
import { ShieldConfigError } from '../../src/core/errors.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { A, AFTER, BEFORE, COMPROMISED, NEXT, privateJwk, T0 } from './pinset-fixtures.js';


it('an instance started at the stored version never serves other hosts under that version', async () => {
  const store = new MemoryStore();
  const base = { signingKeys: [{ kid: 'k1', privateKey: privateJwk }], now: () => T0, store };
  const a = await createPinSetPublisher({ ...base, hosts: BEFORE, version: 7 });
  await a.publish({ hosts: AFTER, revoke: true }); // runtime revoke: version 8, minimum 8, COMPROMISED removed
  // A sibling (or restart) whose options name version 8 but still hold the compromised pin: refused at creation
  // (served, it would sign the compromised pin under the revoking version, accepted by minimum 8).
  const error = await createPinSetPublisher({ ...base, hosts: BEFORE, version: 8 }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ShieldConfigError);
  expect((error as Error).message).toMatch(/version 8 is already published with other contents: raise `version` or use the stored state/);
  // Also the revoke's hosts without its minimum (options minClientVersion 0 is raised to the stored 8: identical).
  const same = await createPinSetPublisher({ ...base, hosts: AFTER, version: 8 });
  expect(same.minPinSetVersion()).toBe(8);
  expect((await same.current()).etag).toBe((await a.current()).etag);
  expect((await createPinSetPublisher({ ...base, hosts: BEFORE, version: 7 })).version).toBe(8); // a lower one adopts
});
