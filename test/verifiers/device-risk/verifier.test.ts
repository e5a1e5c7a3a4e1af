import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAppAttestRegistry } from '../../../src/attestation/app-attest/index.js';
import type { Attestation, VerifierContext, VerifierOutcome } from '../../../src/core/verifier.js';
import {
  createDeviceRiskVerifier,
  deviceRiskOptionsSchema,
  DEVICE_RISK_MEMO_KEY,
  type DeviceRiskMemo,
  type DeviceRiskOptions,
  type DeviceRouteOptions,
} from '../../../src/verifiers/device-risk/index.js';
import { TestMemoryStore } from '../../attestation/memory-store.js';
import { assert, deviceKey, FakeAppleCa } from '../../attestation/app-attest/fake-apple.js';
import { genuinePayload, PACKAGE, playKeys, playToken } from '../../attestation/play-integrity/token-factory.js';
import type { PlayIntegrityPayload } from '../../../src/attestation/play-integrity/index.js';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const TEAM = 'ABCDE12345';
const BUNDLE = 'com.example.bank';
const keys = playKeys();
const ca = new FakeAppleCa();

interface CtxInput {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  ip?: string;
  device?: DeviceRouteOptions | false;
  attestation?: Attestation;
  fromTrustedProxy?: boolean;
  memo?: Map<string, unknown>;
}

function ctx(i: CtxInput = {}): VerifierContext & { fromTrustedProxy: boolean } {
  return {
    request: { method: i.method ?? 'POST', path: i.path ?? '/pay', headers: i.headers ?? {}, ip: i.ip ?? '203.0.113.5' },
    route: (i.device === undefined ? {} : { device: i.device }) as VerifierContext['route'],
    ip: i.ip ?? '203.0.113.5',
    now: NOW,
    ...(i.attestation ? { attestation: i.attestation } : {}),
    memo: i.memo ?? new Map(),
    fromTrustedProxy: i.fromTrustedProxy ?? false,
    body: async () => undefined,
  };
}

const digest = (method: string, path: string, bodyHash = ''): Buffer =>
  createHash('sha256').update(canonical(method, path, bodyHash)).digest();
/** The default (v2) canonical request: no query string, no Authorization header. */
const canonical = (method: string, path: string, bodyHash = ''): string => `v2\n${method}\n${path}\n\nauthorization:\n${bodyHash}`;

function setup(extra: Partial<DeviceRiskOptions> = {}) {
  const store = new TestMemoryStore(() => NOW);
  const verifier = createDeviceRiskVerifier(
    {
      playIntegrity: { packageName: PACKAGE, decryptionKey: keys.decryptionKey, verificationKey: keys.verificationKey },
      appAttest: { teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: ca.root },
      tokenClaims: { signals: { rooted: 'rooted' }, platform: 'os', appVersion: 'ver', level: 'MEETS_DEVICE_INTEGRITY' },
      ipReputation: { lists: [{ name: 'tor', cidrs: ['185.220.100.0/22'], action: 'deny', weight: 50 }] },
      country: { headers: ['cf-ipcountry'] },
      policy: {
        minAppVersion: { android: 420, ios: '5.2.0' },
        markets: { DE: { actions: { rooted: 'deny' } }, IN: { actions: { rooted: 'allow' } } },
        sensitivities: { payments: { requiredLevel: 'MEETS_STRONG_INTEGRITY' } },
      },
      ...extra,
    },
    { store },
  );
  return { store, verifier };
}

async function run(v: ReturnType<typeof setup>['verifier'], c: VerifierContext): Promise<VerifierOutcome> {
  return v.verify(c);
}

async function playHeaders(method: string, path: string, mutate?: (p: PlayIntegrityPayload) => void) {
  const payload = genuinePayload(NOW, { nonce: digest(method, path).toString('base64url') });
  mutate?.(payload);
  return { 'x-play-integrity': await playToken(keys, payload) };
}

