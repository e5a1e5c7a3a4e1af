import { describe, expect, it } from 'vitest';
import {
  compilePolicy,
  emptyVerdict,
  evaluatePolicy,
  type DeviceRouteOptions,
  type DeviceSignal,
  type DeviceVerdict,
  type PolicyOptions,
} from '../../../src/verifiers/device-risk/index.js';
import type { DeviceLevel } from '../../../src/attestation/play-integrity/index.js';

const NO_LISTS = { actions: new Map(), weights: new Map() };

/** A bank's policy: strict in DE, lenient about rooting in IN (where rooted phones are ordinary), payments strong. */
const POLICY: PolicyOptions = {
  actions: { rooted: 'deny', emulator: 'step-up' },
  minAppVersion: { android: 420, ios: '5.2.0' },
  requiredLevel: 'MEETS_BASIC_INTEGRITY',
  markets: {
    IN: { actions: { rooted: 'allow' } },
    DE: { actions: { debugger: 'deny' }, thresholds: { stepUp: 40 } },
    BR: { minAppVersion: { android: 500 } },
  },
  sensitivities: {
    payments: { requiredLevel: 'MEETS_STRONG_INTEGRITY', actions: { newDevice: 'step-up' } },
    browsing: { requiredLevel: 'MEETS_BASIC_INTEGRITY', actions: { emulator: 'monitor' } },
  },
  devices: { allow: ['qa-device-1'], deny: ['stolen-device-9'] },
};

interface Case {
  name: string;
  market?: string;
  route?: DeviceRouteOptions;
  platform?: 'android' | 'ios' | 'unknown';
  levels?: DeviceLevel[];
  signals?: DeviceSignal[];
  version?: string | number;
  reportedVersion?: string;
  /** No signed app version in the verdict. */
  unsignedVersionOnly?: boolean;
  deviceId?: string;
  reportedId?: string;
  attested?: boolean;
  failedProofs?: string[];
  expect: 'allow' | 'monitor' | 'step-up' | 'deny';
  because?: string[];
}

const STRONG: DeviceLevel[] = ['MEETS_STRONG_INTEGRITY', 'MEETS_DEVICE_INTEGRITY', 'MEETS_BASIC_INTEGRITY'];
const DEVICE: DeviceLevel[] = ['MEETS_DEVICE_INTEGRITY', 'MEETS_BASIC_INTEGRITY'];
const BASIC: DeviceLevel[] = ['MEETS_BASIC_INTEGRITY'];

function verdict(c: Case): DeviceVerdict {
  const v = emptyVerdict();
  if (c.attested ?? true) {
    v.trust = 'attested';
    v.provider = 'play-integrity';
  }
  v.platform = c.platform ?? 'android';
  v.device.levels = c.levels ?? DEVICE;
  for (const s of c.signals ?? []) v.device.signals[s] = true;
  v.app.version = c.unsignedVersionOnly ? undefined : (c.version ?? (v.platform === 'android' ? 430 : '5.3.0'));
  if (c.reportedVersion !== undefined) v.app.reportedVersion = c.reportedVersion;
  if (c.deviceId !== undefined) v.device.id = c.deviceId;
  if (c.reportedId !== undefined) v.device.reportedId = c.reportedId;
  v.failedProofs = c.failedProofs ?? [];
  return v;
}

