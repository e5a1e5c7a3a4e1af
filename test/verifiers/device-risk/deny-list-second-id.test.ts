import { describe, expect, it } from 'vitest';
import { createAppAttestRegistry } from '../../../src/attestation/app-attest/index.js';
import type { Attestation, VerifierContext } from '../../../src/core/verifier.js';
import { createDeviceRiskVerifier } from '../../../src/verifiers/device-risk/index.js';
import { TestMemoryStore } from '../../attestation/memory-store.js';
import { assert, deviceKey, FakeAppleCa } from '../../attestation/app-attest/fake-apple.js';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const TEAM = 'ABCDE12345';
const BUNDLE = 'com.example.bank';
const CLIENT_DATA = 'v2\nPOST\n/pay\n\nauthorization:\n';
const ca = new FakeAppleCa();

const ctx = (headers: Record<string, string>, attestation?: Attestation): VerifierContext => ({
  request: { method: 'POST', path: '/pay', headers, ip: '203.0.113.5' },
  route: {} as VerifierContext['route'],
  ip: '203.0.113.5',
  now: NOW,
  ...(attestation ? { attestation } : {}),
  memo: new Map(),
  body: async () => undefined,
});

describe('policy.devices.deny and a second attested device id', () => {
  it('a denied App Attest key is still denied when the request also carries a token with another device id', async () => {
    const store = new TestMemoryStore(() => NOW);
    const registry = createAppAttestRegistry({ store, teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: ca.root });
    const key = deviceKey();
    const challenge = Buffer.from('one-time-challenge');
    await registry.register({ attestationObject: ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge }), challenge, keyId: key.keyId, now: NOW - 7 * 86_400_000 });
    const deniedKeyId = key.keyId.toString('base64');
    const verifier = createDeviceRiskVerifier(
      {
        appAttest: { teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: ca.root },
        tokenClaims: { deviceId: 'did' },
        policy: { requiredLevel: 'MEETS_DEVICE_INTEGRITY', devices: { deny: [deniedKeyId] } },
      },
      { store },
    );
    let counter = 0;
    const assertion = () => ({
      'x-app-attest-key-id': deniedKeyId,
      'x-app-attest-assertion': assert(key, { teamId: TEAM, bundleId: BUNDLE, counter: ++counter, clientData: CLIENT_DATA }).toString('base64'),
    });
    // Assertion alone: denied (deviceDenied).
    expect(await verifier.verify(ctx(assertion()))).toMatchObject({ outcome: 'deny', code: 'device_untrusted' });
    // Same denied key, plus a verified token (e.g. Approov) whose device id claim is from another id space.
    const token: Attestation = { provider: 'approov', claims: { did: 'approov-install-42' } };
    const out = await verifier.verify(ctx(assertion(), token));
    expect(out).toMatchObject({ outcome: 'deny', code: 'device_untrusted' });
  });
});