describe('device-risk verifier: Play Integrity', () => {
  it('a genuine Android request passes and leaves the verdict on ctx.memo', async () => {
    const { verifier } = setup();
    const c = ctx({ headers: await playHeaders('POST', '/pay') });
    expect(await run(verifier, c)).toEqual({ outcome: 'pass' });
    const memo = c.memo.get(DEVICE_RISK_MEMO_KEY) as DeviceRiskMemo;
    expect(memo.verdict).toMatchObject({
      provider: 'play-integrity',
      platform: 'android',
      trust: 'attested',
      app: { id: PACKAGE, version: 420, recognized: true },
    });
    expect(memo.verdict.device.levels).toEqual(['MEETS_DEVICE_INTEGRITY', 'MEETS_BASIC_INTEGRITY']);
    expect(memo.decision.action).toBe('allow');
  });

  it('a token made for another request is refused, and detail names the reason but never the token', async () => {
    const { verifier } = setup();
    const headers = await playHeaders('POST', '/profile');
    const out = await run(verifier, ctx({ headers }));
    expect(out).toMatchObject({ outcome: 'deny', code: 'device_untrusted' });
    const detail = (out as { detail: string }).detail;
    expect(detail).toContain('play-integrity:nonce_mismatch');
    expect(detail).toContain('invalidProof:deny');
    expect(detail).not.toContain(headers['x-play-integrity'].slice(0, 16));
  });

  it('the body-hash header is part of the binding', async () => {
    const { verifier } = setup();
    const bodyHash = createHash('sha256').update('{"amount":10}').digest('base64url');
    const payload = genuinePayload(NOW, { nonce: digest('POST', '/pay', bodyHash).toString('base64url') });
    const token = await playToken(keys, payload);
    expect(await run(verifier, ctx({ headers: { 'x-play-integrity': token, 'x-shield-body-sha256': bodyHash } }))).toEqual({ outcome: 'pass' });
    const other = createHash('sha256').update('{"amount":99999}').digest('base64url');
    expect(await run(verifier, ctx({ headers: { 'x-play-integrity': token, 'x-shield-body-sha256': other } }))).toMatchObject({
      outcome: 'deny',
    });
  });

  it('a replayed token is refused the second time', async () => {
    const { verifier } = setup();
    const headers = await playHeaders('POST', '/pay');
    expect(await run(verifier, ctx({ headers }))).toEqual({ outcome: 'pass' });
    const out = await run(verifier, ctx({ headers }));
    expect(out).toMatchObject({ outcome: 'deny', code: 'device_untrusted' });
    expect((out as { detail: string }).detail).toContain('play-integrity:replayed');
  });

  it('an outdated app version is refused', async () => {
    const { verifier } = setup();
    const headers = await playHeaders('POST', '/pay', (p) => (p.appIntegrity!.versionCode = '400'));
    const out = await run(verifier, ctx({ headers }));
    expect(out).toMatchObject({ outcome: 'deny', code: 'device_untrusted' });
    expect((out as { detail: string }).detail).toContain('outdatedApp:deny');
  });

  it('payments needs strong integrity; browsing the same device passes', async () => {
    const { verifier } = setup();
    const deny = await run(verifier, ctx({ headers: await playHeaders('POST', '/pay'), device: { sensitivity: 'payments' } }));
    expect((deny as { detail: string }).detail).toContain('integrityBelowRequired');
    const strong = await playHeaders('POST', '/pay', (p) => (p.deviceIntegrity!.deviceRecognitionVerdict = ['MEETS_STRONG_INTEGRITY']));
    expect(await run(verifier, ctx({ headers: strong, device: { sensitivity: 'payments' } }))).toEqual({ outcome: 'pass' });
  });

  it('an unrecognised app is denied (a signal, judged by the policy)', async () => {
    const { verifier } = setup();
    const headers = await playHeaders('POST', '/pay', (p) => (p.appIntegrity = { appRecognitionVerdict: 'UNRECOGNIZED_VERSION', packageName: PACKAGE }));
    const out = await run(verifier, ctx({ headers }));
    expect((out as { detail: string }).detail).toContain('unrecognizedApp:deny');
  });
});

