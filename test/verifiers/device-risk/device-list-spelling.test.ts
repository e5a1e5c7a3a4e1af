/**
 * One App Attest key, two spellings of its id: the device-risk verifier names a device that sent an assertion by the
 * standard base64 key id (registry normalisation), while tokens of the library's own attestation service carry it
 * base64url (`dev.id`, mapped by ATTESTATION_SERVICE_CLAIMS). `policy.devices.allow` / `deny` compare such ids (32
 * bytes) by their bytes, so a listed device matches on either path whichever spelling the list uses.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAppAttestRegistry } from '../../../src/attestation/app-attest/index.js';
import { ATTESTATION_SERVICE_CLAIMS, verdictClaims } from '../../../src/attestation/issuer/claims.js';
import { iosVerdict } from '../../../src/attestation/issuer/verdicts.js';
import type { Attestation, VerifierContext } from '../../../src/core/verifier.js';
import {
  compilePolicy,
  createDeviceRiskVerifier,
  DEVICE_RISK_MEMO_KEY,
  emptyVerdict,
  evaluatePolicy,
  type DeviceRiskMemo,
  type DeviceRiskOptions,
  type PolicyOptions,
} from '../../../src/verifiers/device-risk/index.js';
import { TestMemoryStore } from '../../attestation/memory-store.js';
import { assert, deviceKey, FakeAppleCa } from '../../attestation/app-attest/fake-apple.js';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const TEAM = 'ABCDE12345';
const BUNDLE = 'com.example.bank';
const CLIENT_DATA = 'v2\nPOST\n/pay\n\nauthorization:\n';
const ca = new FakeAppleCa();
const appAttest = { teamId: TEAM, bundleId: BUNDLE, environment: 'production' as const, trustAnchor: ca.root };

function ctx(headers: Record<string, string>, attestation?: Attestation): VerifierContext {
  return {
    request: { method: 'POST', path: '/pay', headers, ip: '203.0.113.5' },
    route: {} as VerifierContext['route'],
    ip: '203.0.113.5',
    now: NOW,
    ...(attestation ? { attestation } : {}),
    memo: new Map(),
    body: async () => undefined,
  };
}

/** A device with a registered App Attest key, able to sign assertions and to hold a service token. */
async function registeredDevice() {
  const store = new TestMemoryStore(() => NOW);
  const registry = createAppAttestRegistry({ store, teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: ca.root });
  const key = deviceKey();
  const challenge = Buffer.from('one-time-challenge');
  await registry.register({ attestationObject: ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge }), challenge, keyId: key.keyId, now: NOW - 7 * 86_400_000 });
  let counter = 0;
  /** Headers of a fresh assertion (the key id in standard base64, as apps send it). */
  const assertion = () => ({
    'x-app-attest-key-id': key.keyId.toString('base64'),
    'x-app-attest-assertion': assert(key, { teamId: TEAM, bundleId: BUNDLE, counter: ++counter, clientData: CLIENT_DATA }).toString('base64'),
  });
  // Claims exactly as the library's attestation service issues them (dev.id in base64url).
  const claims = verdictClaims(iosVerdict(key.keyId.toString('base64'), `${TEAM}.${BUNDLE}`, 'production', 'MEETS_DEVICE_INTEGRITY'), undefined);
  const token: Attestation = Object.freeze({ provider: 'jwt', claims: Object.freeze({ ...claims, sub: `ios:${claims.dev.id}` }) as never });
  return { store, key, assertion, token, serviceId: claims.dev.id! };
}

type DevicePolicy = NonNullable<DeviceRiskOptions['policy']>;
const verifierFor = (store: TestMemoryStore, policy: DevicePolicy) =>
  createDeviceRiskVerifier({ appAttest, tokenClaims: ATTESTATION_SERVICE_CLAIMS, policy }, { store });

