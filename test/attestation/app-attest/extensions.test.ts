import { createHash } from 'node:crypto';
import { encode } from 'cborg';
import { describe, expect, it } from 'vitest';
import {
  createAppAttestRegistry,
  MAC_FULL_SECURITY_ACL,
  verifyAppAssertion,
  verifyAppAttestation,
} from '../../../src/attestation/app-attest/index.js';
import type { VerifierContext, VerifierOutcome } from '../../../src/core/verifier.js';
import { createDeviceRiskVerifier, DEVICE_RISK_MEMO_KEY, type DeviceRiskMemo, type DeviceRiskOptions } from '../../../src/verifiers/device-risk/index.js';
import { TestMemoryStore } from '../memory-store.js';
import { assert, deviceKey, FakeAppleCa, type AttestOptions } from './fake-apple.js';
import { reasonOf } from './reasons.js';

// Issue 17 item 7 (second half): iOS 27 authenticator extensions and the macOS access-control extension, parsed
// and surfaced on the verdict where the policy acts on them.
const TEAM = 'ABCDE12345';
const BUNDLE = 'com.example.bank';
const NOW = Date.parse('2026-05-01T12:00:00Z');
const ca = new FakeAppleCa();
const challenge = Buffer.from('registration');

function attested(extra: Partial<AttestOptions> = {}) {
  const key = deviceKey();
  const attestationObject = ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge, ...extra });
  return { key, attestationObject, verify: () => verifyAppAttestation({ attestationObject, challenge, keyId: key.keyId, teamId: TEAM, bundleId: BUNDLE, environment: extra.environment ?? 'production', now: NOW, trustAnchor: ca.root }) };
}

describe('authenticator-data extensions', () => {
  it('an attestation carrying the validation category and bundle version surfaces both', () => {
    const { verify } = attested({ authExtensions: { apple_validation_category_01: 4, apple_bundle_version_01: '5.3.0' } });
    expect(verify().extensions).toEqual({ validationCategory: 'app-store', bundleVersion: '5.3.0' });
  });

  it('unknown categories are kept by number; an attestation without extensions has none', () => {
    expect(attested({ authExtensions: { apple_validation_category_01: 42 } }).verify().extensions).toEqual({ validationCategory: 'unknown:42' });
    expect(attested().verify().extensions).toBeUndefined();
  });

  it('assertions use the short names', () => {
    const key = deviceKey();
    const a = assert(key, { teamId: TEAM, bundleId: BUNDLE, counter: 1, clientData: 'x', authExtensions: { validationCategory: 2, bundleVersion: '7.0' } });
    expect(verifyAppAssertion({ assertion: a, clientData: 'x', publicKey: key.publicKey, teamId: TEAM, bundleId: BUNDLE }).extensions).toEqual({
      validationCategory: 'testflight',
      bundleVersion: '7.0',
    });
  });

  it('an ED flag without a well-formed extension map is malformed, whatever the signature', () => {
    const key = deviceKey();
    const rpIdHash = createHash('sha256').update(`${TEAM}.${BUNDLE}`).digest();
    for (const trailing of [Buffer.from([0x1c]), Buffer.from([0xa1, 0x61]), Buffer.alloc(0), Buffer.from([0x01, 0x02, 0x03])]) {
      const authenticatorData = Buffer.concat([rpIdHash, Buffer.from([0x80, 0, 0, 0, 1]), trailing]);
      const assertion = encode({ signature: Buffer.alloc(70), authenticatorData });
      const reason = reasonOf(() => verifyAppAssertion({ assertion, clientData: 'x', publicKey: key.publicKey, teamId: TEAM, bundleId: BUNDLE }));
      // An empty tail with ED set reads as "no extensions"; everything else is not a single map.
      expect(reason).toBe(trailing.length === 0 ? 'bad_signature' : 'malformed');
    }
  });
});