describe('device-risk verifier: App Attest', () => {
  async function registeredDevice(store: TestMemoryStore, registeredAt = NOW) {
    const registry = createAppAttestRegistry({ store, teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: ca.root });
    const key = deviceKey();
    const challenge = Buffer.from('one-time-challenge');
    await registry.register({
      attestationObject: ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge }),
      challenge,
      keyId: key.keyId,
      now: registeredAt,
    });
    const headersFor = (counter: number, method = 'POST', path = '/pay') => ({
      'x-app-attest-key-id': key.keyId.toString('base64'),
      'x-app-attest-assertion': assert(key, { teamId: TEAM, bundleId: BUNDLE, counter, clientData: canonical(method, path) }).toString('base64'),
    });
    return { key, headersFor };
  }

  it('a genuine assertion passes; the new device is monitored; a replay is refused', async () => {
    const { verifier, store } = setup();
    const { key, headersFor } = await registeredDevice(store);
    const c = ctx({ headers: headersFor(1) });
    const out = await run(verifier, c);
    expect(out).toMatchObject({ outcome: 'pass', detail: expect.stringContaining('newDevice:monitor') });
    const memo = c.memo.get(DEVICE_RISK_MEMO_KEY) as DeviceRiskMemo;
    expect(memo.verdict).toMatchObject({ provider: 'app-attest', platform: 'ios', device: { id: key.keyId.toString('base64') } });
    const replay = await run(verifier, ctx({ headers: headersFor(1) }));
    expect(replay).toMatchObject({ outcome: 'deny', code: 'device_untrusted' });
    expect((replay as { detail: string }).detail).toContain('app-attest:counter_not_increasing');
    expect(await run(verifier, ctx({ headers: headersFor(2) }))).toMatchObject({ outcome: 'pass' });
  });

  it('a device registered long ago is not new', async () => {
    const { verifier, store } = setup();
    const { headersFor } = await registeredDevice(store, NOW - 7 * 86_400_000);
    expect(await run(verifier, ctx({ headers: headersFor(1) }))).toEqual({ outcome: 'pass' });
  });

  it('two concurrent requests with the same assertion: exactly one passes', async () => {
    const { verifier, store } = setup();
    const { headersFor } = await registeredDevice(store);
    const headers = headersFor(1);
    const outs = await Promise.all([run(verifier, ctx({ headers })), run(verifier, ctx({ headers }))]);
    expect(outs.filter((o) => o.outcome === 'pass')).toHaveLength(1);
    expect(outs.filter((o) => o.outcome === 'deny')).toHaveLength(1);
  });

  it('a re-check of the same request reuses the verified proof instead of re-spending the counter', async () => {
    const { verifier, store } = setup();
    const { headersFor } = await registeredDevice(store);
    const memo = new Map<string, unknown>();
    const headers = headersFor(1);
    expect(await run(verifier, ctx({ headers, memo }))).toMatchObject({ outcome: 'pass' });
    const setIfGreater = store.calls.setIfGreater;
    // Route-level re-check with stricter options: judged again, not verified again.
    const again = await run(verifier, ctx({ headers, memo, device: { sensitivity: 'payments' } }));
    expect(again).toMatchObject({ outcome: 'deny', detail: expect.stringContaining('integrityBelowRequired') });
    expect(store.calls.setIfGreater).toBe(setIfGreater);
  });

  it('an assertion for another request, an unknown key, and a missing key id are refused', async () => {
    const { verifier, store } = setup();
    const { headersFor } = await registeredDevice(store);
    const moved = await run(verifier, ctx({ headers: headersFor(1, 'POST', '/pay'), path: '/transfer' }));
    expect((moved as { detail: string }).detail).toContain('app-attest:bad_signature');
    const unknown = { ...headersFor(2), 'x-app-attest-key-id': Buffer.alloc(32, 9).toString('base64') };
    expect((await run(verifier, ctx({ headers: unknown })) as { detail: string }).detail).toContain('app-attest:unknown_key');
    const { 'x-app-attest-key-id': _k, ...noKey } = headersFor(3);
    expect((await run(verifier, ctx({ headers: noKey })) as { detail: string }).detail).toContain('app-attest:malformed');
    const junk = { ...headersFor(4), 'x-app-attest-assertion': '!!!notbase64!!!' };
    expect((await run(verifier, ctx({ headers: junk })) as { detail: string }).detail).toContain('app-attest:malformed');
  });

  it('a store outage makes the verifier reject (the core answers 503), never pass', async () => {
    const { verifier, store } = setup();
    const { headersFor } = await registeredDevice(store);
    store.failWith = new Error('store down');
    await expect(Promise.resolve(verifier.verify(ctx({ headers: headersFor(1) })))).rejects.toThrow('store down');
  });
});

