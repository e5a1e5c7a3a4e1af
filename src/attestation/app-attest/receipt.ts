import { verify as verifySignature, X509Certificate, type KeyObject } from 'node:crypto';
import { APPLE_ROOT_CA_G3_PEM } from './apple-root-ca-g3.js';
import { derBytes, octetString, parseBer, smallInteger, type BerNode } from './ber-reader.js';
import { sha256 } from './bytes.js';
import { verifyCertificateChain } from './certificate-chain.js';
import { bytesEqual, DerError, findExtension } from './der-reader.js';
import { AppAttestError } from './errors.js';
import { judgementTime } from '../time.js';

/** The two receipt types: the one inside an attestation object, and the ones Apple's server returns. */
export type AppAttestReceiptType = 'ATTEST' | 'RECEIPT';

/** What to check a receipt against. */
export interface AppAttestReceiptInput {
  /** The PKCS#7 receipt (bytes or base64). */
  receipt: Uint8Array | string;
  /** `TEAMID.bundleId` (field 2 must equal it). */
  appId: string;
  /** The attested key (field 3 must certify it). */
  publicKey: KeyObject;
  /** The attestation's client data hash (field 4 of an `ATTEST` receipt must equal it). */
  clientDataHash?: Uint8Array;
  /** The receipt type expected. */
  type?: AppAttestReceiptType;
  /** When to judge certificate validity and expiry (epoch ms). Default now. A non-finite time throws a TypeError. */
  now?: number;
  /** Refuse a receipt created longer ago than this (Apple suggests 5 minutes for attestation receipts). */
  maxAgeMs?: number;
  /**
   * Trust anchor overriding Apple Root CA - G3 (tests, private CAs). The chain under it must still carry Apple's
   * receipt-signer markers (1.2.840.113635.100.12.15 on the signer, 1.2.840.113635.100.6.2.3 on its issuer).
   */
  trustAnchor?: X509Certificate | string;
}

/** A verified receipt's fields. */
export interface VerifiedAppAttestReceipt {
  readonly type: AppAttestReceiptType;
  readonly appId: string;
  /** Field 7 (`sandbox` or `production`), when present. */
  readonly environment: string | undefined;
  /** Field 4. */
  readonly clientHash: Buffer;
  /** Field 12, epoch ms. */
  readonly createdAt: number;
  /** Field 19, epoch ms: do not ask Apple for a refresh before this. */
  readonly notBefore: number | undefined;
  /** Field 21, epoch ms: the receipt cannot be exchanged after this. */
  readonly expiresAt: number;
  /** Field 17 (`RECEIPT` only): the approximate number of keys attested for this device in the past 30 days. */
  readonly riskMetric: number | undefined;
  /** The receipt itself, base64, for storage and the next refresh. */
  readonly receipt: string;
}

const OID_SIGNED_DATA = Buffer.from('2a864886f70d010702', 'hex');
const OID_DATA = Buffer.from('2a864886f70d010701', 'hex');
const OID_SHA256 = Buffer.from('608648016503040201', 'hex');
const OID_MESSAGE_DIGEST = Buffer.from('2a864886f70d010904', 'hex');
const OID_CONTENT_TYPE = Buffer.from('2a864886f70d010903', 'hex');
/** ecdsa-with-SHA256 / SHA384 → the digest node:crypto verifies with. */
const SIGNATURE_ALGORITHMS = new Map([
  ['2a8648ce3d040302', 'sha256'],
  ['2a8648ce3d040303', 'sha384'],
]);
/** Receipts are a few KiB; far larger input is hostile. */
const MAX_RECEIPT_BYTES = 64 * 1024;
/**
 * 1.2.840.113635.100.12.15: the marker on Apple's "Application Attestation Fraud Receipt Signing" certificates (every
 * real receipt signer, 2020 to 2026, carries it; the leaf itself rotates yearly, so neither serial nor key is pinned).
 */
const OID_RECEIPT_SIGNER_MARKER = Buffer.from('2a864886f763640c0f', 'hex');
/**
 * 1.2.840.113635.100.6.2.3: Apple's "Apple Application Integration" intermediate marker (Security framework's
 * kSecOIDAPPLE_EXTENSION_AAI_INTERMEDIATE), carried by "Apple Application Integration CA 5 - G1", the receipt
 * signer's issuer. Apple Root CA - G3's other intermediates (WWDR, Apple Pay's Application Integration CA - G3) carry
 * other markers.
 */
const OID_AAI_INTERMEDIATE_MARKER = Buffer.from('2a864886f76364060203', 'hex');

let g3: X509Certificate | undefined;

