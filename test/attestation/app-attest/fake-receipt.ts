import { sign, type KeyObject, type X509Certificate } from 'node:crypto';
import { explicit, integer, octets, oid, seq, set, tlv, utf8 } from '../../../src/testing/der-writer.js';
import { ec, issue, type FakeAppleCa } from './fake-apple.js';

/**
 * Synthetic App Attest receipts: PKCS#7 SignedData in Apple's BER shape (indefinite lengths, a chunked payload),
 * signed by a "receipt signing" leaf under its own intermediate under the fake CA's root, both carrying Apple's marker
 * extensions as the real chain does, so the parts real vectors cannot cover (RECEIPT type, risk metric, tampering,
 * the signer pin) can be tested with real signatures.
 */
export interface FakeReceiptFields {
  appId: string;
  /** DER of the attested key's certificate (field 3). */
  attestedCertificate: Uint8Array;
  clientHash?: Uint8Array;
  type: 'ATTEST' | 'RECEIPT';
  createdAt: Date;
  expiresAt: Date;
  notBefore?: Date;
  /** Field 17: a number is written as its text (Apple's layout); bytes are written as given (malformed metrics). */
  riskMetric?: number | Uint8Array;
  environment?: string;
}

const name = (cn: string): Buffer => seq(set(seq(oid('2.5.4.3'), utf8(cn))));
/** A non-critical extension whose value is NULL, as Apple writes its marker extensions. */
const marker = (dotted: string): Buffer => seq(oid(dotted), octets(tlv(0x05, Buffer.alloc(0))));
/** Apple's receipt-signer leaf marker and its Application Integration intermediate marker. */
export const RECEIPT_SIGNER_MARKER = '1.2.840.113635.100.12.15';
export const AAI_INTERMEDIATE_MARKER = '1.2.840.113635.100.6.2.3';
const INTERMEDIATE = 'Test Application Integration CA';

/** Which of Apple's markers the synthetic chain carries (both by default, as Apple's real chain does). */
export interface FakeReceiptSignerOptions {
  signerMarker?: boolean;
  intermediateMarker?: boolean;
}
/** BER indefinite-length constructed element. */
const indefinite = (tag: number, ...items: Uint8Array[]): Buffer => Buffer.concat([Buffer.from([tag, 0x80]), ...items, Buffer.from([0, 0])]);

export class FakeReceiptSigner {
  readonly keys = ec();
  readonly certificate: X509Certificate;
  /** The signer's issuer under the CA's root, standing in for "Apple Application Integration CA 5 - G1". */
  readonly intermediate: X509Certificate;
  private static serial = 700;
  private readonly serial: number;

  constructor(readonly ca: FakeAppleCa, signerKey?: KeyObject, options: FakeReceiptSignerOptions = {}) {
    this.serial = FakeReceiptSigner.serial++;
    const intermediateKeys = ec();
    this.intermediate = issue({
      subject: INTERMEDIATE,
      issuer: 'Test App Attestation Root CA',
      publicKey: intermediateKeys.publicKey,
      signingKey: ca.rootKeys.privateKey,
      ca: true,
      notBefore: ca.notBefore,
      notAfter: ca.notAfter,
      serial: this.serial + 10_000,
      extraExtensions: options.intermediateMarker === false ? [] : [marker(AAI_INTERMEDIATE_MARKER)],
    });
    this.certificate = issue({
      subject: 'Test Receipt Signing',
      issuer: INTERMEDIATE,
      publicKey: this.keys.publicKey,
      signingKey: signerKey ?? intermediateKeys.privateKey,
      ca: false,
      notBefore: ca.notBefore,
      notAfter: ca.notAfter,
      serial: this.serial,
      extraExtensions: options.signerMarker === false ? [] : [marker(RECEIPT_SIGNER_MARKER)],
    });
  }

  /** The receipt, with its payload fields in Apple's layout; `mutate` may alter the payload after signing. */
  receipt(fields: FakeReceiptFields, options: { mutate?: (payload: Buffer) => Buffer } = {}): Buffer {
    const field = (type: number, value: Uint8Array | string) =>
      seq(integer(type), integer(1), octets(typeof value === 'string' ? Buffer.from(value, 'utf8') : value));
    const entries = [
      field(2, fields.appId),
      field(3, fields.attestedCertificate),
      field(4, fields.clientHash ?? Buffer.alloc(32)),
      field(5, 'opaque-token'),
      field(6, fields.type),
      field(7, fields.environment ?? 'production'),
      field(12, fields.createdAt.toISOString()),
      field(21, fields.expiresAt.toISOString()),
    ];
    if (fields.riskMetric !== undefined) entries.push(field(17, typeof fields.riskMetric === 'number' ? String(fields.riskMetric) : fields.riskMetric));
    if (fields.notBefore !== undefined) entries.push(field(19, fields.notBefore.toISOString()));
    const payload = set(...entries);
    const signature = sign('sha256', payload, this.keys.privateKey);
    const content = options.mutate ? options.mutate(Buffer.from(payload)) : payload;
    const chunked = indefinite(0x24, octets(content.subarray(0, 100)), octets(content.subarray(100)));
    const signerInfo = seq(
      integer(1),
      seq(name(INTERMEDIATE), integer(this.serial)),
      seq(oid('2.16.840.1.101.3.4.2.1'), tlv(0x05, Buffer.alloc(0))),
      seq(oid('1.2.840.10045.4.3.2')),
      octets(signature),
    );
    const signedData = indefinite(
      0x30,
      integer(1),
      set(seq(oid('2.16.840.1.101.3.4.2.1'), tlv(0x05, Buffer.alloc(0)))),
      indefinite(0x30, oid('1.2.840.113549.1.7.1'), indefinite(0xa0, chunked)),
      explicit(0, this.certificate.raw, this.intermediate.raw),
      set(signerInfo),
    );
    return indefinite(0x30, oid('1.2.840.113549.1.7.2'), indefinite(0xa0, signedData));
  }
}
