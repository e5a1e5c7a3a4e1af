import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { VerifierContext, VerifierOutcome } from '../../../src/core/verifier.js';
import type { PlayIntegrityPayload } from '../../../src/attestation/play-integrity/index.js';
import {
  createDeviceRiskVerifier,
  deviceRiskOptionsSchema,
  DEVICE_RISK_MEMO_KEY,
  type DeviceRiskMemo,
  type DeviceRiskOptions,
} from '../../../src/verifiers/device-risk/index.js';
import { TestMemoryStore } from '../../attestation/memory-store.js';
import { CERT_DIGEST, genuinePayload, PACKAGE, playKeys, playToken } from '../../attestation/play-integrity/token-factory.js';

// Issue 17 items 1, 3, 4 and the Play half of 9, through the device-risk verifier and its default policy.
const NOW = Date.parse('2026-05-01T12:00:00Z');
const keys = playKeys();

function setup(extra: Partial<NonNullable<DeviceRiskOptions['playIntegrity']>> = {}, policy: DeviceRiskOptions['policy'] = undefined) {
  const store = new TestMemoryStore(() => NOW);
  return createDeviceRiskVerifier(
    {
      playIntegrity: { packageName: PACKAGE, decryptionKey: keys.decryptionKey, verificationKey: keys.verificationKey, ...extra },
      ...(policy ? { policy } : {}),
    },
    { store },
  );
}

async function check(
  verifier: ReturnType<typeof setup>,
  mutate: (p: PlayIntegrityPayload) => void = () => undefined,
): Promise<{ out: VerifierOutcome; memo: DeviceRiskMemo }> {
  // The v2 canonical request (no query, Authorization absent, no body) is what the app hashes by default.
  const nonce = createHash('sha256').update('v2\nGET\n/accounts\n\nauthorization:\n').digest('base64url');
  const payload = genuinePayload(NOW, { nonce });
  mutate(payload);
  const memo = new Map<string, unknown>();
  const ctx: VerifierContext = {
    request: { method: 'GET', path: '/accounts', headers: { 'x-play-integrity': await playToken(keys, payload) }, ip: '198.51.100.7' },
    route: {} as VerifierContext['route'],
    ip: '198.51.100.7',
    now: NOW,
    memo,
    body: async () => undefined,
  };
  const out = await verifier.verify(ctx);
  return { out, memo: memo.get(DEVICE_RISK_MEMO_KEY) as DeviceRiskMemo };
}
const detailOf = (out: VerifierOutcome): string => (out as { detail?: string }).detail ?? '';
const labels = (l: string[]) => (p: PlayIntegrityPayload) => (p.deviceIntegrity!.deviceRecognitionVerdict = l);

describe('item 1: a failed device verdict is not a pass', () => {
  it('an empty deviceRecognitionVerdict (signs of attack) is denied by default, and named', async () => {
    const { out } = await check(setup(), labels([]));
    expect(out).toMatchObject({ outcome: 'deny', code: 'device_untrusted' });
    expect(detailOf(out)).toContain('deviceIntegrityFailed:deny');
  });

  it('a virtual-only verdict has no physical-device label either', async () => {
    const { out } = await check(setup(), labels(['MEETS_VIRTUAL_INTEGRITY']));
    expect(out).toMatchObject({ outcome: 'deny' });
    expect(detailOf(out)).toContain('deviceIntegrityFailed:deny');
    expect(detailOf(out)).toContain('virtualDevice:monitor');
  });

  it('MEETS_BASIC_INTEGRITY alone is monitored by default, with its reason recorded', async () => {
    const { out } = await check(setup(), labels(['MEETS_BASIC_INTEGRITY']));
    expect(out.outcome).toBe('pass');
    expect(detailOf(out)).toContain('basicIntegrityOnly:monitor/30');
  });

  it('the failed verdict can step up instead of deny', async () => {
    const { out } = await check(setup({}, { actions: { deviceIntegrityFailed: 'step-up' }, thresholds: { deny: 1000, stepUp: 1000 } }), labels([]));
    expect(out).toMatchObject({ outcome: 'deny', code: 'device_step_up' });
  });

  it('a genuine device verdict raises neither condition', async () => {
    const { out } = await check(setup());
    expect(out).toEqual({ outcome: 'pass' });
  });
});