describe('macOS access-control extension', () => {
  it('is full-security for Apple\'s expected policy, other for anything else, absent on iOS', () => {
    expect(attested({ aclBlob: MAC_FULL_SECURITY_ACL }).verify().macAccessControl).toBe('full-security');
    expect(attested({ aclBlob: Buffer.from('weaker policy') }).verify().macAccessControl).toBe('other');
    expect(attested().verify().macAccessControl).toBeUndefined();
  });
});

describe('on the verdict, judged by the default policy', () => {
  async function setup(attest: Partial<AttestOptions> = {}, options: Partial<DeviceRiskOptions> = {}) {
    const store = new TestMemoryStore(() => NOW);
    const environment = attest.environment ?? 'production';
    const registry = createAppAttestRegistry({ store, teamId: TEAM, bundleId: BUNDLE, environment, trustAnchor: ca.root });
    const { key, attestationObject } = attested(attest);
    await registry.register({ attestationObject, challenge, keyId: key.keyId, now: NOW });
    const verifier = createDeviceRiskVerifier(
      { appAttest: { teamId: TEAM, bundleId: BUNDLE, environment, trustAnchor: ca.root, newDeviceWindowMs: 0 }, ...options },
      { store },
    );
    let counter = 0;
    return async (authExtensions?: Record<string, unknown>): Promise<{ out: VerifierOutcome; memo: DeviceRiskMemo }> => {
      const clientData = 'v2\nGET\n/accounts\n\nauthorization:\n';
      const headers = {
        'x-app-attest-key-id': key.keyId.toString('base64'),
        'x-app-attest-assertion': assert(key, { teamId: TEAM, bundleId: BUNDLE, counter: ++counter, clientData, ...(authExtensions ? { authExtensions } : {}) }).toString('base64'),
      };
      const memo = new Map<string, unknown>();
      const ctx: VerifierContext = { request: { method: 'GET', path: '/accounts', headers, ip: '198.51.100.1' }, route: {} as VerifierContext['route'], ip: '198.51.100.1', now: NOW, memo, body: async () => undefined };
      const out = await verifier.verify(ctx);
      return { out, memo: memo.get(DEVICE_RISK_MEMO_KEY) as DeviceRiskMemo };
    };
  }
  const detail = (o: VerifierOutcome) => (o as { detail?: string }).detail ?? '';

  it('an App Store build passes and its category and bundle version are on the verdict', async () => {
    const { out, memo } = await (await setup())({ validationCategory: 4, bundleVersion: '5.3.0' });
    expect(out).toEqual({ outcome: 'pass' });
    expect(memo.verdict.device.apple).toEqual({ environment: 'production', validationCategory: 'app-store', bundleVersion: '5.3.0' });
    expect(memo.verdict.app.version).toBe('5.3.0');
  });

  it('a development or enterprise build on a production key is denied (unexpectedDistribution)', async () => {
    const run = await setup();
    expect(detail((await run({ validationCategory: 3 })).out)).toContain('unexpectedDistribution:deny');
    expect(detail((await run({ validationCategory: 5 })).out)).toContain('unexpectedDistribution:deny');
    // Devices before iOS 27 write no category: nothing to judge.
    expect((await run()).out).toEqual({ outcome: 'pass' });
  });

  it('a development build with a development key is expected', async () => {
    const run = await setup({ environment: 'development' });
    expect((await run({ validationCategory: 3 })).out).toEqual({ outcome: 'pass' });
  });

  it('the attested bundle version feeds minAppVersion', async () => {
    const run = await setup({}, { policy: { minAppVersion: { ios: '5.4.0' } } });
    expect(detail((await run({ validationCategory: 4, bundleVersion: '5.3.0' })).out)).toContain('outdatedApp:deny');
  });

  it('a macOS key under a weaker access-control policy is denied (macAccessControlWeak)', async () => {
    expect(detail((await (await setup({ aclBlob: Buffer.from('weaker policy') }))()).out)).toContain('macAccessControlWeak:deny');
    expect((await (await setup({ aclBlob: MAC_FULL_SECURITY_ACL }))()).out).toEqual({ outcome: 'pass' });
  });
});