describe('policy.devices and the spelling of an App Attest key id', () => {
  it('a denylisted device is denied whichever signed path (assertion or service token) names it', async () => {
    const device = await registeredDevice();
    // The id the shield reports for this device (decision.device.verdict.device.id) after a direct assertion.
    const probe = createDeviceRiskVerifier({ appAttest }, { store: device.store });
    const c = ctx(device.assertion());
    expect(await probe.verify(c)).toEqual({ outcome: 'pass' });
    const reportedId = (c.memo.get(DEVICE_RISK_MEMO_KEY) as DeviceRiskMemo).verdict.device.id!;
    expect(reportedId).not.toBe(device.serviceId); // the two spellings really differ

    for (const listed of [reportedId, device.serviceId]) {
      const verifier = verifierFor(device.store, { devices: { deny: [listed] } });
      expect(await verifier.verify(ctx(device.assertion()))).toMatchObject({ outcome: 'deny', detail: expect.stringContaining('deviceDenied') });
      expect(await verifier.verify(ctx({}, device.token))).toMatchObject({ outcome: 'deny', detail: expect.stringContaining('deviceDenied') });
    }
  });

  it('an allowlisted (QA) device is allowed whichever path names it, in either spelling', async () => {
    const device = await registeredDevice();
    // App Attest vouches for MEETS_DEVICE_INTEGRITY only: without the allowlist this policy denies the device.
    const strict: DevicePolicy = { requiredLevel: 'MEETS_STRONG_INTEGRITY' };
    const unlisted = verifierFor(device.store, strict);
    expect(await unlisted.verify(ctx(device.assertion()))).toMatchObject({ outcome: 'deny' });
    expect(await unlisted.verify(ctx({}, device.token))).toMatchObject({ outcome: 'deny' });

    for (const listed of [device.key.keyId.toString('base64'), device.serviceId]) {
      const verifier = verifierFor(device.store, { ...strict, devices: { allow: [listed] } });
      expect(await verifier.verify(ctx(device.assertion()))).toMatchObject({ outcome: 'pass', detail: expect.stringContaining('deviceAllowed') });
      expect(await verifier.verify(ctx({}, device.token))).toMatchObject({ outcome: 'pass', detail: expect.stringContaining('deviceAllowed') });
    }
  });
});

describe('device list matching (evaluatePolicy)', () => {
  const NO_LISTS = { actions: new Map(), weights: new Map() };
  const bytes = randomBytes(32);
  bytes[31] = 0xff; // the last base64 character then has unused bits to re-spell
  const b64 = bytes.toString('base64');
  const spellings = [b64, b64.replace(/=$/, ''), bytes.toString('base64url'), `${bytes.toString('base64url')}=`];
  // Same bytes, unused trailing bits set: another spelling a client could choose.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  spellings.push(b64.slice(0, 42) + alphabet[alphabet.indexOf(b64[42]!) | 3]);

  function decide(policy: PolicyOptions, ids: { id?: string; reportedId?: string }) {
    const v = emptyVerdict();
    v.trust = 'attested';
    v.platform = 'ios';
    v.device.levels = ['MEETS_DEVICE_INTEGRITY', 'MEETS_BASIC_INTEGRITY'];
    if (ids.id !== undefined) v.device.id = ids.id;
    if (ids.reportedId !== undefined) v.device.reportedId = ids.reportedId;
    return evaluatePolicy(compilePolicy(policy, NO_LISTS, undefined, undefined), v);
  }

  it('a 32-byte id matches in every base64/base64url spelling, on both lists and the self-reported id', () => {
    for (const listed of spellings) {
      for (const sent of spellings) {
        expect(decide({ devices: { deny: [listed] } }, { id: sent }).action).toBe('deny');
        expect(decide({ devices: { deny: [listed] } }, { reportedId: sent }).action).toBe('deny');
        expect(decide({ requiredLevel: 'MEETS_STRONG_INTEGRITY', devices: { allow: [listed] } }, { id: sent }).action).toBe('allow');
      }
    }
  });

  it('other ids match exactly (no decoding, no case folding)', () => {
    const androidId = 'f3b1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
    expect(decide({ devices: { deny: [androidId] } }, { id: androidId }).action).toBe('deny');
    expect(decide({ devices: { deny: [androidId] } }, { id: androidId.toUpperCase() }).action).toBe('allow');
    // 43 characters mixing both alphabets is no key id spelling: exact match only.
    const mixed = `${'A'.repeat(41)}+_`;
    expect(decide({ devices: { deny: [mixed] } }, { id: mixed }).action).toBe('deny');
    expect(decide({ devices: { deny: [mixed] } }, { id: `${'A'.repeat(41)}+/` }).action).toBe('allow');
    // A shorter base64 id (not 32 bytes) is not re-spelled either.
    const short = randomBytes(16);
    expect(decide({ devices: { deny: [short.toString('base64')] } }, { id: short.toString('base64url') }).action).toBe('allow');
  });
});
