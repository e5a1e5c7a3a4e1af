import { describe, expect, it } from 'vitest';
import {
  AppAttestError,
  createAppAttestRegistry,
  verifyAppAttestation,
  type AppAttestationInput,
} from '../../../src/attestation/app-attest/index.js';
import { TestMemoryStore } from '../memory-store.js';
import { assert, deviceKey, FakeAppleCa, type AttestOptions } from './fake-apple.js';
import { asyncReasonOf as reasonOf } from './reasons.js';

const TEAM = 'ABCDE12345';
const BUNDLE = 'com.example.bank';
const NOW = Date.parse('2026-06-01T00:00:00Z');
const ca = new FakeAppleCa();

function setup(environment: 'development' | 'production' = 'production') {
  const store = new TestMemoryStore(() => NOW);
  const registry = createAppAttestRegistry({
    store,
    teamId: TEAM,
    bundleId: BUNDLE,
    environment,
    trustAnchor: ca.root,
  });
  return { store, registry };
}

async function registered(environment: 'development' | 'production' = 'production') {
  const ctx = setup(environment);
  const key = deviceKey();
  const challenge = Buffer.from('server-challenge-1');
  await ctx.registry.register({
    attestationObject: ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge, environment }),
    challenge,
    keyId: key.keyId.toString('base64'),
    now: NOW,
  });
  return { ...ctx, key };
}

describe('synthetic App Attest CA: attestation', () => {
  const key = deviceKey();
  const challenge = Buffer.from('challenge');
  const input = (over: Partial<AttestOptions> = {}, inputOver: Partial<AppAttestationInput> = {}): AppAttestationInput => ({
    attestationObject: ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge, ...over }),
    challenge,
    keyId: key.keyId,
    teamId: TEAM,
    bundleId: BUNDLE,
    environment: 'production',
    now: NOW,
    trustAnchor: ca.root,
    ...inputOver,
  });

  it('a well-formed attestation verifies against the synthetic root (and not against Apple by default)', async () => {
    expect(verifyAppAttestation(input()).keyId).toBe(key.keyId.toString('base64'));
    expect(await reasonOf(() => verifyAppAttestation({ ...input(), trustAnchor: undefined }))).toBe('chain_invalid');
  });

  it.each([
    ['a non-zero counter', { counter: 1 }, {}, 'counter_not_zero'],
    ['a credential id other than the key id', { credentialId: Buffer.alloc(32, 1) }, {}, 'key_id_mismatch'],
    ['an unknown aaguid', { aaguid: Buffer.alloc(16, 0x41) }, {}, 'environment_mismatch'],
    ['no nonce extension', { omitNonce: true }, {}, 'malformed'],
    ['a leaf that expired', { notAfter: new Date(NOW - 1000) }, {}, 'certificate_expired'],
    ['a leaf not yet valid', { notBefore: new Date(NOW + 60_000) }, {}, 'certificate_not_yet_valid'],
    ['a development build checked as production', { environment: 'development' }, {}, 'environment_mismatch'],
    ['an app of another team', { teamId: 'ZZZZZ99999' }, {}, 'team_mismatch'],
    ['an app of another bundle', { bundleId: 'com.example.other' }, {}, 'bundle_mismatch'],
  ] as const)('%s fails with %s', async (_name, over, inputOver, reason) => {
    expect(await reasonOf(() => verifyAppAttestation(input(over, inputOver)))).toBe(reason);
  });

  it('an intermediate that the root did not sign breaks the chain', async () => {
    const other = new FakeAppleCa();
    const object = other.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge });
    expect(await reasonOf(() => verifyAppAttestation({ ...input(), attestationObject: object }))).toBe('chain_invalid');
  });

  it.each([
    ['empty bytes', Buffer.alloc(0)],
    ['random bytes', Buffer.from('not cbor at all \xff\xfe')],
    ['a CBOR string', Buffer.from([0x63, 0x61, 0x62, 0x63])],
    ['truncated', ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge }).subarray(0, 200)],
  ])('garbage (%s) is refused as malformed without throwing anything else', async (_n, bytes) => {
    expect(['malformed', 'unsupported_format', 'chain_invalid']).toContain(
      await reasonOf(() => verifyAppAttestation({ ...input(), attestationObject: bytes })),
    );
  });
});

