/**
 * Review: when several signed sources (a verified token, a Play Integrity verdict, an App Attest assertion) state an
 * app version or a platform, none is picked silently. Before the fix the first source's version was kept and the
 * last source's platform won, so a lower signed version from a later source was ignored (`minAppVersion` passed on
 * the higher one), and two sources naming different platforms were judged as whichever came last.
 * Now the lowest signed version wins (every one is kept in `app.versions`, an unreadable one included), and sources
 * that disagree on the platform leave it `unknown` (no minimum can be applied: `unknownAppVersion`) and are reported
 * as `sources:platform_mismatch`, an invalid proof (denied by default).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Attestation, VerifierContext } from '../../../src/core/verifier.js';
import type { PlayIntegrityPayload } from '../../../src/attestation/play-integrity/index.js';
import {
  addAttested,
  addSelfReported,
  compilePolicy,
  createDeviceRiskVerifier,
  DEVICE_RISK_MEMO_KEY,
  emptyVerdict,
  evaluatePolicy,
  type AttestedContribution,
  type DeviceRiskMemo,
  type PolicyOptions,
} from '../../../src/verifiers/device-risk/index.js';
import { TestMemoryStore } from '../../attestation/memory-store.js';
import { genuinePayload, PACKAGE, playKeys, playToken } from '../../attestation/play-integrity/token-factory.js';

const NO_LISTS = { actions: new Map(), weights: new Map() };
const LEVELS = ['MEETS_DEVICE_INTEGRITY', 'MEETS_BASIC_INTEGRITY'] as const;
const source = (provider: string, c: Omit<AttestedContribution, 'provider'>): AttestedContribution => ({ provider, levels: LEVELS, ...c });

function decide(policy: PolicyOptions, contributions: AttestedContribution[], reportedVersion?: string) {
  const v = emptyVerdict();
  for (const c of contributions) addAttested(v, c);
  if (reportedVersion !== undefined) addSelfReported(v, { signals: [], appVersion: reportedVersion });
  const decision = evaluatePolicy(compilePolicy(policy, NO_LISTS, undefined, undefined), v);
  return { verdict: v, decision, conditions: decision.reasons.map((r) => r.condition) };
}

describe('addAttested: the lowest signed app version wins', () => {
  const min = { minAppVersion: { android: 420, ios: '5.2.0' } };

  it('a lower version from a later source is the verdict version, and minAppVersion judges it', () => {
    const { verdict, decision, conditions } = decide(min, [
      source('token:approov', { platform: 'android', appVersion: 500 }),
      source('play-integrity', { platform: 'android', appVersion: 400 }),
    ]);
    expect(verdict.app.version).toBe(400);
    expect(verdict.app.versions).toEqual([500, 400]);
    expect(conditions).toContain('outdatedApp');
    expect(decision.action).toBe('deny');
  });

  it('the lower version first stays the verdict version', () => {
    const { verdict, conditions } = decide(min, [
      source('token:approov', { platform: 'ios', appVersion: '5.1.9' }),
      source('app-attest', { platform: 'ios', appVersion: '5.3.0' }),
    ]);
    expect(verdict.app.version).toBe('5.1.9');
    expect(verdict.app.versions).toEqual(['5.1.9', '5.3.0']);
    expect(conditions).toContain('outdatedApp');
  });

  it('a source without a platform contributes its version to the stated platform', () => {
    const { verdict, conditions } = decide(min, [
      source('token:approov', { appVersion: '5.0' }),
      source('app-attest', { platform: 'ios', appVersion: '5.3.0' }),
    ]);
    expect(verdict.platform).toBe('ios');
    expect(verdict.app.version).toBe('5.0');
    expect(verdict.app.versions).toEqual(['5.0', '5.3.0']);
    expect(conditions).toContain('outdatedApp');
  });

  it('equal versions in two spellings count once', () => {
    const { verdict, conditions } = decide(min, [
      source('token:approov', { platform: 'android', appVersion: '420' }),
      source('play-integrity', { platform: 'android', appVersion: 420 }),
      source('other', { platform: 'android', appVersion: 410 }),
    ]);
    expect(verdict.app.version).toBe(410);
    expect(verdict.app.versions).toEqual(['420', 410]);
    expect(conditions).toEqual(['outdatedApp']);
  });

  it('an unreadable signed version is kept beside a readable one: unknownAppVersion applies', () => {
    const strict = { ...min, actions: { unknownAppVersion: 'deny' as const } };
    const { verdict, conditions } = decide(strict, [
      source('play-integrity', { platform: 'android', appVersion: 500 }),
      source('token:approov', { platform: 'android', appVersion: 'nightly' }),
    ]);
    expect(verdict.app.version).toBe(500); // the lowest readable one
    expect(verdict.app.versions).toEqual([500, 'nightly']);
    expect(conditions).toContain('unknownAppVersion');
  });

  it('a readable version below the minimum still denies beside an unreadable one, whatever the order', () => {
    for (const order of [
      [source('token:approov', { platform: 'android', appVersion: 'nightly' }), source('play-integrity', { platform: 'android', appVersion: 400 })],
      [source('play-integrity', { platform: 'android', appVersion: 400 }), source('token:approov', { platform: 'android', appVersion: 'nightly' })],
    ]) {
      const { verdict, conditions } = decide(min, order);
      expect(verdict.app.version).toBe(400);
      expect(conditions).toContain('outdatedApp');
    }
  });
});

describe('addAttested: signed sources disagreeing on the platform', () => {
  const min = { minAppVersion: { android: 420, ios: '5.2.0' } };

  it('leave the platform unknown, list both, and report an invalid proof (denied by default)', () => {
    const { verdict, decision, conditions } = decide(min, [
      source('token:approov', { platform: 'ios', appVersion: '9.0.0' }),
      source('play-integrity', { platform: 'android', appVersion: 500 }),
    ]);
    expect(verdict.platform).toBe('unknown');
    expect(verdict.platforms).toEqual(['ios', 'android']);
    expect(verdict.failedProofs).toEqual(['sources:platform_mismatch']);
    expect(conditions).toEqual(['invalidProof']); // unknownAppVersion is allowed by default: see below
    expect(decision.action).toBe('deny');
  });

  it('whichever source comes last (the order of parallel proofs is not fixed)', () => {
    const { verdict, conditions } = decide(min, [
      source('play-integrity', { platform: 'android', appVersion: 500 }),
      source('app-attest', { platform: 'ios', appVersion: '9.0.0' }),
      source('other', { platform: 'android' }),
    ]);
    expect(verdict.platform).toBe('unknown');
    expect(verdict.platforms).toEqual(['android', 'ios']);
    expect(verdict.failedProofs).toEqual(['sources:platform_mismatch']);
    expect(conditions).toContain('invalidProof');
  });

  it('still counts when invalidProof is only monitored: the version cannot be judged', () => {
    const lenient = { ...min, actions: { invalidProof: 'monitor' as const, unknownAppVersion: 'deny' as const } };
    const { decision, conditions } = decide(lenient, [
      source('token:approov', { platform: 'android', appVersion: 500 }),
      source('app-attest', { platform: 'ios', appVersion: '9.0.0' }),
    ]);
    expect(conditions).toContain('unknownAppVersion');
    expect(decision.action).toBe('deny');
  });

  it('an unknown platform is no side of a conflict', () => {
    const v = emptyVerdict();
    addAttested(v, source('token:approov', { platform: 'unknown' }));
    addAttested(v, source('play-integrity', { platform: 'android', appVersion: 500 }));
    expect(v.platform).toBe('android');
    expect(v.failedProofs).toEqual([]);
    addAttested(v, source('app-attest', { platform: 'ios' }));
    expect(v.platforms).toEqual(['android', 'ios']);
  });
});

describe('device-risk verifier: a token beside a Play Integrity verdict', () => {
  const NOW = Date.parse('2026-05-01T12:00:00Z');
  const keys = playKeys();

  async function run(claims: Record<string, unknown>, versionCode: number) {
    const verifier = createDeviceRiskVerifier(
      {
        playIntegrity: { packageName: PACKAGE, decryptionKey: keys.decryptionKey, verificationKey: keys.verificationKey },
        tokenClaims: { appVersion: 'ver', platform: 'os' },
        policy: { minAppVersion: { android: 420 } },
      },
      { store: new TestMemoryStore(() => NOW) },
    );
    const nonce = createHash('sha256').update('v2\nGET\n/accounts\n\nauthorization:\n').digest('base64url');
    const payload: PlayIntegrityPayload = genuinePayload(NOW, { nonce });
    payload.appIntegrity!.versionCode = String(versionCode);
    const attestation: Attestation = { provider: 'approov', claims };
    const memo = new Map<string, unknown>();
    const ctx: VerifierContext = {
      request: { method: 'GET', path: '/accounts', headers: { 'x-play-integrity': await playToken(keys, payload) }, ip: '198.51.100.7' },
      route: {} as VerifierContext['route'],
      ip: '198.51.100.7',
      now: NOW,
      attestation,
      memo,
      body: async () => undefined,
    };
    const out = await verifier.verify(ctx);
    return { out, detail: (out as { detail?: string }).detail ?? '', verdict: (memo.get(DEVICE_RISK_MEMO_KEY) as DeviceRiskMemo).verdict };
  }

  it('a signed versionCode below the minimum denies although the token claims a higher version', async () => {
    const { out, detail, verdict } = await run({ os: 'android', ver: 500 }, 400);
    expect(out).toMatchObject({ outcome: 'deny', code: 'device_untrusted' });
    expect(detail).toContain('outdatedApp:deny');
    expect(verdict.app.version).toBe(400);
    // Both at or above the minimum pass.
    expect((await run({ os: 'android', ver: 500 }, 420)).out).toEqual({ outcome: 'pass' });
  });

  it('a token naming iOS beside an Android verdict is an inconsistency, denied and named', async () => {
    const { out, detail, verdict } = await run({ os: 'ios', ver: '9.0.0' }, 500);
    expect(out).toMatchObject({ outcome: 'deny', code: 'device_untrusted' });
    expect(detail).toContain('invalidProof:deny');
    expect(detail).toContain('proofs=sources:platform_mismatch');
    expect(verdict.platform).toBe('unknown');
  });
});
