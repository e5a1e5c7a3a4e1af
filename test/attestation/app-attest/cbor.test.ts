import { encode } from 'cborg';
import { describe, expect, it } from 'vitest';
import { decodeCbor, decodeCborSequence } from '../../../src/attestation/app-attest/cbor.js';
import { AppAttestError, verifyAppAssertion } from '../../../src/attestation/app-attest/index.js';
import { assert, deviceKey } from './fake-apple.js';

const TEAM = 'ABCDE12345';
const BUNDLE = 'com.example.bank';

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppAttestError) return error.reason;
    throw error;
  }
  return undefined;
}

describe('App Attest CBOR decoding (cborg)', () => {
  it('decodes text-keyed maps to plain objects with byte strings as Uint8Array', () => {
    const value = decodeCbor(encode({ fmt: 'apple-appattest', authData: new Uint8Array([1, 2, 3]) })) as Record<string, unknown>;
    expect(value.fmt).toBe('apple-appattest');
    expect(value.authData).toBeInstanceOf(Uint8Array);
    expect([...(value.authData as Uint8Array)]).toEqual([1, 2, 3]);
  });

  it('refuses duplicate keys, trailing bytes, unknown tags and integer keys where objects are expected', () => {
    // {"a": 1, "a": 2}: which `authData` would count is ambiguous, so it is not CBOR we accept.
    expect(() => decodeCbor(Uint8Array.from([0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02]))).toThrow();
    expect(() => decodeCbor(Uint8Array.from([0x01, 0x02]))).toThrow();
    expect(() => decodeCbor(Uint8Array.from([0xd8, 0x63, 0x01]))).toThrow(); // tag 99
    expect(() => decodeCbor(Uint8Array.from([0xa1, 0x01, 0x02]))).toThrow(); // {1: 2}
  });

  it('reads a sequence of items (COSE key then extensions) as Maps, and stops after maxItems', () => {
    const cose = encode(new Map<number, unknown>([[1, 2], [3, -7]]));
    const ext = encode({ apple_bundle_version_01: '1.0' });
    const items = decodeCborSequence(Uint8Array.from([...cose, ...ext]), 2);
    expect(items).toHaveLength(2);
    expect((items[0] as Map<number, unknown>).get(3)).toBe(-7);
    expect((items[1] as Map<string, unknown>).get('apple_bundle_version_01')).toBe('1.0');
    expect(() => decodeCborSequence(Uint8Array.from([...cose, ...ext, ...ext]), 2)).toThrow();
  });

  it('an assertion with a duplicated authenticatorData key is malformed, not verified', () => {
    const key = deviceKey();
    const genuine = decodeCbor(assert(key, { teamId: TEAM, bundleId: BUNDLE, counter: 1, clientData: 'x' })) as {
      signature: Uint8Array;
      authenticatorData: Uint8Array;
    };
    const sig = encode(genuine.signature);
    const auth = encode(genuine.authenticatorData);
    const textKey = (s: string) => Uint8Array.from([0x60 + s.length, ...Buffer.from(s)]);
    // A map of three entries: signature, authenticatorData twice (the genuine one, then zeros).
    const duplicated = Uint8Array.from([
      0xa3,
      ...textKey('signature'),
      ...sig,
      ...textKey('authenticatorData'),
      ...auth,
      ...textKey('authenticatorData'),
      ...encode(new Uint8Array(genuine.authenticatorData.length)),
    ]);
    const input = { clientDataHash: Buffer.alloc(32), publicKey: key.publicKey, teamId: TEAM, bundleId: BUNDLE };
    expect(reasonOf(() => verifyAppAssertion({ ...input, assertion: duplicated }))).toBe('malformed');
  });
});
