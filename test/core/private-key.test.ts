import { createPrivateKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { usablePrivateKey } from '../../src/core/private-key.js';
import { createKeyRing } from '../../src/attestation/issuer/key-ring.js';
import { createTestAttester } from '../../src/testing/index.js';

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = ec.privateKey.export({ format: 'jwk' }) as JsonWebKey & { d: string };
/** A P-256 JWK whose d is one byte longer than the curve's order: Node imports it and aborts when it signs. */
const oversized = { ...jwk, d: Buffer.concat([Buffer.from(jwk.d, 'base64url'), Buffer.alloc(1)]).toString('base64url') };

describe('usablePrivateKey', () => {
  it('returns a sound key (EC, RSA, Ed25519) as it is', () => {
    expect(usablePrivateKey(ec.privateKey)).toBe(ec.privateKey);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(usablePrivateKey(rsa)).toBe(rsa);
    const ed = generateKeyPairSync('ed25519').privateKey;
    expect(usablePrivateKey(ed)).toBe(ed);
  });

  it('throws (instead of the process aborting later) for an oversized scalar, and for a public half of another key', () => {
    expect(() => usablePrivateKey(createPrivateKey({ key: oversized, format: 'jwk' }))).toThrow(/malformed/);
    const { x, y } = other.privateKey.export({ format: 'jwk' });
    expect(() => usablePrivateKey(createPrivateKey({ key: { ...jwk, x, y }, format: 'jwk' }))).toThrow(/does not match/);
  });

  it('the issuer key ring refuses such a key at start-up, naming it', () => {
    expect(() => createKeyRing([{ kid: 'a', privateKey: oversized }], 60_000, 5_000)).toThrow(/signingKeys\.0\.privateKey: private key is malformed/);
  });

  it('createTestAttester (mobile-api-shield/testing) refuses it when created, not by aborting at its first mint', () => {
    expect(() => createTestAttester({ privateKey: createPrivateKey({ key: oversized, format: 'jwk' }) })).toThrow(/malformed/);
  });
});
