/** Review (gaps): two instances publishing one update concurrently, its hosts listed in another order. */
import { describe, expect, it } from 'vitest';
import { createPinSetPublisher, type PinSetPublisherOptions } from '../../src/channel/publisher.js';
import type { HostPinConfig } from '../../src/channel/validate-pins.js';
import type { Store } from '../../src/core/store.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { A, COMPROMISED, NEXT, privateJwk, T0 } from './pinset-fixtures.js';

const OTHER = Buffer.alloc(32, 4).toString('base64');
type Hosts = Record<string, HostPinConfig>;
const START: Hosts = { 'api.example.com': { pins: [A, COMPROMISED], backupPins: [NEXT] } };
const UPDATE: Hosts = {
  'api.example.com': { pins: [A, COMPROMISED], backupPins: [NEXT, OTHER] },
  'cdn.example.com': { pins: [A, COMPROMISED], backupPins: [NEXT] },
};
const UPDATE_REORDERED: Hosts = {
  'cdn.example.com': { pins: [COMPROMISED, A], backupPins: [NEXT] },
  'api.example.com': { pins: [COMPROMISED, A], backupPins: [OTHER, NEXT] },
};
const optionsOn = (store: Store): PinSetPublisherOptions => ({ signingKeys: [{ kid: 'k1', privateKey: privateJwk }], hosts: START, version: 7, now: () => T0, store });

describe('review gaps: concurrent publish of one set in two orders', () => {
  it('both instances serve the stored bytes of version 8 (one ETag), as PublishedStateStore.write documents', async () => {
    const store = new MemoryStore();
    const first = await createPinSetPublisher(optionsOn(store));
    const second = await createPinSetPublisher(optionsOn(store));
    const [a, b] = await Promise.all([first.publish({ version: 8, hosts: UPDATE }), second.publish({ version: 8, hosts: UPDATE_REORDERED })]);
    expect([first.version, second.version]).toEqual([8, 8]);
    expect(JSON.stringify(b.payload)).toBe(JSON.stringify(a.payload));
    expect(b.etag).toBe(a.etag);
  });
});
