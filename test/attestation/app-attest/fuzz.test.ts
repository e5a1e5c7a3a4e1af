import { generateKeyPairSync } from 'node:crypto';
import { encode } from 'cborg';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppAttestError, verifyAppAssertion, verifyAppAttestation } from '../../../src/attestation/app-attest/index.js';
import { FakeAppleCa } from './fake-apple.js';

const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const ca = new FakeAppleCa();

/** Either an AppAttestError (a verdict) or nothing: hostile input must never surface any other exception. */
function onlyVerdicts(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppAttestError);
  }
}

const anyCbor = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.anything().map((v) => {
    try {
      return new Uint8Array(encode(v));
    } catch {
      return new Uint8Array();
    }
  }),
  fc.record({ signature: fc.uint8Array({ maxLength: 80 }), authenticatorData: fc.uint8Array({ maxLength: 60 }) }).map((v) => new Uint8Array(encode(v))),
);

describe('App Attest input fuzzing', () => {
  it('assertions: random bytes and random CBOR only ever fail with a reason', () => {
    fc.assert(
      fc.property(anyCbor, (bytes) =>
        onlyVerdicts(() => verifyAppAssertion({ assertion: bytes, clientData: 'x', publicKey, teamId: 'ABCDE12345', bundleId: 'b' })),
      ),
      { numRuns: 500 },
    );
  });

  it('attestations: random objects around real certificates only ever fail with a reason', () => {
    const x5c = fc.array(fc.oneof(fc.constant(ca.intermediate.raw), fc.constant(ca.root.raw), fc.uint8Array({ maxLength: 64 })), { maxLength: 5 });
    const object = fc.record({
      fmt: fc.oneof(fc.constant('apple-appattest'), fc.string()),
      attStmt: fc.oneof(fc.record({ x5c, receipt: fc.uint8Array({ maxLength: 8 }) }), fc.anything()),
      authData: fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.anything()),
    });
    fc.assert(
      fc.property(object, (o) => {
        let bytes: Uint8Array;
        try {
          bytes = new Uint8Array(encode(o));
        } catch {
          return;
        }
        onlyVerdicts(() =>
          verifyAppAttestation({ attestationObject: bytes, challenge: 'c', keyId: Buffer.alloc(32), teamId: 'ABCDE12345', bundleId: 'b', environment: 'production', trustAnchor: ca.root }),
        );
      }),
      { numRuns: 300 },
    );
  });
});
