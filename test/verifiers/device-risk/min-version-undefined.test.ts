import { describe, expect, it } from 'vitest';
import type { Attestation, VerifierContext } from '../../../src/core/verifier.js';
import { createDeviceRiskVerifier, type DeviceRouteOptions } from '../../../src/verifiers/device-risk/index.js';
import { TestMemoryStore } from '../../attestation/memory-store.js';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const ctx = (attestation: Attestation, device?: DeviceRouteOptions): VerifierContext => ({
  request: { method: 'GET', path: '/feed', headers: {}, ip: '203.0.113.5' },
  route: (device ? { device } : {}) as VerifierContext['route'],
  ip: '203.0.113.5',
  now: NOW,
  attestation,
  memo: new Map(),
  body: async () => undefined,
});

describe('minAppVersion across layers', () => {
  it('a layer that leaves a platform undefined keeps the minimum of the layer below', async () => {
    const minIos = process.env.REVIEW_UNSET_MIN_IOS; // an unset variable: undefined
    const verifier = createDeviceRiskVerifier(
      {
        tokenClaims: { platform: 'os', appVersion: 'ver', level: 'MEETS_DEVICE_INTEGRITY' },
        policy: {
          minAppVersion: { android: 420 },
          sensitivities: { payments: { minAppVersion: { android: 500, ios: minIos } } },
          markets: {},
        },
      },
      { store: new TestMemoryStore(() => NOW) },
    );
    const old: Attestation = { provider: 'jwt', claims: { os: 'android', ver: 100 } };
    // Base layer: versionCode 100 < 420 is outdated.
    expect(await verifier.verify(ctx(old))).toMatchObject({ outcome: 'deny', code: 'device_untrusted' });
    // A route whose layer sets only android explicitly keeps it.
    expect(await verifier.verify(ctx(old, { minAppVersion: { android: 500 } }))).toMatchObject({ outcome: 'deny' });
    // Route inline options with an explicitly undefined android minimum (omitted in effect): the base 420 must still apply.
    const route: DeviceRouteOptions = { minAppVersion: { ios: '6.0.0', android: undefined } };
    expect(await verifier.verify(ctx(old, route))).toMatchObject({ outcome: 'deny', code: 'device_untrusted' });
  });
});
