import { generateKeyPairSync } from 'node:crypto';
import { encode } from 'cborg';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppAttestError, verifyAppAssertion, verifyAppAttestReceipt } from '../../../src/attestation/app-attest/index.js';
import { FakeAppleCa } from './fake-apple.js';
import { FakeReceiptSigner } from './fake-receipt.js';

// Hostile receipts and extension maps: only ever an AppAttestError, never another exception, never a hang.
const ca = new FakeAppleCa();
const signer = new FakeReceiptSigner(ca);
const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const NOW = Date.parse('2026-05-01T12:00:00Z');
const genuine = signer.receipt({
  appId: 'ABCDE12345.com.example.bank',
  attestedCertificate: signer.certificate.raw,
  type: 'RECEIPT',
  riskMetric: 3,
  createdAt: new Date(NOW),
  expiresAt: new Date(NOW + 86_400_000),
});

function onlyVerdicts(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppAttestError);
  }
}
const check = (receipt: Uint8Array) =>
  verifyAppAttestReceipt({ receipt, appId: 'ABCDE12345.com.example.bank', publicKey: signer.keys.publicKey, now: NOW, trustAnchor: ca.root });

describe('receipt fuzzing', () => {
  it('the genuine synthetic receipt verifies (the mutations below start from a valid one)', () => {
    expect(check(genuine)).toMatchObject({ type: 'RECEIPT', riskMetric: 3 });
  });

  it('random bytes only ever fail with a reason', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => onlyVerdicts(() => check(bytes))), { numRuns: 400 });
  });

  it('byte flips, truncations and insertions in a genuine receipt only ever fail with a reason', () => {
    fc.assert(
      fc.property(fc.nat(genuine.length - 1), fc.integer({ min: 1, max: 255 }), fc.nat(genuine.length), (at, xor, cut) => {
        const flipped = Buffer.from(genuine);
        flipped[at] = flipped[at]! ^ xor;
        onlyVerdicts(() => check(flipped));
        onlyVerdicts(() => check(genuine.subarray(0, cut)));
        onlyVerdicts(() => check(Buffer.concat([genuine.subarray(0, at), Buffer.from([0x80, 0, 0]), genuine.subarray(at)])));
      }),
      { numRuns: 400 },
    );
  });

  it('deeply nested indefinite-length input is refused, not recursed into without bound', () => {
    const deep = Buffer.concat([Buffer.alloc(5000, 0x30).map((_, i) => (i % 2 === 0 ? 0x30 : 0x80)), Buffer.alloc(5000, 0)]);
    onlyVerdicts(() => check(deep));
  });
});

describe('authenticator extension fuzzing', () => {
  it('any trailing bytes after an ED flag only ever fail with a reason', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.anything().map((v) => { try { return new Uint8Array(encode(v)); } catch { return new Uint8Array(); } })), (tail) => {
        const authenticatorData = Buffer.concat([Buffer.alloc(32, 1), Buffer.from([0x80, 0, 0, 0, 1]), tail]);
        onlyVerdicts(() => verifyAppAssertion({ assertion: encode({ signature: Buffer.alloc(70), authenticatorData }), clientData: 'x', publicKey, teamId: 'ABCDE12345', bundleId: 'b' }));
      }),
      { numRuns: 400 },
    );
  });
});