describe('synthetic App Attest CA: assertions through the registry', () => {
  it('counters must strictly increase: 1, 2, 5 pass; a replay of 5 and a lower 3 fail', async () => {
    const { registry, key } = await registered();
    const keyId = key.keyId.toString('base64');
    const send = (counter: number, clientData = `POST /pay ${counter}`) =>
      registry.verifyAssertion({ keyId, clientData, assertion: assert(key, { teamId: TEAM, bundleId: BUNDLE, counter, clientData }) });
    await expect(send(1)).resolves.toMatchObject({ counter: 1 });
    await expect(send(2)).resolves.toMatchObject({ counter: 2 });
    await expect(send(5)).resolves.toMatchObject({ counter: 5 });
    expect(await reasonOf(() => send(5))).toBe('counter_not_increasing');
    expect(await reasonOf(() => send(3))).toBe('counter_not_increasing');
    await expect(send(6)).resolves.toMatchObject({ counter: 6 });
  });

  it('two concurrent assertions with the same counter: exactly one passes', async () => {
    const { registry, key } = await registered();
    const keyId = key.keyId.toString('base64');
    const clientData = 'GET /balance';
    const assertion = assert(key, { teamId: TEAM, bundleId: BUNDLE, counter: 1, clientData });
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => registry.verifyAssertion({ keyId, clientData, assertion })),
    );
    const passed = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(passed).toHaveLength(1);
    expect(failed.map((r) => (r.reason as AppAttestError).reason)).toEqual(Array(7).fill('counter_not_increasing'));
  });

  it('an assertion at counter 0 is refused (0 belongs to the attestation)', async () => {
    const { registry, key } = await registered();
    const clientData = 'x';
    expect(
      await reasonOf(() =>
        registry.verifyAssertion({
          keyId: key.keyId,
          clientData,
          assertion: assert(key, { teamId: TEAM, bundleId: BUNDLE, counter: 0, clientData }),
        }),
      ),
    ).toBe('counter_not_increasing');
  });

  it('a signature by another key, an unknown key id, and a revoked key fail precisely', async () => {
    const { registry, key } = await registered();
    const other = deviceKey();
    const clientData = 'GET /a';
    const forged = assert(other, { teamId: TEAM, bundleId: BUNDLE, counter: 1, clientData });
    expect(await reasonOf(() => registry.verifyAssertion({ keyId: key.keyId, clientData, assertion: forged }))).toBe(
      'bad_signature',
    );
    expect(await reasonOf(() => registry.verifyAssertion({ keyId: other.keyId, clientData, assertion: forged }))).toBe(
      'unknown_key',
    );
    await registry.revoke(key.keyId);
    const genuine = assert(key, { teamId: TEAM, bundleId: BUNDLE, counter: 1, clientData });
    expect(await reasonOf(() => registry.verifyAssertion({ keyId: key.keyId, clientData, assertion: genuine }))).toBe(
      'key_revoked',
    );
  });

  it('a failed signature does not consume the counter', async () => {
    const { registry, key } = await registered();
    const clientData = 'POST /pay';
    const good = assert(key, { teamId: TEAM, bundleId: BUNDLE, counter: 1, clientData });
    expect(await reasonOf(() => registry.verifyAssertion({ keyId: key.keyId, clientData: 'tampered', assertion: good }))).toBe(
      'bad_signature',
    );
    await expect(registry.verifyAssertion({ keyId: key.keyId, clientData, assertion: good })).resolves.toMatchObject({
      counter: 1,
    });
  });

  it('an assertion made for another app id is named precisely from the registered app id', async () => {
    const { registry, key } = await registered();
    const clientData = 'x';
    const wrongTeam = assert(key, { teamId: 'ZZZZZ99999', bundleId: BUNDLE, counter: 1, clientData });
    // The registry knows TEAM.BUNDLE; the assertion hashes another App ID it cannot name, so the reason is generic.
    expect(await reasonOf(() => registry.verifyAssertion({ keyId: key.keyId, clientData, assertion: wrongTeam }))).toBe(
      'app_id_mismatch',
    );
  });

  it('a store outage rejects with a plain error (the verifier fails closed), not an AppAttestError', async () => {
    const { registry, key, store } = await registered();
    store.failWith = new Error('store down');
    const clientData = 'x';
    const assertion = assert(key, { teamId: TEAM, bundleId: BUNDLE, counter: 1, clientData });
    await expect(registry.verifyAssertion({ keyId: key.keyId, clientData, assertion })).rejects.toThrow('store down');
  });

  it('keys are cached: the second assertion reads only the counter, not the key record (a store without raiseIfPresent)', async () => {
    const { registry, key, store } = await registered();
    const clientData = 'x';
    await registry.verifyAssertion({ keyId: key.keyId, clientData, assertion: assert(key, { teamId: TEAM, bundleId: BUNDLE, counter: 1, clientData }) });
    const gets = store.calls.get;
    await registry.verifyAssertion({ keyId: key.keyId, clientData, assertion: assert(key, { teamId: TEAM, bundleId: BUNDLE, counter: 2, clientData }) });
    expect(store.calls.get).toBe(gets + 1);
  });

  it('a development registry accepts development attestations', async () => {
    const { key } = await registered('development');
    expect(key.keyId).toHaveLength(32);
  });
});
