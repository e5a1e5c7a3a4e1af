/**
 * Review: the documented signing-key rotation ([k1], then [k2, k1], then [k2]) over a shared store, done as
 * docs/channel.md describes it (a deploy that only changes `signingKeys`, no publish in between). Each stored state
 * names the thumbprints of the keys of the publisher that wrote it: a state written under [k1] alone and joined, not
 * rewritten, by the [k2, k1] deploy named no key of the final [k2] deploy, which then refused to start.
 */
import { generateKeyPairSync } from 'node:crypto';
import { exportJWK, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { createPinSetPublisher } from '../../src/channel/publisher.js';
import type { Store } from '../../src/core/store.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { RedisStore } from '../../src/stores/redis.js';
import { redisAnswers, REDIS_LABEL } from '../helpers/redis.js';
import { redisForTestFile } from '../stores/redis-helpers.js';

const A = Buffer.alloc(32, 1).toString('base64');
const B = Buffer.alloc(32, 2).toString('base64');
const C = Buffer.alloc(32, 3).toString('base64');
const D = Buffer.alloc(32, 4).toString('base64');
const HOSTS = { 'api.shop.example': { pins: [A, B], backupPins: [C] } };
const OTHER_HOSTS = { 'api.bank.example': { pins: [D, C], backupPins: [B] } };
const T = Date.parse('2026-06-01T00:00:00Z');
const jwk = async (kid: string) => ({ ...(await exportJWK(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)), kid }) as JWK;

function rotationTests(makeStore: () => Store) {
  it('a key rotation by deploys alone ([k1] -> [k2, k1] -> [k2], same version) keeps the stored state', async () => {
    const store = makeStore();
    const now = () => T;
    const k1 = { kid: 'k1', privateKey: await jwk('k1') };
    const k2 = { kid: 'k2', privateKey: await jwk('k2') };
    await createPinSetPublisher({ signingKeys: [k1], hosts: HOSTS, version: 4, store, now });
    const both = await createPinSetPublisher({ signingKeys: [k2, k1], hosts: HOSTS, version: 4, store, now });
    expect(both.version).toBe(4);
    const after = await createPinSetPublisher({ signingKeys: [k2], hosts: HOSTS, version: 4, store, now });
    expect(after.version).toBe(4);
    expect((await after.current()).payload.hosts).toEqual((await both.current()).payload.hosts);
    // ... and it goes on publishing over the state the [k1] deploy wrote.
    expect((await after.publish({ hosts: HOSTS })).payload.version).toBe(5);
    // A publisher that never held a key next to k1 or k2 (another service on this store) is still refused, also with
    // two keys of its own.
    const bank = { kid: 'bank', privateKey: await jwk('bank') };
    await expect(createPinSetPublisher({ signingKeys: [bank], hosts: OTHER_HOSTS, version: 9, store, now })).rejects.toThrow(/another publisher's pin set/);
    const x = { kid: 'x', privateKey: await jwk('x') };
    await expect(createPinSetPublisher({ signingKeys: [bank, x], hosts: OTHER_HOSTS, version: 9, store, now })).rejects.toThrow(/another publisher's pin set/);
  });
}

describe('MemoryStore', () => rotationTests(() => new MemoryStore()));

describe.skipIf(!redisAnswers)(`RedisStore on ${REDIS_LABEL}`, () => {
  const { client, prefix } = redisForTestFile('review-key-rotation');
  let n = 0;
  rotationTests(() => new RedisStore({ client, prefix: `${prefix}${n++}:` }));
});