const cases: Case[] = [
  // Markets
  { name: 'genuine device, no market', expect: 'allow' },
  { name: 'rooted, no market: base denies', signals: ['rooted'], expect: 'deny', because: ['rooted:deny'] },
  { name: 'rooted in IN: ordinary phone', market: 'IN', signals: ['rooted'], expect: 'allow' },
  { name: 'rooted in DE: denied', market: 'DE', signals: ['rooted'], expect: 'deny' },
  { name: 'rooted in an unlisted market (FR): base', market: 'FR', signals: ['rooted'], expect: 'deny' },
  { name: 'debugger alone: monitored', signals: ['debugger'], expect: 'monitor', because: ['debugger:monitor'] },
  { name: 'debugger in DE: denied', market: 'DE', signals: ['debugger'], expect: 'deny' },
  { name: 'DE lower threshold: unofficial store + mitm (45) steps up', market: 'DE', signals: ['unofficialStore', 'mitm'], expect: 'step-up' },
  { name: 'same in FR (45 < 60): monitored', market: 'FR', signals: ['unofficialStore', 'mitm'], expect: 'monitor' },
  // Combinations through the score
  { name: 'virtual + debugger + new device = 50: monitored', signals: ['virtualDevice', 'debugger', 'newDevice'], expect: 'monitor' },
  { name: 'mitm + debugger + new device = 60: step-up', signals: ['mitm', 'debugger', 'newDevice'], expect: 'step-up' },
  { name: 'mitm + playProtectRisk + debugger + highActivity = 90: deny', signals: ['mitm', 'playProtectRisk', 'debugger', 'highActivity'], expect: 'deny' },
  { name: 'hooked alone: denied by default', signals: ['hooked'], expect: 'deny', because: ['hooked:deny'] },
  { name: 'emulator: base step-up', signals: ['emulator'], expect: 'step-up' },
  { name: 'emulator on a browsing route: monitored', route: { sensitivity: 'browsing' }, signals: ['emulator'], expect: 'monitor' },
  // Misfiring signals are allowed (and not scored)
  { name: 'device binding changed (reinstall): allowed', signals: ['deviceBindingChanged'], expect: 'allow' },
  { name: 'no passcode + developer mode: allowed', signals: ['passcodeNotSet', 'developerMode'], expect: 'allow' },
  // Routes and levels
  { name: 'payments with device integrity: denied', route: { sensitivity: 'payments' }, levels: DEVICE, expect: 'deny', because: ['integrityBelowRequired:deny'] },
  { name: 'payments with strong integrity: allowed', route: { sensitivity: 'payments' }, levels: STRONG, expect: 'allow' },
  { name: 'payments strong but new device: step-up', route: { sensitivity: 'payments' }, levels: STRONG, signals: ['newDevice'], expect: 'step-up' },
  { name: 'browsing with basic: allowed', route: { sensitivity: 'browsing' }, levels: BASIC, expect: 'allow' },
  { name: 'no level at all: base requires basic', levels: [], expect: 'deny' },
  { name: 'virtual only: fails basic', levels: ['MEETS_VIRTUAL_INTEGRITY'], expect: 'deny' },
  { name: 'inline route override relaxes the level', route: { requiredLevel: 'none' }, levels: [], expect: 'allow' },
  { name: 'inline override beats the sensitivity', route: { sensitivity: 'payments', requiredLevel: 'MEETS_DEVICE_INTEGRITY' }, levels: DEVICE, expect: 'allow' },
  { name: 'payments in lenient IN still needs strong', market: 'IN', route: { sensitivity: 'payments' }, levels: BASIC, signals: ['rooted'], expect: 'deny' },
  { name: 'route may make level failure a step-up', route: { sensitivity: 'payments', actions: { integrityBelowRequired: 'step-up' } }, levels: DEVICE, expect: 'step-up' },
  // Versions
  { name: 'android versionCode 419 < 420: outdated', version: 419, expect: 'deny', because: ['outdatedApp:deny'] },
  { name: 'android versionCode 420: ok', version: 420, expect: 'allow' },
  { name: 'android 430 in BR (min 500): outdated', market: 'BR', version: 430, expect: 'deny' },
  { name: 'iOS 5.1.9 < 5.2.0: outdated', platform: 'ios', version: '5.1.9', expect: 'deny' },
  { name: 'iOS 5.10.0 > 5.2.0 (numeric segments)', platform: 'ios', version: '5.10.0', expect: 'allow' },
  { name: 'iOS 5.2: equal to 5.2.0', platform: 'ios', version: '5.2', expect: 'allow' },
  { name: 'self-reported older version lowers trust', platform: 'ios', version: '5.3.0', reportedVersion: '5.0.0', expect: 'deny' },
  { name: 'self-reported newer version cannot raise it', platform: 'ios', version: '5.0.0', reportedVersion: '9.9.9', expect: 'deny' },
  { name: 'route may lower the minimum', route: { minAppVersion: { android: 400 } }, version: 410, expect: 'allow' },
  { name: 'no signed version: unknown', unsignedVersionOnly: true, route: { actions: { unknownAppVersion: 'deny' } }, expect: 'deny', because: ['unknownAppVersion:deny'] },
  { name: 'no signed version, a newer one self-reported: still unknown', unsignedVersionOnly: true, reportedVersion: '999', route: { actions: { unknownAppVersion: 'deny' } }, expect: 'deny', because: ['unknownAppVersion:deny'] },
  { name: 'no signed version, an older one self-reported: outdated', unsignedVersionOnly: true, reportedVersion: '300', route: { actions: { unknownAppVersion: 'deny' } }, expect: 'deny', because: ['outdatedApp:deny'] },
  { name: 'no platform stated, a minimum set: the version is unknown', platform: 'unknown', version: '1.0.0', route: { actions: { unknownAppVersion: 'deny' } }, expect: 'deny', because: ['unknownAppVersion:deny'] },
  { name: 'a signed version that cannot be read, an older one self-reported: outdated', platform: 'ios', version: '5.1 (build 7)', reportedVersion: '1.0', expect: 'deny', because: ['outdatedApp:deny'] },
  { name: 'a signed version that cannot be read alone: unknown', platform: 'ios', version: '5.1 (build 7)', route: { actions: { unknownAppVersion: 'deny' } }, expect: 'deny', because: ['unknownAppVersion:deny'] },
  // Attestation and proofs
  { name: 'no attestation: denied', attested: false, levels: [], route: { requiredLevel: 'none' }, expect: 'deny', because: ['noAttestation:deny'] },
  { name: 'no attestation monitored on a public route', attested: false, levels: [], route: { requiredLevel: 'none', actions: { noAttestation: 'monitor' } }, expect: 'monitor' },
  { name: 'a failed proof: denied', failedProofs: ['app-attest:bad_signature'], expect: 'deny', because: ['invalidProof:deny'] },
  // Device lists
  { name: 'QA device (attested id) bypasses: rooted emulator allowed', deviceId: 'qa-device-1', signals: ['rooted', 'emulator', 'hooked'], expect: 'allow', because: ['deviceAllowed:allow'] },
  { name: 'QA id only self-reported: no bypass', reportedId: 'qa-device-1', signals: ['hooked'], expect: 'deny' },
  { name: 'denylisted attested id', deviceId: 'stolen-device-9', expect: 'deny', because: ['deviceDenied:deny'] },
  { name: 'denylisted self-reported id still denies', reportedId: 'stolen-device-9', expect: 'deny' },
];