describe('device-risk verifier: token claims, self-reported signals, markets, IP lists, routes', () => {
  const token = (claims: Record<string, unknown>): Attestation => ({ provider: 'approov', claims: { os: 'android', ver: 430, ...claims } });

  it.each([
    ['rooted device in strict DE: denied', { rooted: true }, 'DE', 'deny'],
    ['rooted device in lenient IN: allowed', { rooted: true }, 'IN', 'pass'],
    ['rooted device elsewhere: monitored', { rooted: true }, 'FR', 'pass'],
    ['genuine device in DE', {}, 'DE', 'pass'],
  ] as const)('%s', async (_n, claims, country, outcome) => {
    const { verifier } = setup();
    const out = await run(verifier, ctx({ attestation: token(claims), headers: { 'cf-ipcountry': country }, fromTrustedProxy: true }));
    expect(out.outcome).toBe(outcome);
    if (outcome === 'pass' && country === 'IN') expect(out).toEqual({ outcome: 'pass' });
  });

  it('a country header from an untrusted peer does not pick the lenient market', async () => {
    const { verifier } = setup({ policy: { actions: { rooted: 'deny' }, markets: { IN: { actions: { rooted: 'allow' } } } } });
    const spoofed = ctx({ attestation: token({ rooted: true }), headers: { 'cf-ipcountry': 'IN' }, fromTrustedProxy: false });
    expect((await run(verifier, spoofed)).outcome).toBe('deny');
  });

  it('an emulator with Frida (self-reported, freeRASP names) is denied even with a valid token', async () => {
    const { verifier } = setup();
    const out = await run(verifier, ctx({ attestation: token({}), headers: { 'x-device-signals': 'simulator,hooks' } }));
    expect(out).toMatchObject({ outcome: 'deny', code: 'device_untrusted' });
    expect((out as { detail: string }).detail).toContain('hooked:deny');
    expect((out as { detail: string }).detail).toContain('emulator:monitor');
  });

  it('a combination steps up where each signal alone passes', async () => {
    const { verifier } = setup();
    const alone = await run(verifier, ctx({ attestation: token({}), headers: { 'x-device-signals': 'mitm' } }));
    expect(alone.outcome).toBe('pass');
    const combo = await run(verifier, ctx({ attestation: token({}), headers: { 'x-device-signals': 'mitm,debug,virtualDevice' } }));
    expect(combo).toMatchObject({ outcome: 'deny', code: 'device_step_up' });
  });

  it('self-reported signals alone never make a request attested', async () => {
    const { verifier } = setup();
    const out = await run(verifier, ctx({ headers: { 'x-device-signals': '' , 'x-app-version': '9.9.9' } }));
    expect((out as { detail: string }).detail).toContain('noAttestation:deny');
  });

  it('a self-reported old version is enough to refuse', async () => {
    const { verifier } = setup();
    const out = await run(verifier, ctx({ attestation: token({}), headers: { 'x-app-version': '100' } }));
    expect((out as { detail: string }).detail).toContain('outdatedApp');
  });

  it('an IP on a deny list is refused', async () => {
    const { verifier } = setup();
    const out = await run(verifier, ctx({ attestation: token({}), ip: '185.220.101.3' }));
    expect(out).toMatchObject({ outcome: 'deny', detail: expect.stringContaining('ip:tor:deny') });
  });

  it('without any proof the answer is immediate (no promise) and denies', () => {
    const { verifier } = setup();
    const out = verifier.verify(ctx());
    expect(out).not.toBeInstanceOf(Promise);
    expect(out).toMatchObject({ outcome: 'deny', code: 'device_untrusted' });
  });

  it('a route with device: false is not applicable and skips', () => {
    const { verifier } = setup();
    expect(verifier.appliesTo?.({ device: false } as never, ctx().request)).toBe(false);
    expect(verifier.appliesTo?.({} as never, ctx().request)).toBe(true);
    expect(verifier.verify(ctx({ device: false }))).toEqual({ outcome: 'skip' });
    expect(verifier).toMatchObject({ name: 'device-risk', stage: 'headers' });
  });

  it('an unknown route sensitivity denies (fail closed: a deny, not an error failOpen would pass); checkRouteOptions names it', () => {
    const { verifier } = setup();
    expect(verifier.verify(ctx({ attestation: token({}), device: { sensitivity: 'nope' } }))).toMatchObject({ outcome: 'deny', code: 'device_untrusted' });
    expect(verifier.checkRouteOptions?.({ device: { sensitivity: 'nope' } } as never)).toMatch(/"nope" is not one of device\.policy\.sensitivities/);
  });

  it('requests with the same verified token share one frozen judgement; what a request adds is judged on its own', () => {
    const { verifier } = setup();
    // Frozen, as the token verifier hands it out (and the same object for every request with that token).
    const frozen = (a: Attestation): Attestation => Object.freeze({ ...a, claims: Object.freeze({ ...a.claims }) });
    const rooted = frozen(token({ rooted: true }));
    const judged = (c: CtxInput) => {
      const memo = new Map<string, unknown>();
      const outcome = verifier.verify(ctx({ attestation: rooted, memo, ...c })) as VerifierOutcome;
      return { outcome, memo: memo.get(DEVICE_RISK_MEMO_KEY) as DeviceRiskMemo };
    };
    const first = judged({});
    expect(first.outcome).toMatchObject({ outcome: 'pass', detail: expect.stringContaining('rooted:monitor') });
    const second = judged({});
    expect(second.memo).toBe(first.memo);
    expect(second.outcome).toBe(first.outcome);
    expect(Object.isFrozen(first.memo.verdict.device.signals)).toBe(true);
    expect(Object.isFrozen(first.memo.decision.reasons[0])).toBe(true);
    // Another attestation object (another token with the same claims) gets its own, equal, judgement.
    const other = verifier.verify(ctx({ attestation: frozen(token({ rooted: true })) }));
    expect(other).not.toBe(first.outcome);
    expect(other).toEqual(first.outcome);
    // An attestation that is not frozen (a custom module's, which may still change) is judged every time.
    const mutable = token({ rooted: true });
    const once = verifier.verify(ctx({ attestation: mutable }));
    (mutable.claims as Record<string, unknown>).rooted = false;
    expect(once).toEqual(first.outcome);
    expect(verifier.verify(ctx({ attestation: mutable }))).toEqual({ outcome: 'pass' });
    // A country from a trusted proxy, an IP list, a self-reported header, a route's own policy: not the shared one.
    expect(judged({ headers: { 'cf-ipcountry': 'DE' }, fromTrustedProxy: true }).outcome).toMatchObject({ outcome: 'deny' });
    expect(judged({ ip: '185.220.101.3' }).outcome).toMatchObject({ outcome: 'deny', detail: expect.stringContaining('ip:tor:deny') });
    expect(judged({ headers: { 'x-device-signals': 'hooks' } }).outcome).toMatchObject({ outcome: 'deny', detail: expect.stringContaining('hooked:deny') });
    const payments = judged({ device: { sensitivity: 'payments' } });
    expect(payments.outcome).toMatchObject({ detail: expect.stringContaining('integrityBelowRequired') });
    expect(payments.memo).not.toBe(first.memo);
    expect(judged({}).memo).toBe(first.memo);
  });

  it('route options objects are compiled once and reused', () => {
    const { verifier } = setup();
    const route: DeviceRouteOptions = { sensitivity: 'payments' };
    const a = verifier.verify(ctx({ attestation: token({}), device: route }));
    const b = verifier.verify(ctx({ attestation: token({}), device: route }));
    expect(a).toEqual(b);
    expect((a as { detail: string }).detail).toContain('integrityBelowRequired');
  });
});

