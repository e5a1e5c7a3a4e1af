/**
 * Two publisher configurations (two services) on one shared store under the default storeKey: neither may serve (and
 * sign with its own key) the other's hosts. Each state names its signing keys' thumbprints; another's is refused.
 */
import { generateKeyPairSync } from 'node:crypto';
import { exportJWK, type JWK } from 'jose';
import { expect, it } from 'vitest';
import { createPinSetPublisher } from '../../src/channel/publisher.js';
import { ShieldConfigError } from '../../src/core/errors.js';
import { MemoryStore } from '../../src/stores/memory.js';

const A = Buffer.alloc(32, 1).toString('base64');
const B = Buffer.alloc(32, 2).toString('base64');
const C = Buffer.alloc(32, 3).toString('base64');
const D = Buffer.alloc(32, 4).toString('base64');
let t = Date.parse('2026-06-01T00:00:00Z');
const jwk = async (kid: string) => ({ ...(await exportJWK(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)), kid }) as JWK;
const SHOP_HOSTS = { 'api.shop.example': { pins: [A, B], backupPins: [C] } };
const BANK_HOSTS = { 'api.bank.example': { pins: [D, C], backupPins: [B] } };
const OTHER = /storeKey "pinset" holds another publisher's pin set \(other signing keys\): give each publisher its own storeKey/;

it("a publisher never serves another configuration's hosts found under the default storeKey", async () => {
  const store = new MemoryStore(); // one Redis shared by two services (as for rate limits), storeKey left default
  const shopKeys = [{ kid: 'shop', privateKey: await jwk('shop') }];
  const bankKeys = [{ kid: 'bank', privateKey: await jwk('bank') }];
  const shop = await createPinSetPublisher({ signingKeys: shopKeys, hosts: SHOP_HOSTS, version: 3, store, now: () => t });
  // The bank, started second, finds the shop's state: refused at creation.
  const error = await createPinSetPublisher({ signingKeys: bankKeys, hosts: BANK_HOSTS, version: 10, store, now: () => t }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ShieldConfigError);
  expect((error as Error).message).toMatch(OTHER);
  // The bank's state lands in the shop's store all the same (started before the shop, say, and the shop's lost).
  const bankStore = new MemoryStore();
  await createPinSetPublisher({ signingKeys: bankKeys, hosts: BANK_HOSTS, version: 10, store: bankStore, now: () => t });
  await store.setIfAbsent('pinset:state:10', (await bankStore.get('pinset:state:10')) as string, 60_000);
  await store.setIfGreater('pinset:version', 10, 60_000);
  t += 60_000; // past refreshSeconds
  const served = (await shop.current()).payload;
  // The shop's own pins, never the bank's hosts signed with the shop's key.
  expect(Object.keys(served.hosts)).toEqual(['api.shop.example']);
  expect(served.version).toBe(3);
  await expect(shop.publish({ hosts: SHOP_HOSTS, version: 11 })).rejects.toThrow(OTHER);
  expect(await store.get('pinset:state:11')).toBeUndefined();
  await expect(createPinSetPublisher({ signingKeys: shopKeys, hosts: SHOP_HOSTS, version: 3, store, now: () => t })).rejects.toThrow(OTHER);
});

it('a key rotation ([k1] -> [k1, k2] -> [k2]) stays the same configuration', async () => {
  const store = new MemoryStore();
  const k1 = { kid: 'k1', privateKey: await jwk('k1') };
  const k2 = { kid: 'k2', privateKey: await jwk('k2') };
  const now = () => t;
  await createPinSetPublisher({ signingKeys: [k1], hosts: SHOP_HOSTS, version: 1, store, now });
  const both = await createPinSetPublisher({ signingKeys: [k1, k2], hosts: SHOP_HOSTS, version: 1, store, now });
  await both.publish({ hosts: SHOP_HOSTS });
  const second = await createPinSetPublisher({ signingKeys: [k2], hosts: SHOP_HOSTS, version: 1, store, now });
  expect(second.version).toBe(2);
  expect((await second.publish({ hosts: SHOP_HOSTS })).payload.version).toBe(3);
});

it('a state without thumbprints (no signing keys named) is refused as another publisher\'s', async () => {
  const store = new MemoryStore();
  await store.setIfAbsent('pinset:state:9', JSON.stringify({ version: 9, minClientVersion: 0, hosts: SHOP_HOSTS }), 60_000);
  await store.setIfGreater('pinset:version', 9, 60_000);
  await expect(createPinSetPublisher({ signingKeys: [{ kid: 'k1', privateKey: await jwk('k1') }], hosts: SHOP_HOSTS, version: 1, store, now: () => t })).rejects.toThrow(OTHER);
});
