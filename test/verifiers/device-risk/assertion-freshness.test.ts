import { describe, expect, it } from 'vitest';
import { createAppAttestRegistry, createAttestationChallenges } from '../../../src/attestation/app-attest/index.js';
import type { ShieldRequest } from '../../../src/core/request.js';
import type { VerifierContext, VerifierOutcome } from '../../../src/core/verifier.js';
import {
  ASSERTION_CHALLENGE_PREFIX,
  createDeviceRiskVerifier,
  deviceRiskOptionsSchema,
  type DeviceRiskOptions,
} from '../../../src/verifiers/device-risk/index.js';
import { TestMemoryStore } from '../../attestation/memory-store.js';
import { assert, deviceKey, FakeAppleCa } from '../../attestation/app-attest/fake-apple.js';

// Issue 17 item 5: App Attest assertions with freshness (Apple's assertion step 6) beyond the counter.
const NOW = Date.parse('2026-05-01T12:00:00Z');
const TEAM = 'ABCDE12345';
const BUNDLE = 'com.example.bank';
const ca = new FakeAppleCa();
const CANONICAL = 'v2\nPOST\n/transfer\n\nauthorization:\n';

async function setup(appAttest: Partial<NonNullable<DeviceRiskOptions['appAttest']>> = {}) {
  let now = NOW;
  const store = new TestMemoryStore(() => now);
  const verifier = createDeviceRiskVerifier(
    { appAttest: { teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: ca.root, newDeviceWindowMs: 0, ...appAttest } },
    { store },
  );
  const registry = createAppAttestRegistry({ store, teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: ca.root });
  const key = deviceKey();
  const challenge = Buffer.from('registration');
  await registry.register({ attestationObject: ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge }), challenge, keyId: key.keyId, now: NOW });
  const sign = (counter: number, clientData: string, extra: Record<string, string> = {}) => ({
    'x-app-attest-key-id': key.keyId.toString('base64'),
    'x-app-attest-assertion': assert(key, { teamId: TEAM, bundleId: BUNDLE, counter, clientData }).toString('base64'),
    ...extra,
  });
  const run = async (headers: Record<string, string>): Promise<VerifierOutcome> => {
    const request: ShieldRequest = { method: 'POST', path: '/transfer', headers, ip: '203.0.113.9' };
    return verifier.verify({ request, route: {} as VerifierContext['route'], ip: request.ip, now, memo: new Map(), body: async () => undefined });
  };
  return { store, sign, run, setNow: (t: number) => (now = t) };
}
const detail = (o: VerifierOutcome) => (o as { detail?: string }).detail ?? '';

describe('counter-only mode (the default) and what it allows', () => {
  it('an assertion generated long before its use still passes: only the counter orders them', async () => {
    const { sign, run, setNow } = await setup();
    const pregenerated = [sign(1, CANONICAL), sign(2, CANONICAL)];
    setNow(NOW + 30 * 86_400_000); // a month later, a bot spends them in counter order
    expect(await run(pregenerated[0]!)).toEqual({ outcome: 'pass' });
    expect(await run(pregenerated[1]!)).toEqual({ outcome: 'pass' });
  });
});

describe('challenge mode', () => {
  it('an assertion over a fresh one-time challenge passes once; the challenge cannot be reused', async () => {
    const { store, sign, run } = await setup({ challenge: true });
    const challenges = createAttestationChallenges({ store, keyPrefix: ASSERTION_CHALLENGE_PREFIX });
    const c = await challenges.issue();
    expect(await run(sign(1, `${CANONICAL}\n${c}`, { 'x-app-attest-challenge': c }))).toEqual({ outcome: 'pass' });
    const reuse = await run(sign(2, `${CANONICAL}\n${c}`, { 'x-app-attest-challenge': c }));
    expect(reuse).toMatchObject({ outcome: 'deny', code: 'device_untrusted' });
    expect(detail(reuse)).toContain('app-attest:challenge_invalid');
  });

  it('a pre-generated assertion without a challenge is refused', async () => {
    const { sign, run } = await setup({ challenge: true });
    expect(detail(await run(sign(1, CANONICAL)))).toContain('app-attest:challenge_missing');
  });

  it('a challenge the server never issued, or one that expired, is refused', async () => {
    const { store, sign, run, setNow } = await setup({ challenge: { ttlMs: 60_000 } });
    const made = 'A'.repeat(43);
    expect(detail(await run(sign(1, `${CANONICAL}\n${made}`, { 'x-app-attest-challenge': made })))).toContain('challenge_invalid');
    const c = await createAttestationChallenges({ store, keyPrefix: ASSERTION_CHALLENGE_PREFIX, ttlMs: 60_000 }).issue();
    setNow(NOW + 61_000);
    expect(detail(await run(sign(2, `${CANONICAL}\n${c}`, { 'x-app-attest-challenge': c })))).toContain('challenge_invalid');
  });

  it('the challenge must be the one signed: another issued challenge in the header fails the signature', async () => {
    const { store, sign, run } = await setup({ challenge: true });
    const challenges = createAttestationChallenges({ store, keyPrefix: ASSERTION_CHALLENGE_PREFIX });
    const [signed, sent] = [await challenges.issue(), await challenges.issue()];
    expect(detail(await run(sign(1, `${CANONICAL}\n${signed}`, { 'x-app-attest-challenge': sent })))).toContain('app-attest:bad_signature');
    // The unsigned attempt did not burn the challenge that was sent.
    expect(await run(sign(2, `${CANONICAL}\n${sent}`, { 'x-app-attest-challenge': sent }))).toEqual({ outcome: 'pass' });
  });
});

describe('maximum age mode', () => {
  it('a signed timestamp within maxAgeMs passes; an older or future one is refused without spending the counter', async () => {
    const { sign, run } = await setup({ maxAgeMs: 60_000 });
    const at = (t: number) => ({ 'x-app-attest-timestamp': String(t) });
    const stale = await run(sign(1, `${CANONICAL}\n${NOW - 61_000}`, at(NOW - 61_000)));
    expect(detail(stale)).toContain('app-attest:stale_assertion');
    const future = await run(sign(1, `${CANONICAL}\n${NOW + 120_000}`, at(NOW + 120_000)));
    expect(detail(future)).toContain('app-attest:future_assertion');
    expect(await run(sign(1, `${CANONICAL}\n${NOW - 5_000}`, at(NOW - 5_000)))).toEqual({ outcome: 'pass' });
  });

  it('the timestamp is signed: changing the header breaks the signature; a missing one is refused', async () => {
    const { sign, run } = await setup({ maxAgeMs: 60_000 });
    const old = NOW - 3_600_000;
    expect(detail(await run(sign(1, `${CANONICAL}\n${old}`, { 'x-app-attest-timestamp': String(NOW) })))).toContain('bad_signature');
    expect(detail(await run(sign(2, CANONICAL)))).toContain('app-attest:timestamp_missing');
  });

  it('challenge and maxAgeMs are alternatives', () => {
    const base = { teamId: TEAM, bundleId: BUNDLE, environment: 'production' };
    expect(deviceRiskOptionsSchema.safeParse({ appAttest: { ...base, challenge: true, maxAgeMs: 1000 } }).success).toBe(false);
    expect(deviceRiskOptionsSchema.safeParse({ appAttest: { ...base, challenge: true } }).success).toBe(true);
  });
});