describe('device-risk verifier: the docs/device.md policy example', () => {
  it('Play Integrity rooting evidence (basic only) is refused in DE, allowed in IN, refused on payments everywhere', async () => {
    const { verifier } = setup({
      policy: {
        actions: { rooted: 'deny' },
        requiredLevel: 'MEETS_BASIC_INTEGRITY',
        markets: { IN: { actions: { rooted: 'allow' } }, DE: { requiredLevel: 'MEETS_DEVICE_INTEGRITY' } },
        sensitivities: { payments: { requiredLevel: 'MEETS_STRONG_INTEGRITY' } },
      },
    });
    const basicOnly = (p: PlayIntegrityPayload) => (p.deviceIntegrity!.deviceRecognitionVerdict = ['MEETS_BASIC_INTEGRITY']);
    const at = async (country: string, device?: DeviceRouteOptions) =>
      (await run(verifier, ctx({ headers: { ...(await playHeaders('POST', '/pay', basicOnly)), 'cf-ipcountry': country }, fromTrustedProxy: true, ...(device ? { device } : {}) }))).outcome;
    expect(await at('DE')).toBe('deny');
    expect(await at('IN')).toBe('pass');
    expect(await at('IN', { sensitivity: 'payments' })).toBe('deny');
  });
});

describe('device-risk options schema', () => {
  it.each([
    ['unknown top-level key', { nope: 1 }],
    ['unknown condition', { policy: { actions: { haunted: 'deny' } } }],
    ['unknown action', { policy: { actions: { rooted: 'explode' } } }],
    ['bad team id', { appAttest: { teamId: 'abc', bundleId: 'x', environment: 'production' } }],
    ['Play Integrity without keys or decoder', { playIntegrity: { packageName: 'x' } }],
    ['lower-case market', { policy: { markets: { de: {} } } }],
    ['bad CIDR', { ipReputation: { lists: [{ name: 'x', cidrs: ['10.0.0.0/99'] }] } }],
    ['bad version', { policy: { minAppVersion: { ios: 'latest' } } }],
    ['upper-case header', { headers: { playIntegrity: 'X-Play' } }],
  ])('rejects %s', (_n, options) => {
    expect(deviceRiskOptionsSchema.safeParse(options).success).toBe(false);
  });

  it('accepts a full configuration and fills defaults', () => {
    const parsed = deviceRiskOptionsSchema.parse({
      appAttest: { teamId: TEAM, bundleId: BUNDLE, environment: 'development' },
      policy: { actions: { 'ip:tor': 'deny', rooted: 'step-up' }, sensitivities: { payments: { requiredLevel: 'MEETS_STRONG_INTEGRITY' } } },
    });
    expect(parsed.appAttest).toMatchObject({ level: 'MEETS_DEVICE_INTEGRITY', newDeviceWindowMs: 86_400_000 });
    expect(parsed.selfReported).toBe(true);
  });

  it('the factory rejects a bad configuration at construction', () => {
    expect(() => createDeviceRiskVerifier({ policy: { actions: { haunted: 'deny' } } } as never, { store: new TestMemoryStore() })).toThrow();
    expect(() =>
      createDeviceRiskVerifier({ playIntegrity: { packageName: 'x', decryptionKey: 'AAAA', verificationKey: 'AAAA' } }, { store: new TestMemoryStore() }),
    ).toThrow(/AES-256/);
  });
});
