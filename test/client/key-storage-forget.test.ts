/**
 * Forgetting a lost App Attest key id in the app's `keyStorage`. Some storages refuse an undefined value
 * (AsyncStorage and keychain wrappers whose `set` throws or rejects on it): re-registering after the service answers
 * `attestation_key_unknown` must still succeed with them. A storage with `remove()` is forgotten through it, and is
 * never handed undefined. The client against the real service over HTTP, with a simulated device's real crypto.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressEndpoints } from '../../src/adapters/express.js';
import type { AttestationServiceEvent } from '../../src/attestation/issuer/index.js';
import { createAttestationClient, type AppAttestKeyStorage } from '../../src/client/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { iosApp, testService } from '../attestation/issuer/fixtures.js';

const events: AttestationServiceEvent[] = [];
let url: string;
let server: http.Server;

beforeAll(async () => {
  const app = express();
  app.use(expressEndpoints(testService(new MemoryStore(), { onEvent: (e) => void events.push(e) })) as unknown as express.RequestHandler);
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const count = (outcome: AttestationServiceEvent['outcome'], reason?: string) =>
  events.filter((e) => e.outcome === outcome && (reason === undefined || e.reason === reason)).length;

/** A key id from an earlier install, which this service has never registered. */
const staleKeyId = () => randomBytes(32).toString('base64');

/**
 * A storage holding `initial` whose `set` refuses undefined the way `refuse` says (throws, or rejects), recording
 * every call.
 */
function refusingUndefined(initial: string, refuse: 'throw' | 'reject') {
  const storage = {
    value: initial as string | undefined,
    calls: [] as Array<string | undefined>,
    get: () => storage.value,
    set(keyId: string | undefined): Promise<void> | void {
      storage.calls.push(keyId);
      if (keyId === undefined) {
        const error = new TypeError('value must be a string');
        if (refuse === 'throw') throw error;
        return Promise.reject(error);
      }
      storage.value = keyId;
    },
  };
  return storage;
}

describe('keyStorage forgetting a key the service no longer knows', () => {
  it.each(['throw', 'reject'] as const)('a storage whose set(undefined) %ss: re-registration succeeds and the new key is stored', async (refuse) => {
    const storage = refusingUndefined(staleKeyId(), refuse);
    const app = iosApp();
    const client = createAttestationClient({ serviceUrl: url, attester: { ...app, keyStorage: storage } });
    const unknown = count('refused', 'unknown_key');
    const registered = count('registered');
    const token = await client.getToken();
    expect(token.token.split('.')).toHaveLength(3);
    // The stale key was tried and refused, a new one registered and kept.
    expect(count('refused', 'unknown_key')).toBe(unknown + 1);
    expect(count('registered')).toBe(registered + 1);
    expect(storage.value).toBe(app.device.keyId);
    expect(storage.calls.at(-1)).toBe(app.device.keyId);
    // A later client (the next launch) starts from the stored key: no further registration.
    const next = createAttestationClient({ serviceUrl: url, attester: { ...app, keyStorage: storage } });
    expect((await next.getToken()).token.split('.')).toHaveLength(3);
    expect(count('registered')).toBe(registered + 1);
  });

  it('a storage with remove(): forgotten through it, set never handed undefined', async () => {
    const calls: Array<string | undefined> = [];
    let removed = 0;
    let value: string | null = staleKeyId();
    const storage: AppAttestKeyStorage = {
      get: () => value,
      set: (keyId) => {
        calls.push(keyId);
        if (keyId === undefined) throw new TypeError('value must be a string');
        value = keyId;
      },
      remove: async () => {
        removed += 1;
        value = null;
      },
    };
    const app = iosApp();
    const client = createAttestationClient({ serviceUrl: url, attester: { ...app, keyStorage: storage } });
    const registered = count('registered');
    expect((await client.getToken()).token.split('.')).toHaveLength(3);
    expect(removed).toBe(1);
    expect(calls).toEqual([app.device.keyId]);
    expect(value).toBe(app.device.keyId);
    expect(count('registered')).toBe(registered + 1);
  });

  it('a storage whose remove() rejects (a locked keychain): the new key is still registered and stored', async () => {
    let value: string | undefined = staleKeyId();
    const storage: AppAttestKeyStorage = {
      get: () => value,
      set: (keyId) => void (value = keyId),
      remove: () => Promise.reject(new Error('keychain locked')),
    };
    const app = iosApp();
    const client = createAttestationClient({ serviceUrl: url, attester: { ...app, keyStorage: storage } });
    expect((await client.getToken()).token.split('.')).toHaveLength(3);
    expect(value).toBe(app.device.keyId);
  });
});
