/**
 * Signed sources that disagree on the platform (a verified token naming iOS beside a Play Integrity verdict) leave
 * the platform `unknown` and carry `sources:platform_mismatch`. The required level was then the flat `requiredLevel`,
 * even when the Play verdict stated an Android API level whose `requiredLevelBySdk` entry is stricter: with
 * `invalidProof` only monitored, a device short of that level passed. Such a verdict is now held to the strictest
 * level of the policy (`requiredLevel` and every `requiredLevelBySdk` entry). The mismatch code itself is exported
 * from the package root as `PLATFORM_MISMATCH`.
 *
 * Real HTTP through every adapter; the token is signed with jose by the test attester, the Play Integrity verdict is
 * encrypted and signed with the test keys, and both are verified by the shield.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORM_MISMATCH } from '../../../src/index.js';
import { approov } from '../../../src/attestation/approov.js';
import type { PlayIntegrityPayload } from '../../../src/attestation/play-integrity/index.js';
import { createShield, type Decision } from '../../../src/shield.js';
import { createTestAttester } from '../../../src/testing/index.js';
import { ADAPTERS, type RunningApp } from '../../helpers/adapters.js';
import { genuinePayload, PACKAGE, playKeys, playToken } from '../../attestation/play-integrity/token-factory.js';

const keys = playKeys();
const attester = createTestAttester({ header: 'approov-token' });

/** Device integrity only (no strong integrity), with or without the Android API level. */
const DEVICE_ONLY = ['MEETS_DEVICE_INTEGRITY'];
const STRONG = ['MEETS_STRONG_INTEGRITY'];

async function headers(path: string, os: string, labels: string[], sdkVersion?: number): Promise<Record<string, string>> {
  const nonce = createHash('sha256').update(`v2\nGET\n${path}\n\nauthorization:\n`).digest('base64url');
  const payload: PlayIntegrityPayload = genuinePayload(Date.now(), { nonce });
  payload.deviceIntegrity!.deviceRecognitionVerdict = labels;
  if (sdkVersion !== undefined) payload.deviceIntegrity!.deviceAttributes = { sdkVersion };
  return {
    'x-play-integrity': await playToken(keys, payload),
    'approov-token': await attester.mint({ claims: { os } }),
  };
}

/** `invalidProof` only monitored: the required level alone must refuse a device short of it. */
const LENIENT = { actions: { invalidProof: 'monitor' as const } };

describe.each(ADAPTERS)('$name: a platform mismatch is held to the strictest required level', (adapter) => {
  const decisions: Decision[] = [];
  let app: RunningApp;
  beforeAll(async () => {
    const policy = {
      ...LENIENT,
      // Flat level lax, the Android 13+ entry strict.
      requiredLevel: 'MEETS_BASIC_INTEGRITY' as const,
      requiredLevelBySdk: { 33: 'MEETS_STRONG_INTEGRITY' as const },
      // A layer whose own table is laxer than its flat level: the flat level is the strictest there.
      sensitivities: { own: { requiredLevel: 'MEETS_STRONG_INTEGRITY' as const, requiredLevelBySdk: { 33: 'MEETS_BASIC_INTEGRITY' as const } } },
    };
    const shield = createShield({
      token: { ...approov({ secret: attester.secret as string }), binding: false },
      device: {
        playIntegrity: { packageName: PACKAGE, decryptionKey: keys.decryptionKey, verificationKey: keys.verificationKey },
        tokenClaims: { platform: 'os' },
        policy,
      },
      routes: { 'GET /own': { device: { sensitivity: 'own' } } },
      onDecision: (d) => void decisions.push(d),
    });
    app = await adapter.start(shield, [
      { method: 'GET', path: '/accounts' },
      { method: 'GET', path: '/own' },
    ]);
  });
  afterAll(() => app.close());

  async function call(path: string, os: string, labels: string[], sdkVersion?: number) {
    decisions.length = 0;
    const res = await fetch(`${app.url}${path}`, { headers: await headers(path, os, labels, sdkVersion) });
    const detail = decisions.at(-1)?.results.find((r) => r.verifier === 'device-risk')?.detail ?? '';
    return { status: res.status, body: res.status === 200 ? undefined : ((await res.json()) as { code?: string }), detail };
  }

  it('controls: without a mismatch the table decides by sdkVersion, and the mismatch alone is only monitored', async () => {
    expect((await call('/accounts', 'android', DEVICE_ONLY, 34)).status).toBe(403); // Android 13+: strong required
    expect((await call('/accounts', 'android', DEVICE_ONLY, 30)).status).toBe(200); // older: basic required
    const strong = await call('/accounts', 'ios', STRONG, 34);
    expect(strong.status).toBe(200); // a mismatch meeting every level passes: invalidProof is monitored here
    expect(strong.detail).toContain(`proofs=${PLATFORM_MISMATCH}`);
  });

  it('a mismatch with a stated sdkVersion is judged by the strictest entry, not by the flat level', async () => {
    const res = await call('/accounts', 'ios', DEVICE_ONLY, 34);
    expect(res.status).toBe(403);
    expect(res.body?.code).toBe('device_untrusted');
    expect(res.detail).toContain('integrityBelowRequired:deny');
    expect(res.detail).toContain(`proofs=${PLATFORM_MISMATCH}`);
  });

  it('so is a mismatch whose verdict states no sdkVersion, or one whose entry would not apply to it', async () => {
    expect((await call('/accounts', 'ios', DEVICE_ONLY)).status).toBe(403);
    expect((await call('/accounts', 'ios', DEVICE_ONLY, 30)).status).toBe(403);
  });

  it('a layer whose table is laxer than its flat level keeps the flat level for a mismatch', async () => {
    expect((await call('/own', 'android', DEVICE_ONLY, 34)).status).toBe(200); // its table: basic on Android 13+
    const res = await call('/own', 'ios', DEVICE_ONLY, 34);
    expect(res.status).toBe(403);
    expect(res.detail).toContain('integrityBelowRequired:deny');
  });
});

describe('PLATFORM_MISMATCH from the package root', () => {
  it('is the failed-proof code verdicts and decision details carry', () => {
    expect(PLATFORM_MISMATCH).toBe('sources:platform_mismatch');
  });
});