describe('device-risk policy (table)', () => {
  it.each(cases)('$name → $expect', (c) => {
    const compiled = compilePolicy(POLICY, NO_LISTS, c.market, c.route);
    const decision = evaluatePolicy(compiled, verdict(c));
    expect(decision.action).toBe(c.expect);
    for (const reason of c.because ?? []) {
      expect(decision.reasons.map((r) => `${r.condition}:${r.action}`)).toContain(reason);
    }
  });

  it('scores add up over conditions and ignore allowed ones', () => {
    const compiled = compilePolicy(POLICY, NO_LISTS, undefined, undefined);
    const d = evaluatePolicy(compiled, verdict({ name: '', signals: ['debugger', 'newDevice', 'deviceBindingChanged'], expect: 'allow' }));
    expect(d.score).toBe(30);
    expect(d.reasons.map((r) => r.condition).sort()).toEqual(['debugger', 'newDevice']);
  });

  it('an unknown route sensitivity is a configuration error', () => {
    expect(() => compilePolicy(POLICY, NO_LISTS, undefined, { sensitivity: 'nope' })).toThrow(/unknown route sensitivity/);
  });

  it('IP list conditions take the list action and can be overridden per market', () => {
    const lists = { actions: new Map([['ip:tor', 'deny' as const]]), weights: new Map([['ip:tor', 40]]) };
    const policy: PolicyOptions = { markets: { NL: { actions: { 'ip:tor': 'monitor' } } } };
    const v = verdict({ name: '', expect: 'deny' });
    v.ipLists = ['tor'];
    expect(evaluatePolicy(compilePolicy(policy, lists, undefined, undefined), v).action).toBe('deny');
    expect(evaluatePolicy(compilePolicy(policy, lists, 'NL', undefined), v)).toMatchObject({ action: 'monitor', score: 40 });
  });

  it('defaults alone: a genuine attested device passes, a tampered app is denied', () => {
    const compiled = compilePolicy({}, NO_LISTS, undefined, undefined);
    expect(evaluatePolicy(compiled, verdict({ name: '', expect: 'allow' })).action).toBe('allow');
    expect(evaluatePolicy(compiled, verdict({ name: '', signals: ['tampered'], expect: 'deny' })).action).toBe('deny');
    expect(evaluatePolicy(compiled, verdict({ name: '', signals: ['unrecognizedApp'], expect: 'deny' })).action).toBe('deny');
    expect(evaluatePolicy(compiled, verdict({ name: '', signals: ['rooted'], expect: 'monitor' })).action).toBe('monitor');
  });
});
