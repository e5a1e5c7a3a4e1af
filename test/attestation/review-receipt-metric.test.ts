/**
 * Ported review test. Review: verifyAppAttestReceipt promises AppAttestError for any bad receipt, but a risk metric (field 17) written as
 * a negative DER INTEGER escapes as a raw DerError from readMetric (smallInteger), so register()/refreshRisk() reject
 * with an untyped error (the service's "cannot decide" 503 path) instead of `receipt_invalid`. Real signatures under
 * a synthetic CA (the receipt must chain to the trust anchor to reach field parsing).
 */
import { describe, expect, it } from 'vitest';
import { AppAttestError, verifyAppAttestReceipt } from '../../src/attestation/app-attest/index.js';
import { FakeAppleCa } from './app-attest/fake-apple.js';
import { FakeReceiptSigner } from './app-attest/fake-receipt.js';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const APP_ID = 'ABCDE12345.com.example.bank';
const ca = new FakeAppleCa();
const signer = new FakeReceiptSigner(ca);

/** A RECEIPT signed by the fake receipt signer, its field 17 holding `metric` as given (bytes). */
const receiptWithMetric = (metric: Uint8Array): Buffer =>
  signer.receipt({
    appId: APP_ID,
    attestedCertificate: signer.certificate.raw,
    type: 'RECEIPT',
    createdAt: new Date(NOW),
    expiresAt: new Date(NOW + 86_400_000),
    riskMetric: metric,
  });

const check = (receipt: Uint8Array) =>
  verifyAppAttestReceipt({ receipt, appId: APP_ID, publicKey: signer.keys.publicKey, type: 'RECEIPT', now: NOW, trustAnchor: ca.root });

describe('receipt risk metric', () => {
  it('control: a DER INTEGER metric is read', () => {
    expect(check(receiptWithMetric(Buffer.from([0x02, 0x01, 0x05]))).riskMetric).toBe(5);
  });

  it('a negative DER INTEGER metric fails with AppAttestError (receipt_invalid), not a raw DerError', () => {
    let thrown: unknown;
    try {
      check(receiptWithMetric(Buffer.from([0x02, 0x01, 0x80])));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppAttestError);
    expect((thrown as AppAttestError).reason).toBe('receipt_invalid');
  });

  it.each([['a negative multi-octet INTEGER', Buffer.from([0x02, 0x02, 0xff, 0x01])]])('%s fails with receipt_invalid too', (_name, metric) => {
    let thrown: unknown;
    try {
      check(receiptWithMetric(metric));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppAttestError);
    expect((thrown as AppAttestError).reason).toBe('receipt_invalid');
  });
});
