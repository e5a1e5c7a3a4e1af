import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAppAttestRegistry } from '../../../src/attestation/app-attest/index.js';
import type { ShieldRequest } from '../../../src/core/request.js';
import type { VerifierContext, VerifierOutcome } from '../../../src/core/verifier.js';
import { createDeviceRiskVerifier, requestBinding, type DeviceRiskOptions } from '../../../src/verifiers/device-risk/index.js';
import { TestMemoryStore } from '../../attestation/memory-store.js';
import { assert, deviceKey, FakeAppleCa } from '../../attestation/app-attest/fake-apple.js';
import { genuinePayload, PACKAGE, playKeys, playToken } from '../../attestation/play-integrity/token-factory.js';

// Issue 17 item 2: proofs cover the query string and the caller's credential (canonical form v2).
const NOW = Date.parse('2026-05-01T12:00:00Z');
const TEAM = 'ABCDE12345';
const BUNDLE = 'com.example.bank';
const keys = playKeys();
const ca = new FakeAppleCa();
const sha = (s: string) => createHash('sha256').update(s).digest();

const req = (over: Partial<ShieldRequest> = {}): ShieldRequest => ({ method: 'GET', path: '/transfer', headers: {}, ip: '203.0.113.9', ...over });

describe('the v2 canonical string', () => {
  it('covers method, path, raw query, the bound headers in order (empty when absent) and the body hash', () => {
    const b = requestBinding(
      req({ method: 'post', query: 'to=alice&amount=10%20', headers: { authorization: 'Bearer A', 'x-shield-body-sha256': 'BODY' } }),
      'x-shield-body-sha256',
      { version: 'v2', headers: ['authorization', 'x-tenant'] },
    );
    expect(b.clientData).toBe('v2\nPOST\n/transfer\nto=alice&amount=10%20\nauthorization:Bearer A\nx-tenant:\nBODY');
    expect(b.digest).toEqual(sha(b.clientData));
    expect(b.version).toBe('v2');
  });

  it('is the default, binding authorization', () => {
    expect(requestBinding(req(), 'x-shield-body-sha256').clientData).toBe('v2\nGET\n/transfer\n\nauthorization:\n');
  });

  it('a parsed, non-empty query object cannot be bound; an empty one is no query', () => {
    expect(() => requestBinding(req({ query: { to: 'x' } }), 'x-shield-body-sha256')).toThrow(/query/);
    expect(requestBinding(req({ query: {} }), 'x-shield-body-sha256').clientData).toBe('v2\nGET\n/transfer\n\nauthorization:\n');
  });
});

function setup(extra: Partial<DeviceRiskOptions> = {}) {
  const store = new TestMemoryStore(() => NOW);
  const verifier = createDeviceRiskVerifier(
    {
      playIntegrity: { packageName: PACKAGE, decryptionKey: keys.decryptionKey, verificationKey: keys.verificationKey },
      appAttest: { teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: ca.root, newDeviceWindowMs: 0 },
      ...extra,
    },
    { store },
  );
  return { store, verifier };
}

async function run(verifier: ReturnType<typeof setup>['verifier'], request: ShieldRequest): Promise<VerifierOutcome> {
  const ctx: VerifierContext = { request, route: {} as VerifierContext['route'], ip: request.ip, now: NOW, memo: new Map(), body: async () => undefined };
  return verifier.verify(ctx);
}
const detail = (o: VerifierOutcome) => (o as { detail?: string }).detail ?? '';

async function playFor(clientData: string) {
  return playToken(keys, genuinePayload(NOW, { nonce: sha(clientData).toString('base64url') }));
}

