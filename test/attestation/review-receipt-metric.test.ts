/**
 * Ported review test. Review: verifyAppAttestReceipt promises AppAttestError for any bad receipt, but a risk metric (field 17) written as
 * a negative DER INTEGER escapes as a raw DerError from readMetric (smallInteger), so register()/refreshRisk() reject
 * with an untyped error (the service's "cannot decide" 503 path) instead of `receipt_invalid`. Real signatures under
 * a synthetic CA (the receipt must chain to the trust anchor to reach field parsing).
 */
import { sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppAttestError, verifyAppAttestReceipt } from '../../src/attestation/app-attest/index.js';
import { explicit, integer, octets, oid, seq, set, tlv, utf8 } from '../../src/testing/der-writer.js';
import { FakeAppleCa } from './app-attest/fake-apple.js';
import { FakeReceiptSigner } from './app-attest/fake-receipt.js';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const APP_ID = 'ABCDE12345.com.example.bank';
const ca = new FakeAppleCa();
const signer = new FakeReceiptSigner(ca);
const indefinite = (tag: number, ...items: Uint8Array[]): Buffer => Buffer.concat([Buffer.from([tag, 0x80]), ...items, Buffer.from([0, 0])]);
const name = (cn: string): Buffer => seq(set(seq(oid('2.5.4.3'), utf8(cn))));

/** A RECEIPT signed by the fake receipt signer, its field 17 holding `metric` as given (bytes). */
function receiptWithMetric(metric: Uint8Array): Buffer {
  const field = (type: number, value: Uint8Array | string) => seq(integer(type), integer(1), octets(typeof value === 'string' ? Buffer.from(value) : value));
  const payload = set(
    field(2, APP_ID),
    field(3, signer.certificate.raw),
    field(4, Buffer.alloc(32)),
    field(6, 'RECEIPT'),
    field(12, new Date(NOW).toISOString()),
    field(17, metric),
    field(21, new Date(NOW + 86_400_000).toISOString()),
  );
  const signature = sign('sha256', payload, signer.keys.privateKey);
  const serial = BigInt(`0x${signer.certificate.serialNumber}`);
  const signerInfo = seq(
    integer(1),
    seq(name('Test App Attestation CA 1'), integer(Number(serial))),
    seq(oid('2.16.840.1.101.3.4.2.1'), tlv(0x05, Buffer.alloc(0))),
    seq(oid('1.2.840.10045.4.3.2')),
    octets(signature),
  );
  const signedData = indefinite(
    0x30,
    integer(1),
    set(seq(oid('2.16.840.1.101.3.4.2.1'), tlv(0x05, Buffer.alloc(0)))),
    indefinite(0x30, oid('1.2.840.113549.1.7.1'), indefinite(0xa0, octets(payload))),
    explicit(0, signer.certificate.raw, ca.intermediate.raw),
    set(signerInfo),
  );
  return indefinite(0x30, oid('1.2.840.113549.1.7.2'), indefinite(0xa0, signedData));
}

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