/**
 * Verifies an App Attest receipt as Apple's "Assessing fraud risk" describes it: the PKCS#7 (CMS SignedData)
 * signature over the payload by a certificate chaining to Apple Root CA - G3 (every certificate valid at `now`), the
 * signer being Apple's receipt signer (marker 1.2.840.113635.100.12.15, issued by an Apple Application Integration CA,
 * marker 1.2.840.113635.100.6.2.3), then the payload: App ID (field 2), the attested key (field 3), the client data
 * hash (field 4, for `ATTEST` receipts when given), the type (6), and creation (12) and expiry (21) times. Apple
 * encodes receipts in BER (indefinite lengths, chunked OCTET STRINGs); the bounded BER reader handles that, node:crypto
 * does the signatures.
 * Throws {@link AppAttestError} (`receipt_invalid`, `receipt_mismatch`, `receipt_expired`, `certificate_expired`), and a
 * TypeError for a `now` that is not a finite time.
 */
export function verifyAppAttestReceipt(input: AppAttestReceiptInput): VerifiedAppAttestReceipt {
  const now = judgementTime(input.now, 'verifyAppAttestReceipt');
  const bytes = typeof input.receipt === 'string' ? Buffer.from(input.receipt, 'base64') : Buffer.from(input.receipt);
  if (bytes.length === 0 || bytes.length > MAX_RECEIPT_BYTES) throw new AppAttestError('receipt_invalid', 'receipt size');
  const anchor =
    input.trustAnchor === undefined
      ? (g3 ??= new X509Certificate(APPLE_ROOT_CA_G3_PEM))
      : typeof input.trustAnchor === 'string'
        ? new X509Certificate(input.trustAnchor)
        : input.trustAnchor;

  let signed: SignedReceipt;
  try {
    signed = readSignedData(bytes);
  } catch (error) {
    if (error instanceof DerError) throw new AppAttestError('receipt_invalid', `receipt structure: ${error.message}`);
    throw error;
  }
  const signer = signed.certificates.find((c) => c.serialNumber.toUpperCase() === signed.signerSerial);
  if (signer === undefined) throw new AppAttestError('receipt_invalid', 'no certificate for the signer');
  // The chain the receipt carries, from the signer up to (not including) the anchor; a copy of the root is skipped.
  const chain = [signer];
  while (chain.length < 4 && !chain.at(-1)!.checkIssued(anchor)) {
    const next = signed.certificates.find((c) => !chain.includes(c) && chain.at(-1)!.checkIssued(c) && c.fingerprint256 !== anchor.fingerprint256);
    if (next === undefined) break;
    chain.push(next);
  }
  try {
    verifyCertificateChain(chain, anchor, now);
  } catch (error) {
    if (error instanceof AppAttestError && error.reason === 'chain_invalid') throw new AppAttestError('receipt_invalid', error.message);
    throw error;
  }
  checkReceiptSigner(chain);
  const verifies = (data: Buffer): boolean => {
    try {
      return verifySignature(signed.digest, data, signer.publicKey, signed.signature);
    } catch {
      return false;
    }
  };
  // RFC 5652 signs the attributes when there are any; Apple's 2020 receipts carry attributes yet sign the content
  // itself. Either way the signer's key covers the payload (directly, or through the checked message digest).
  if (!verifies(signed.payload) && !(signed.signedAttributes !== undefined && verifies(signed.signedAttributes))) {
    throw new AppAttestError('receipt_invalid', 'receipt signature');
  }

  const fields = readFields(signed.payload);
  const text = (type: number): string => {
    const value = fields.get(type);
    if (value === undefined) throw new AppAttestError('receipt_invalid', `receipt field ${type} missing`);
    return unwrapString(value);
  };
  const time = (type: number): number => {
    const t = Date.parse(text(type));
    if (!Number.isFinite(t)) throw new AppAttestError('receipt_invalid', `receipt field ${type} is not a time`);
    return t;
  };
  const type = text(6);
  if (type !== 'ATTEST' && type !== 'RECEIPT') throw new AppAttestError('receipt_invalid', 'unknown receipt type');
  if (input.type !== undefined && type !== input.type) throw new AppAttestError('receipt_mismatch', `expected a ${input.type} receipt`);
  const appId = text(2);
  if (appId !== input.appId) throw new AppAttestError('receipt_mismatch', 'App ID differs');
  const certified = fields.get(3);
  let certifiedKey: Buffer;
  try {
    certifiedKey = new X509Certificate(certified ?? Buffer.alloc(0)).publicKey.export({ type: 'spki', format: 'der' });
  } catch {
    throw new AppAttestError('receipt_invalid', 'receipt field 3 is not a certificate');
  }
  if (!bytesEqual(certifiedKey, input.publicKey.export({ type: 'spki', format: 'der' }))) {
    throw new AppAttestError('receipt_mismatch', 'attested key differs');
  }
  const clientHash = fields.get(4) ?? Buffer.alloc(0);
  if (type === 'ATTEST' && input.clientDataHash !== undefined && !bytesEqual(clientHash, input.clientDataHash)) {
    throw new AppAttestError('receipt_mismatch', 'client data hash differs');
  }
  const createdAt = time(12);
  const expiresAt = time(21);
  if (now > expiresAt) throw new AppAttestError('receipt_expired');
  if (input.maxAgeMs !== undefined && now - createdAt > input.maxAgeMs) throw new AppAttestError('receipt_expired', 'receipt too old');
  return {
    type,
    appId,
    environment: fields.has(7) ? text(7) : undefined,
    clientHash,
    createdAt,
    notBefore: fields.has(19) ? time(19) : undefined,
    expiresAt,
    riskMetric: fields.has(17) ? readMetric(fields.get(17)!) : undefined,
    receipt: bytes.toString('base64'),
  };
}

