import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyAppAssertion, verifyAppAttestation } from '../../../src/attestation/app-attest/index.js';
import { assert, deviceKey, FakeAppleCa } from './fake-apple.js';
import { reasonOf } from './reasons.js';

// Issue 17 item 9: Apple asks for a clientDataHash of at least 16 bytes, not exactly a SHA-256 (Apple's own published
// sample attestation uses a shorter one than 32 bytes).
const TEAM = 'ABCDE12345';
const BUNDLE = 'com.example.bank';
const NOW = Date.parse('2026-05-01T12:00:00Z');
const ca = new FakeAppleCa();

function attestWith(hash: Buffer) {
  const key = deviceKey();
  const attestationObject = ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge: Buffer.alloc(0), clientDataHash: hash });
  return { key, run: (h: Buffer) => reasonOf(() => verifyAppAttestation({ attestationObject, clientDataHash: h, keyId: key.keyId, teamId: TEAM, bundleId: BUNDLE, environment: 'production', now: NOW, trustAnchor: ca.root })) };
}

describe('clientDataHash lengths', () => {
  it.each([16, 20, 32, 48, 64])('an attestation over a %i-byte clientDataHash verifies', (n) => {
    const hash = randomBytes(n);
    expect(attestWith(hash).run(hash)).toBe('passed');
  });

  it('shorter than 16 bytes, or absurdly long, is malformed', () => {
    expect(attestWith(randomBytes(15)).run(randomBytes(15))).toBe('malformed');
    expect(attestWith(randomBytes(16)).run(randomBytes(2048))).toBe('malformed');
  });

  it('a 16-byte hash still has to be the one the device certified', () => {
    expect(attestWith(randomBytes(16)).run(randomBytes(16))).toBe('challenge_mismatch');
  });

  it('assertions accept a 16-byte (or longer) clientDataHash too', () => {
    const key = deviceKey();
    const hash = randomBytes(16);
    const assertion = assert(key, { teamId: TEAM, bundleId: BUNDLE, counter: 1, clientData: '', clientDataHash: hash });
    const base = { assertion, publicKey: key.publicKey, teamId: TEAM, bundleId: BUNDLE };
    expect(verifyAppAssertion({ ...base, clientDataHash: hash }).counter).toBe(1);
    expect(reasonOf(() => verifyAppAssertion({ ...base, clientDataHash: randomBytes(8) }))).toBe('malformed');
  });
});
