/**
 * The App Attest registry refuses a key outside the environment it was attested in (registries of both environments
 * may share a store and the default prefix; the App ID, and so the rpIdHash, is the same), and refreshes no risk
 * metric for a revoked key (no exchange with Apple, no receipt stored as current).
 */
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { decode } from 'cborg';
import { afterAll, describe, expect, it } from 'vitest';
import { createAppAttestRegistry } from '../../../src/attestation/app-attest/index.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import { RedisStore } from '../../../src/stores/redis.js';
import type { Store } from '../../../src/stores/store.js';
import { redisClient } from '../../helpers/redis.js';
import { deletePrefix } from '../../stores/redis-helpers.js';
import { assert, deviceKey, FakeAppleCa } from './fake-apple.js';
import { FakeReceiptSigner } from './fake-receipt.js';
import { asyncReasonOf as reasonOf } from './reasons.js';

const TEAM = 'ABCDE12345';
const BUNDLE = 'com.example.bank';
const APP_ID = `${TEAM}.${BUNDLE}`;
const NOW = Date.parse('2026-05-01T12:00:00Z');
const ca = new FakeAppleCa();
const client = redisClient();
const prefix = `mas-aa-env-${randomUUID()}:`;
afterAll(async () => {
  await deletePrefix(client, prefix);
  client.disconnect();
});

describe.each([
  ['MemoryStore', () => new MemoryStore({ now: () => NOW })],
  ['RedisStore', () => new RedisStore({ client, prefix: `${prefix}${randomUUID()}:` })],
] as const)('%s', (_name, makeStore: () => Store) => {
  it('a key attested in development is refused by the production registry sharing the store, and the other way round', async () => {
    const store = makeStore();
    const registry = (environment: 'production' | 'development') =>
      createAppAttestRegistry({ store, teamId: TEAM, bundleId: BUNDLE, environment, trustAnchor: ca.root });
    for (const [attested, other] of [['development', 'production'], ['production', 'development']] as const) {
      const key = deviceKey();
      const challenge = Buffer.from(`registration-${attested}`);
      await registry(attested).register({
        attestationObject: ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge, environment: attested }),
        challenge,
        keyId: key.keyId,
        now: NOW,
      });
      const assertion = (counter: number) => ({ keyId: key.keyId, clientData: 'GET /x', assertion: assert(key, { teamId: TEAM, bundleId: BUNDLE, counter, clientData: 'GET /x' }) });
      expect(await reasonOf(registry(other).verifyAssertion(assertion(1)))).toBe('environment_mismatch');
      expect(await reasonOf(registry(attested).verifyAssertion(assertion(2)))).toBe('passed');
    }
  });
});

describe('a revoked key in the risk-metric path', () => {
  it('refreshRisk refuses a revoked key without calling Apple', async () => {
    const signer = new FakeReceiptSigner(ca);
    const store = new MemoryStore({ now: () => NOW });
    const registry = createAppAttestRegistry({ store, teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: ca.root, receipt: { trustAnchor: ca.root } });
    const key = deviceKey();
    const challenge = Buffer.from('registration');
    const leaf = Buffer.from((decode(ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge })) as { attStmt: { x5c: Uint8Array[] } }).attStmt.x5c[0]!);
    const receipt = signer.receipt({
      appId: APP_ID,
      attestedCertificate: leaf,
      clientHash: createHash('sha256').update(challenge).digest(),
      type: 'ATTEST',
      createdAt: new Date(NOW - 1000),
      expiresAt: new Date(NOW + 90 * 86_400_000),
    });
    await registry.register({ attestationObject: ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge, receipt }), challenge, keyId: key.keyId, now: NOW });
    let calls = 0;
    const fetchSpy = (async () => {
      calls++;
      return new Response(null, { status: 304 });
    }) as typeof fetch;
    const credentials = { keyId: 'DCKEY12345', teamId: TEAM, privateKey: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey };
    // Before the revocation the exchange happens (the control), after it none.
    expect(await reasonOf(registry.refreshRisk(key.keyId, { credentials, fetch: fetchSpy, now: NOW }))).toBe('passed');
    expect(calls).toBe(1);
    await registry.revoke(key.keyId);
    expect(await reasonOf(registry.refreshRisk(key.keyId, { credentials, fetch: fetchSpy, now: NOW }))).toBe('key_revoked');
    expect(calls).toBe(1);
  });
});