interface SignedReceipt {
  payload: Buffer;
  certificates: X509Certificate[];
  signerSerial: string;
  digest: string;
  /** DER of the signed attributes as a SET, when present and naming this content. */
  signedAttributes: Buffer | undefined;
  signature: Buffer;
}

/** Walks ContentInfo → SignedData (RFC 5652) and returns what the signature check needs. */
function readSignedData(buf: Buffer): SignedReceipt {
  const contentInfo = parseBer(buf);
  const [type, explicit] = expectChildren(contentInfo, 0x30, 2);
  if (!oidIs(buf, type!, OID_SIGNED_DATA) || explicit!.tagByte !== 0xa0) throw new DerError('not a SignedData');
  const signedData = explicit!.children[0];
  if (signedData === undefined || signedData.tagByte !== 0x30) throw new DerError('SignedData is not a sequence');
  const parts = signedData.children;
  const encap = parts[2];
  if (encap === undefined || encap.tagByte !== 0x30) throw new DerError('encapContentInfo missing');
  const [eType, eExplicit] = encap.children;
  if (eType === undefined || !oidIs(buf, eType, OID_DATA) || eExplicit?.tagByte !== 0xa0 || eExplicit.children.length !== 1) {
    throw new DerError('content is not data');
  }
  const payload = octetString(buf, eExplicit.children[0]!);
  const certificates: X509Certificate[] = [];
  let signerInfos: BerNode | undefined;
  for (const part of parts.slice(3)) {
    if (part.tagByte === 0xa0) {
      if (part.children.length > 8) throw new DerError('too many certificates');
      for (const cert of part.children) certificates.push(parseReceiptCertificate(derBytes(buf, cert)));
    } else if (part.tagByte === 0x31) {
      signerInfos = part;
    }
  }
  if (signerInfos === undefined || signerInfos.children.length !== 1) throw new DerError('exactly one signer expected');
  const signer = signerInfos.children[0]!;
  if (signer.tagByte !== 0x30) throw new DerError('SignerInfo is not a sequence');
  const [, sid, digestAlgorithm, ...rest] = signer.children;
  if (sid?.tagByte !== 0x30 || sid.children[1]?.tagByte !== 0x02) throw new DerError('signer is not identified by issuer and serial');
  const serialBytes = Buffer.from(buf.subarray(sid.children[1].contentStart, sid.children[1].contentEnd));
  // X509Certificate.serialNumber drops the sign byte.
  const signerSerial = (serialBytes[0] === 0 && serialBytes.length > 1 ? serialBytes.subarray(1) : serialBytes).toString('hex').toUpperCase();
  if (digestAlgorithm === undefined || !oidIs(buf, digestAlgorithm.children[0], OID_SHA256)) throw new DerError('digest is not SHA-256');
  const signedAttrs = rest[0]?.tagByte === 0xa0 ? rest.shift() : undefined;
  const [signatureAlgorithm, signatureNode] = rest;
  const algorithm = signatureAlgorithm?.children[0];
  const digest = algorithm && algorithm.tagByte === 0x06 ? SIGNATURE_ALGORITHMS.get(hex(buf, algorithm)) : undefined;
  if (digest === undefined) throw new DerError('unsupported signature algorithm');
  if (signatureNode === undefined) throw new DerError('signature missing');
  const signature = octetString(buf, signatureNode);
  let signedAttributes: Buffer | undefined;
  if (signedAttrs !== undefined && attributesName(buf, signedAttrs, payload)) {
    // RFC 5652 §5.4: the signature covers the DER of the attributes as a SET.
    signedAttributes = derBytes(buf, signedAttrs);
    signedAttributes[0] = 0x31;
  }
  return { payload, certificates, signerSerial, digest, signedAttributes, signature };
}