describe('Play Integrity under v2', () => {
  const made = 'v2\nGET\n/transfer\nto=alice&amount=10\nauthorization:Bearer alice\n';

  it('a token made for one query string is refused for another', async () => {
    const { verifier } = setup();
    const headers = { authorization: 'Bearer alice', 'x-play-integrity': await playFor(made) };
    expect(await run(verifier, req({ query: 'to=alice&amount=10', headers }))).toEqual({ outcome: 'pass' });
    const token2 = { ...headers, 'x-play-integrity': await playFor(made) };
    const moved = await run(verifier, req({ query: 'to=mallory&amount=9999', headers: token2 }));
    expect(moved).toMatchObject({ outcome: 'deny', code: 'device_untrusted' });
    expect(detail(moved)).toContain('play-integrity:nonce_mismatch');
  });

  it("a token made on Alice's session is refused on Mallory's", async () => {
    const { verifier } = setup();
    const out = await run(verifier, req({ query: 'to=alice&amount=10', headers: { authorization: 'Bearer mallory', 'x-play-integrity': await playFor(made) } }));
    expect(detail(out)).toContain('play-integrity:nonce_mismatch');
  });

  it('v1 tokens are refused by default and accepted only where configured', async () => {
    const v1 = 'GET\n/transfer\n';
    const { verifier } = setup();
    expect(detail(await run(verifier, req({ headers: { 'x-play-integrity': await playFor(v1) } })))).toContain('play-integrity:nonce_mismatch');
    const legacy = setup({ binding: { versions: ['v2', 'v1'] } }).verifier;
    expect(await run(legacy, req({ headers: { 'x-play-integrity': await playFor(v1) } }))).toEqual({ outcome: 'pass' });
    expect(await run(legacy, req({ headers: { 'x-play-integrity': await playFor('v2\nGET\n/transfer\n\nauthorization:\n') } }))).toEqual({
      outcome: 'pass',
    });
  });

  it('bound headers are configurable', async () => {
    const { verifier } = setup({ binding: { headers: ['x-session'] } });
    const data = 'v2\nGET\n/transfer\n\nx-session:s1\n';
    expect(await run(verifier, req({ headers: { 'x-session': 's1', 'x-play-integrity': await playFor(data) } }))).toEqual({ outcome: 'pass' });
    expect(detail(await run(verifier, req({ headers: { 'x-session': 's2', 'x-play-integrity': await playFor(data) } })))).toContain(
      'nonce_mismatch',
    );
  });

  it('a parsed query object makes the proof unverifiable, never a pass', async () => {
    const { verifier } = setup();
    const out = await run(verifier, req({ query: { to: 'mallory' }, headers: { 'x-play-integrity': await playFor(made) } }));
    expect(out).toMatchObject({ outcome: 'deny' });
    expect(detail(out)).toContain('play-integrity:query_unavailable');
  });
});

describe('App Attest under v2', () => {
  async function device(store: TestMemoryStore) {
    const registry = createAppAttestRegistry({ store, teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: ca.root });
    const key = deviceKey();
    const challenge = Buffer.from('registration-challenge');
    await registry.register({ attestationObject: ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge }), challenge, keyId: key.keyId, now: NOW });
    return (counter: number, clientData: string) => ({
      'x-app-attest-key-id': key.keyId.toString('base64'),
      'x-app-attest-assertion': assert(key, { teamId: TEAM, bundleId: BUNDLE, counter, clientData }).toString('base64'),
    });
  }

  it("an assertion on Alice's session and query is refused with another query or Mallory's session", async () => {
    const { verifier, store } = setup();
    const sign = await device(store);
    const data = 'v2\nGET\n/transfer\nto=alice\nauthorization:Bearer alice\n';
    expect(await run(verifier, req({ query: 'to=alice', headers: { authorization: 'Bearer alice', ...sign(1, data) } }))).toEqual({ outcome: 'pass' });
    const moved = await run(verifier, req({ query: 'to=mallory', headers: { authorization: 'Bearer alice', ...sign(2, data) } }));
    expect(detail(moved)).toContain('app-attest:bad_signature');
    const session = await run(verifier, req({ query: 'to=alice', headers: { authorization: 'Bearer mallory', ...sign(3, data) } }));
    expect(detail(session)).toContain('app-attest:bad_signature');
  });

  it('a v1 assertion passes only when v1 is configured', async () => {
    const strict = setup();
    const signStrict = await device(strict.store);
    expect(detail(await run(strict.verifier, req({ headers: signStrict(1, 'GET\n/transfer\n') })))).toContain('app-attest:bad_signature');
    const legacy = setup({ binding: { versions: ['v2', 'v1'] } });
    const signLegacy = await device(legacy.store);
    expect(await run(legacy.verifier, req({ headers: signLegacy(1, 'GET\n/transfer\n') }))).toEqual({ outcome: 'pass' });
  });
});
