/**
 * "Omitted keys keep the layer below", and a key set to `undefined` (an unset environment variable) counts as
 * omitted: every layered merge goes key by key, so it never erases a stricter value inherited from below. The same
 * holds for `device.headers` over the default header names, read by the header stage, the body stage and masking.
 */
import { describe, expect, it } from 'vitest';
import type { Attestation, VerifierContext } from '../../../src/core/verifier.js';
import {
  compilePolicy,
  createDeviceRiskVerifier,
  deviceRiskOptionsSchema,
  emptyVerdict,
  evaluatePolicy,
  type DeviceRouteOptions,
  type PolicyOptions,
} from '../../../src/verifiers/device-risk/index.js';
import { createDeviceBodyBindingVerifier } from '../../../src/verifiers/device-risk/body-binding.js';
import { deviceModule } from '../../../src/verifiers/device-risk/module.js';
import { TestMemoryStore } from '../../attestation/memory-store.js';

const NO_LISTS = { actions: new Map(), weights: new Map() };
const NOW = Date.parse('2026-05-01T12:00:00Z');
const unset = (): undefined => undefined; // what `process.env.SOMETHING_UNSET` gives

describe('compilePolicy: undefined keys in a layer keep the layer below', () => {
  it('minAppVersion, per platform, in a market, a sensitivity and a route layer', () => {
    const policy: PolicyOptions = {
      minAppVersion: { android: 420, ios: '5.2.0' },
      markets: { FR: { minAppVersion: { android: unset(), ios: '6.0.0' } } },
      sensitivities: { payments: { minAppVersion: { android: unset(), ios: unset() } } },
    };
    expect(compilePolicy(policy, NO_LISTS, 'FR', undefined).minAppVersion).toEqual({ android: 420, ios: '6.0.0' });
    expect(compilePolicy(policy, NO_LISTS, undefined, { sensitivity: 'payments' }).minAppVersion).toEqual({ android: 420, ios: '5.2.0' });
    const route: DeviceRouteOptions = { sensitivity: 'payments', minAppVersion: { android: 500, ios: unset() } };
    expect(compilePolicy(policy, NO_LISTS, 'FR', route).minAppVersion).toEqual({ android: 500, ios: '6.0.0' });
  });

  it('requiredLevelBySdk, per API level (a layer setting only it merges into the inherited table)', () => {
    const policy: PolicyOptions = { requiredLevel: 'MEETS_STRONG_INTEGRITY', requiredLevelBySdk: { 33: 'MEETS_DEVICE_INTEGRITY' } };
    // The type forbids it, but route options reach the verifier unchecked when the shield could not read them first.
    const route = { requiredLevelBySdk: { 33: unset(), 30: 'MEETS_BASIC_INTEGRITY' } } as unknown as DeviceRouteOptions;
    const compiled = compilePolicy(policy, NO_LISTS, undefined, route);
    expect(compiled.requiredLevelBySdk).toEqual([
      [33, 'MEETS_DEVICE_INTEGRITY'],
      [30, 'MEETS_BASIC_INTEGRITY'],
    ]);
    // An Android 14 device with device integrity meets the inherited Android 13+ level.
    const v = emptyVerdict();
    v.trust = 'attested';
    v.platform = 'android';
    v.device.levels = ['MEETS_DEVICE_INTEGRITY', 'MEETS_BASIC_INTEGRITY'];
    v.device.android = { levels: v.device.levels, sdkVersion: 34 };
    expect(evaluatePolicy(compiled, v).action).toBe('allow');
  });

  it('actions, weights and thresholds (already key by key: a guard against a regression to spreads)', () => {
    const policy: PolicyOptions = {
      actions: { rooted: 'deny' },
      weights: { emulator: 70 },
      thresholds: { stepUp: 50, deny: 80 },
      markets: { FR: { actions: { rooted: unset() }, weights: { emulator: unset() }, thresholds: { stepUp: unset(), deny: unset() } } },
    };
    const compiled = compilePolicy(policy, NO_LISTS, 'FR', undefined);
    expect(compiled.actions.get('rooted')).toBe(compilePolicy(policy, NO_LISTS, undefined, undefined).actions.get('rooted'));
    expect(compiled.weights.get('emulator')).toBe(70);
    expect([compiled.stepUp, compiled.deny]).toEqual([50, 80]);
  });
});

describe('device.headers: a name left undefined keeps its default', () => {
  const headers = { selfReported: unset(), playIntegrity: unset(), appAttestAssertion: unset() };

  it('the header stage still reads the default header (the self-reported signals here)', async () => {
    const verifier = createDeviceRiskVerifier(
      { headers, tokenClaims: { level: 'MEETS_DEVICE_INTEGRITY' }, policy: { actions: { rooted: 'deny' } } },
      { store: new TestMemoryStore(() => NOW) },
    );
    const attestation: Attestation = { provider: 'jwt', claims: {} };
    const ctx: VerifierContext = {
      request: { method: 'GET', path: '/feed', headers: { 'x-device-signals': 'rooted' }, ip: '203.0.113.5' },
      route: {} as VerifierContext['route'],
      ip: '203.0.113.5',
      now: NOW,
      attestation,
      memo: new Map(),
      body: async () => undefined,
    };
    expect(await verifier.verify(ctx)).toMatchObject({ outcome: 'deny', detail: expect.stringContaining('rooted:deny') });
  });

  it('the body stage applies to a request carrying a proof under the default header', () => {
    const body = createDeviceBodyBindingVerifier({ headers, playIntegrity: { packageName: 'com.example', decoder: async () => ({}) as never } });
    const request = { method: 'POST', path: '/pay', headers: { 'x-play-integrity': 'token' }, ip: '203.0.113.5' };
    expect(body.appliesTo!({} as never, request)).toBe(true);
  });

  it('the default header is masked', () => {
    const config = deviceRiskOptionsSchema.parse({ headers });
    const masked = deviceModule.sensitiveHeaders!(config);
    expect(masked).toEqual(expect.arrayContaining(['x-device-signals', 'x-play-integrity', 'x-app-attest-assertion']));
  });
});