/**
 * Apple Root CA - G3 also issues developer (WWDR) and Apple Pay intermediates whose leaf keys developers hold, so a
 * chain to G3 alone does not make a certificate Apple's receipt signer. Like Apple's own trust policies, require the
 * leaf marker on the signer and the Application Integration marker on its issuer. A test or private trust anchor is
 * held to the same rule: its chain must carry both markers.
 */
function checkReceiptSigner(chain: readonly X509Certificate[]): void {
  const has = (cert: X509Certificate | undefined, oid: Buffer): boolean => {
    if (cert === undefined) return false;
    try {
      return findExtension(cert.raw, oid) !== undefined;
    } catch {
      return false;
    }
  };
  if (!has(chain[0], OID_RECEIPT_SIGNER_MARKER)) throw new AppAttestError('receipt_invalid', 'signer is not an App Attest receipt signing certificate');
  if (!has(chain[1], OID_AAI_INTERMEDIATE_MARKER)) throw new AppAttestError('receipt_invalid', "signer's issuer is not an Apple Application Integration CA");
}

function parseReceiptCertificate(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch {
    throw new DerError('unparseable certificate');
  }
}

/** Whether the signed attributes carry this content's type and SHA-256 message digest. */
function attributesName(buf: Buffer, attrs: BerNode, payload: Buffer): boolean {
  let digestOk = false;
  let typeOk = false;
  for (const attr of attrs.children) {
    const [oid, values] = attr.children;
    if (oid === undefined || values === undefined || values.children.length !== 1) continue;
    const value = values.children[0]!;
    if (oidIs(buf, oid, OID_MESSAGE_DIGEST)) digestOk = bytesEqual(octetString(buf, value), sha256(payload));
    if (oidIs(buf, oid, OID_CONTENT_TYPE)) typeOk = oidIs(buf, value, OID_DATA);
  }
  return digestOk && typeOk;
}

/** The payload: SET OF SEQUENCE { type INTEGER, version INTEGER, value OCTET STRING }. */
function readFields(payload: Buffer): Map<number, Buffer> {
  const fields = new Map<number, Buffer>();
  try {
    const set = parseBer(payload);
    if (set.tagByte !== 0x31) throw new DerError('payload is not a set');
    for (const field of set.children) {
      const [type, , value] = field.children;
      if (field.tagByte !== 0x30 || type === undefined || value === undefined) throw new DerError('malformed field');
      const n = smallInteger(payload, type);
      if (!fields.has(n)) fields.set(n, octetString(payload, value));
    }
  } catch (error) {
    if (error instanceof DerError) throw new AppAttestError('receipt_invalid', `receipt payload: ${error.message}`);
    throw error;
  }
  return fields;
}

/** Field values are plain UTF-8; accept a DER UTF8String/IA5String wrapper too. */
function unwrapString(value: Buffer): string {
  if ((value[0] === 0x0c || value[0] === 0x16) && value.length >= 2 && value[1]! < 0x80 && value[1] === value.length - 2) {
    return value.subarray(2).toString('utf8');
  }
  return value.toString('utf8');
}

/** The risk metric: ASCII digits, or a DER INTEGER. */
function readMetric(value: Buffer): number {
  if (value[0] === 0x02 && value.length >= 3 && value[1] === value.length - 2 && value.length <= 9) {
    // An INTEGER the reader refuses (negative) is a bad receipt, as in readFields: a raw DerError would reach callers
    // as "cannot decide" (the service's 503) instead of the AppAttestError this function promises.
    try {
      return smallInteger(value, { tagByte: 2, tagNumber: 2, constructed: false, start: 0, contentStart: 2, contentEnd: value.length, end: value.length, definite: true, children: [] });
    } catch (error) {
      if (error instanceof DerError) throw new AppAttestError('receipt_invalid', `risk metric: ${error.message}`);
      throw error;
    }
  }
  const text = unwrapString(value);
  if (!/^\d{1,10}$/.test(text)) throw new AppAttestError('receipt_invalid', 'risk metric is not a number');
  return Number(text);
}

function expectChildren(node: BerNode, tagByte: number, min: number): readonly BerNode[] {
  if (node.tagByte !== tagByte || node.children.length < min) throw new DerError('unexpected structure');
  return node.children;
}

function oidIs(buf: Uint8Array, node: BerNode | undefined, oid: Buffer): boolean {
  return node !== undefined && node.tagByte === 0x06 && bytesEqual(buf.subarray(node.contentStart, node.contentEnd), oid);
}

function hex(buf: Uint8Array, node: BerNode): string {
  return Buffer.from(buf.subarray(node.contentStart, node.contentEnd)).toString('hex');
}
