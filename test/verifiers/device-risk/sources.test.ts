import { describe, expect, it } from 'vitest';
import {
  addAttested,
  addSelfReported,
  compareAppVersions,
  compileClaimMapping,
  emptyVerdict,
  parseSelfReportedSignals,
  playIntegrityContribution,
  requestBinding,
} from '../../../src/verifiers/device-risk/index.js';
import { genuinePayload } from '../../attestation/play-integrity/token-factory.js';

describe('token claims mapping', () => {
  const map = compileClaimMapping({
    signals: { 'dev.rooted': 'rooted', emu: { signal: 'emulator', equals: 'yes' }, risks: { signal: 'hooked', equals: 'frida' } },
    deviceId: 'did',
    appVersion: 'app.v',
    platform: 'os',
    levels: 'lv',
    level: 'MEETS_BASIC_INTEGRITY',
  });

  it('maps nested claims, equals-rules, arrays, ids, versions, platform and levels', () => {
    const c = map({
      provider: 'approov',
      claims: { dev: { rooted: true }, emu: 'yes', risks: ['frida', 'x'], did: 'dev-123', app: { v: '5.2.0' }, os: 'Android', lv: ['MEETS_DEVICE_INTEGRITY'] },
    });
    expect(c).toMatchObject({ provider: 'token:approov', platform: 'android', deviceId: 'dev-123', appVersion: '5.2.0' });
    expect([...(c.signals ?? [])].sort()).toEqual(['emulator', 'hooked', 'rooted']);
    expect(c.levels).toEqual(['MEETS_BASIC_INTEGRITY', 'MEETS_DEVICE_INTEGRITY', 'MEETS_BASIC_INTEGRITY']);
  });

  it('ignores absent, false, wrongly typed and prototype claims', () => {
    const c = map({ provider: 'p', claims: { dev: { rooted: false }, emu: 'no', risks: 'frida-like', did: 4.2, os: 'symbian', constructor: 'x' } });
    expect([...(c.signals ?? [])]).toEqual([]);
    expect(c.deviceId).toBeUndefined();
    expect(c.platform).toBe('unknown');
    const proto = compileClaimMapping({ signals: { 'toString.x': 'rooted' } })({ provider: 'p', claims: {} });
    expect([...(proto.signals ?? [])]).toEqual([]);
  });

  it('rejects a mapping onto an unknown signal at compile time', () => {
    expect(() => compileClaimMapping({ signals: { x: 'haunted' as never } })).toThrow(/unknown device signal/);
  });
});

describe('self-reported signals', () => {
  it.each([
    ['rooted, hooked', ['rooted', 'hooked']],
    ['privilegedAccess,simulator,hooks,appIntegrity,debug', ['rooted', 'emulator', 'hooked', 'tampered', 'debugger']],
    ['Frida , FRIDA, unknownThing', ['hooked']],
    ['', []],
    [',,,', []],
    ['passcode,deviceBinding,devMode', ['passcodeNotSet', 'deviceBindingChanged', 'developerMode']],
  ])('%j → %j', (header, expected) => {
    expect(parseSelfReportedSignals(header)).toEqual(expected);
  });

  it('is bounded: a huge header is cut, not parsed whole', () => {
    expect(parseSelfReportedSignals('rooted,'.repeat(100_000))).toEqual(['rooted']);
    // A signal past the bounds is never read (the header is cut by length and by entries): no timing needed to show
    // that the work stops there.
    expect(parseSelfReportedSignals(','.repeat(100_000) + 'rooted')).toEqual([]);
    expect(parseSelfReportedSignals('x,'.repeat(100_000) + 'emulator')).toEqual([]);
  });

  it('can only lower trust: it never clears an attested signal nor sets levels or ids', () => {
    const v = emptyVerdict();
    addAttested(v, { provider: 'play-integrity', levels: ['MEETS_DEVICE_INTEGRITY'], signals: ['mitm'], deviceId: 'att' });
    addSelfReported(v, { signals: ['rooted'], appVersion: '1.0', deviceId: 'self' });
    expect(v.trust).toBe('attested');
    expect(v.device.signals).toEqual({ mitm: true, rooted: true });
    expect(v.device.levels).toEqual(['MEETS_DEVICE_INTEGRITY']);
    expect(v.device.id).toBe('att');
    expect(v.device.reportedId).toBe('self');
    expect(v.app.version).toBeUndefined();
    const alone = emptyVerdict();
    addSelfReported(alone, { signals: [] });
    expect(alone.trust).toBe('self-reported');
  });

  it('an attested "not recognised" is never overridden by another attested source', () => {
    const v = emptyVerdict();
    addAttested(v, { provider: 'a', recognized: false });
    addAttested(v, { provider: 'b', recognized: true });
    expect(v.app.recognized).toBe(false);
  });
});