describe('item 3: test verdicts', () => {
  it('are an invalid proof by default, named play-integrity:test_response', async () => {
    const { out } = await check(setup(), (p) => (p.testingDetails = { isTestingResponse: true }));
    expect(out).toMatchObject({ outcome: 'deny', code: 'device_untrusted' });
    expect(detailOf(out)).toContain('play-integrity:test_response');
  });

  it('pass with playIntegrity.allowTestResponses', async () => {
    const { out } = await check(setup({ allowTestResponses: true }), (p) => (p.testingDetails = { isTestingResponse: true }));
    expect(out).toEqual({ outcome: 'pass' });
  });
});

describe('item 4: the certificate allowlist with recognition left to the policy', () => {
  it('a re-signed build with a foreign digest is an invalid proof, not just unrecognizedApp', async () => {
    const { out } = await check(setup({ certificateDigests: [CERT_DIGEST] }), (p) => {
      p.appIntegrity!.appRecognitionVerdict = 'UNRECOGNIZED_VERSION';
      p.appIntegrity!.certificateSha256Digest = [Buffer.alloc(32, 7).toString('base64url')];
    });
    expect(detailOf(out)).toContain('play-integrity:certificate_digest_mismatch');
    expect(detailOf(out)).toContain('invalidProof:deny');
  });
});

describe('item 9: sdkVersion, the legacy verdict and the required level by Android version', () => {
  const android13 = (p: PlayIntegrityPayload) => {
    p.deviceIntegrity!.deviceAttributes = { sdkVersion: 34 };
    p.deviceIntegrity!.legacyDeviceRecognitionVerdict = ['MEETS_STRONG_INTEGRITY'];
  };

  it('sdkVersion and legacyDeviceRecognitionVerdict are on the verdict', async () => {
    const { memo } = await check(setup(), android13);
    expect(memo.verdict.device.android).toEqual({
      levels: ['MEETS_DEVICE_INTEGRITY', 'MEETS_BASIC_INTEGRITY'],
      legacyLevels: ['MEETS_STRONG_INTEGRITY', 'MEETS_DEVICE_INTEGRITY', 'MEETS_BASIC_INTEGRITY'],
      sdkVersion: 34,
    });
  });

  it('requiredLevelBySdk picks the entry for the device\'s Android version', async () => {
    const policy = { requiredLevel: 'MEETS_STRONG_INTEGRITY' as const, requiredLevelBySdk: { 33: 'MEETS_DEVICE_INTEGRITY' as const } };
    // Android 14 with MEETS_DEVICE_INTEGRITY: the Android 13+ entry applies and is met.
    expect((await check(setup({}, policy), android13)).out).toEqual({ outcome: 'pass' });
    // Android 12: below every key, so the flat requiredLevel applies and is not met.
    const old = await check(setup({}, policy), (p) => (p.deviceIntegrity!.deviceAttributes = { sdkVersion: 31 }));
    expect(detailOf(old.out)).toContain('integrityBelowRequired:deny');
    // No sdkVersion at all: the flat requiredLevel.
    expect(detailOf((await check(setup({}, policy))).out)).toContain('integrityBelowRequired:deny');
  });

  it('requiredLevelBySdk keys must be API levels', () => {
    expect(deviceRiskOptionsSchema.safeParse({ policy: { requiredLevelBySdk: { android13: 'MEETS_DEVICE_INTEGRITY' } } }).success).toBe(false);
    expect(deviceRiskOptionsSchema.safeParse({ policy: { requiredLevelBySdk: { 33: 'MEETS_STRONG_INTEGRITY' } } }).success).toBe(true);
  });
});
