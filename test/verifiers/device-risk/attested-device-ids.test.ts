/**
 * A request can carry several signed device ids: a verified token's device id claim (added first) and the key id of
 * an App Attest assertion. The verdict keeps them all (`device.ids`, beside the first one in `device.id`); the policy
 * denies when any is denylisted and skips itself for an allowlisted device only when every id is allowlisted.
 */
import { describe, expect, it } from 'vitest';
import { createAppAttestRegistry } from '../../../src/attestation/app-attest/index.js';
import type { Attestation, VerifierContext } from '../../../src/core/verifier.js';
import {
  addAttested,
  addSelfReported,
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
const NO_LISTS = { actions: new Map(), weights: new Map() };
const DEVICE_LEVELS = ['MEETS_DEVICE_INTEGRITY', 'MEETS_BASIC_INTEGRITY'] as const;
const ca = new FakeAppleCa();

describe('addAttested: every attested device id is kept', () => {
  it('one id, or the same id twice, leaves `ids` unset (no list built); a second distinct id builds it', () => {
    const v = emptyVerdict();
    addAttested(v, { provider: 'token:approov', deviceId: 'did-1' });
    expect(v.device).toMatchObject({ id: 'did-1' });
    expect(v.device.ids).toBeUndefined();
    addAttested(v, { provider: 'play-integrity', deviceId: 'did-1' });
    expect(v.device.ids).toBeUndefined();
    addAttested(v, { provider: 'app-attest', deviceId: 'key-2' });
    addAttested(v, { provider: 'app-attest', deviceId: 'key-2' });
    addAttested(v, { provider: 'other', deviceId: 'key-3' });
    expect(v.device.id).toBe('did-1'); // the first stays where readers of `device.id` look
    expect(v.device.ids).toEqual(['did-1', 'key-2', 'key-3']);
  });

  it('a self-reported id stays apart (`reportedId`), never in the attested ids', () => {
    const v = emptyVerdict();
    addAttested(v, { provider: 'app-attest', deviceId: 'key-1' });
    addSelfReported(v, { signals: [], deviceId: 'reported' });
    expect(v.device).toMatchObject({ id: 'key-1', reportedId: 'reported' });
    expect(v.device.ids).toBeUndefined();
  });
});

describe('evaluatePolicy with several attested ids', () => {
  function decide(policy: PolicyOptions, ids: string[], reportedId?: string) {
    const v = emptyVerdict();
    for (const id of ids) addAttested(v, { provider: 'p', deviceId: id, levels: DEVICE_LEVELS, platform: 'ios' });
    if (reportedId !== undefined) addSelfReported(v, { signals: [], deviceId: reportedId });
    return evaluatePolicy(compilePolicy(policy, NO_LISTS, undefined, undefined), v);
  }
  const strict = { requiredLevel: 'MEETS_STRONG_INTEGRITY' } as const;

  it('denies when any attested id is denylisted, whichever source named it first', () => {
    expect(decide({ devices: { deny: ['bad'] } }, ['token-id', 'bad']).reasons.map((r) => r.condition)).toContain('deviceDenied');
    expect(decide({ devices: { deny: ['bad'] } }, ['bad', 'key-id']).action).toBe('deny');
    expect(decide({ devices: { deny: ['bad'] } }, ['a', 'b', 'bad']).action).toBe('deny');
    expect(decide({ devices: { deny: ['bad'] } }, ['a', 'b']).action).toBe('allow');
  });

  it('skips the policy for an allowlisted device only when every attested id is allowlisted', () => {
    // Without the list the strict level denies (MEETS_DEVICE_INTEGRITY only).
    expect(decide(strict, ['qa-token', 'qa-key']).action).toBe('deny');
    expect(decide({ ...strict, devices: { allow: ['qa-token', 'qa-key'] } }, ['qa-token', 'qa-key'])).toMatchObject({
      action: 'allow',
      reasons: [{ condition: 'deviceAllowed' }],
    });
    // An allowlisted id beside an unlisted one is not the allowlisted device: the policy judges it.
    const paired = decide({ ...strict, devices: { allow: ['qa-token'] } }, ['qa-token', 'other-key']);
    expect(paired.action).toBe('deny');
    expect(paired.reasons.map((r) => r.condition)).toEqual(['integrityBelowRequired']);
    expect(decide({ ...strict, devices: { allow: ['qa-key'] } }, ['other-token', 'qa-key']).action).toBe('deny');
  });

  it('deny wins over allow: an id on both lists is denied', () => {
    const both = { ...strict, devices: { allow: ['qa', 'x'], deny: ['x'] } };
    expect(decide(both, ['x']).reasons.map((r) => r.condition)).toContain('deviceDenied');
    expect(decide(both, ['qa', 'x']).action).toBe('deny');
    expect(decide(both, ['qa']).action).toBe('allow');
  });

  it('self-reported ids keep their role: matched against deny only', () => {
    expect(decide({ devices: { deny: ['stolen'] } }, ['a', 'b'], 'stolen').action).toBe('deny');
    expect(decide({ ...strict, devices: { allow: ['a', 'b', 'qa'] } }, ['a', 'b'], 'qa').action).toBe('allow');
    expect(decide({ ...strict, devices: { allow: ['qa'] } }, [], 'qa').action).toBe('deny');
  });

  it('a verdict with an empty `ids` and no `id` is on no list', () => {
    const v = emptyVerdict();
    v.trust = 'attested';
    v.device.levels = [...DEVICE_LEVELS];
    v.device.ids = [];
    expect(evaluatePolicy(compilePolicy({ ...strict, devices: { allow: ['qa'] } }, NO_LISTS, undefined, undefined), v).action).toBe('deny');
  });
});

describe('device-risk verifier: an App Attest key id beside a token device id', () => {
  const ctx = (headers: Record<string, string>, attestation?: Attestation): VerifierContext => ({
    request: { method: 'POST', path: '/pay', headers, ip: '203.0.113.5' },
    route: {} as VerifierContext['route'],
    ip: '203.0.113.5',
    now: NOW,
    ...(attestation ? { attestation } : {}),
    memo: new Map(),
    body: async () => undefined,
  });

  /** A registered App Attest device; `policy` may name its key id (only known once the key exists). */
  async function device(policy: (keyId: string) => NonNullable<DeviceRiskOptions['policy']>) {
    const store = new TestMemoryStore(() => NOW);
    const registry = createAppAttestRegistry({ store, teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: ca.root });
    const key = deviceKey();
    const challenge = Buffer.from('one-time-challenge');
    await registry.register({ attestationObject: ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge }), challenge, keyId: key.keyId, now: NOW - 7 * 86_400_000 });
    const keyId = key.keyId.toString('base64');
    const verifier = createDeviceRiskVerifier(
      {
        appAttest: { teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: ca.root },
        tokenClaims: { deviceId: 'did' },
        policy: policy(keyId),
      },
      { store },
    );
    let counter = 0;
    const assertion = () => ({
      'x-app-attest-key-id': keyId,
      'x-app-attest-assertion': assert(key, { teamId: TEAM, bundleId: BUNDLE, counter: ++counter, clientData: CLIENT_DATA }).toString('base64'),
    });
    return { keyId, verifier, assertion };
  }
  const token: Attestation = { provider: 'approov', claims: { did: 'approov-install-42' } };
  const strict = { requiredLevel: 'MEETS_STRONG_INTEGRITY' } as const;

  it('the verdict on the Decision names the token id first and lists both', async () => {
    const d = await device(() => ({}));
    const c = ctx(d.assertion(), token);
    expect(await d.verifier.verify(c)).toEqual({ outcome: 'pass' });
    const { verdict } = c.memo.get(DEVICE_RISK_MEMO_KEY) as DeviceRiskMemo;
    expect(verdict.device.id).toBe('approov-install-42');
    expect(verdict.device.ids).toEqual(['approov-install-42', d.keyId]);
  });

  it('a denylisted App Attest key still denies beside a token naming another device id', async () => {
    const d = await device((keyId) => ({ requiredLevel: 'MEETS_DEVICE_INTEGRITY', devices: { deny: [keyId] } }));
    expect(await d.verifier.verify(ctx(d.assertion()))).toMatchObject({ outcome: 'deny', code: 'device_untrusted' });
    expect(await d.verifier.verify(ctx(d.assertion(), token))).toMatchObject({ outcome: 'deny', code: 'device_untrusted', detail: expect.stringContaining('deviceDenied') });
  });

  it('a denylisted token id still denies beside a clean App Attest key', async () => {
    const d = await device(() => ({ devices: { deny: ['approov-install-42'] } }));
    expect(await d.verifier.verify(ctx(d.assertion(), token))).toMatchObject({ outcome: 'deny', detail: expect.stringContaining('deviceDenied') });
  });

  it('an allowlisted token id does not let an unlisted App Attest key skip the policy', async () => {
    const d = await device(() => ({ ...strict, devices: { allow: ['approov-install-42'] } }));
    expect(await d.verifier.verify(ctx({}, token))).toMatchObject({ outcome: 'pass', detail: expect.stringContaining('deviceAllowed') });
    const out = await d.verifier.verify(ctx(d.assertion(), token));
    expect(out).toMatchObject({ outcome: 'deny', code: 'device_untrusted', detail: expect.stringContaining('integrityBelowRequired') });
  });

  it('a device whose ids are all allowlisted skips the policy', async () => {
    const d = await device((keyId) => ({ ...strict, devices: { allow: ['approov-install-42', keyId] } }));
    expect(await d.verifier.verify(ctx(d.assertion(), token))).toMatchObject({ outcome: 'pass', detail: expect.stringContaining('deviceAllowed') });
  });
});