describe('Play Integrity → verdict', () => {
  it('maps verdicts onto signals', () => {
    const payload = genuinePayload(Date.now(), { nonce: 'n' });
    payload.appIntegrity!.appRecognitionVerdict = 'UNRECOGNIZED_VERSION';
    payload.accountDetails = { appLicensingVerdict: 'UNLICENSED' };
    payload.environmentDetails = { playProtectVerdict: 'HIGH_RISK', appAccessRiskVerdict: { appsDetected: ['UNKNOWN_CONTROLLING'] } };
    payload.deviceIntegrity!.recentDeviceActivity = { deviceActivityLevel: 'LEVEL_4' };
    const c = playIntegrityContribution({ payload, levels: ['MEETS_VIRTUAL_INTEGRITY'], issuedAt: 5, via: 'local' });
    expect([...(c.signals ?? [])].sort()).toEqual(
      ['highActivity', 'playProtectRisk', 'riskyApps', 'unlicensed', 'unrecognizedApp', 'virtualDevice'].sort(),
    );
    expect(c).toMatchObject({ platform: 'android', appVersion: 420, recognized: false, issuedAt: 5 });
  });

  it('a genuine verdict maps to no signals', () => {
    const payload = genuinePayload(Date.now(), { nonce: 'n' });
    const c = playIntegrityContribution({ payload, levels: ['MEETS_DEVICE_INTEGRITY', 'MEETS_BASIC_INTEGRITY'], issuedAt: 5, via: 'local' });
    expect([...(c.signals ?? [])]).toEqual([]);
  });
});

describe('app versions', () => {
  it.each([
    [420, 420, 0],
    [419, 420, -1],
    ['5.10.0', '5.2.0', 1],
    ['5.2', '5.2.0', 0],
    ['v5.2.1-beta', '5.2.1', 0],
    ['421', 420, 1],
  ] as const)('%j vs %j', (a, b, sign) => {
    expect(Math.sign(compareAppVersions(a, b)!)).toBe(sign);
  });

  it.each(['', 'latest', '5..2', '1.2.3.4.5.6.7.8', 'x'.repeat(200), '9'.repeat(30)])('%j is not a version', (v) => {
    expect(compareAppVersions(v, '1.0')).toBeUndefined();
  });
});

describe('request binding', () => {
  it('v1 is METHOD\\nPATH\\nBODYHASH and its SHA-256', () => {
    const b = requestBinding({ method: 'post', path: '/pay/%2F1', headers: { 'x-shield-body-sha256': 'abc' }, ip: '' }, 'x-shield-body-sha256', { version: 'v1' });
    expect(b.clientData).toBe('POST\n/pay/%2F1\nabc');
    expect(b.digest.toString('hex')).toBe(
      require('node:crypto').createHash('sha256').update('POST\n/pay/%2F1\nabc').digest('hex'),
    );
    expect(b.digestBase64Url).toBe(b.digest.toString('base64url'));
    expect(requestBinding({ method: 'GET', path: '/a', headers: {}, ip: '' }, 'x-shield-body-sha256', { version: 'v1' }).clientData).toBe('GET\n/a\n');
  });
});
