import { X509Certificate, type KeyObject } from 'node:crypto';
import { APPLE_APP_ATTESTATION_ROOT_CA_PEM } from './apple-root-ca.js';
import { appIdMismatch, certifiedAppId } from './app-id.js';
import { parseAuthenticatorData } from './authenticator-data.js';
import { checkClientDataHash, clientDataBytes, sha256, toBytes } from './bytes.js';
import { parseCertificate, verifyCertificateChain } from './certificate-chain.js';
import { bytesEqual, children, content, DerError, findExtension, readElement } from './der-reader.js';
import { AAGUID, environmentOfAaguid, type AppAttestEnvironment } from './environment.js';
import { AppAttestError } from './errors.js';
import type { AppAttestExtensions } from './extensions.js';
import { readMacAccessControl, type MacAccessControl } from './mac-access-control.js';
import { verifyAppAttestReceipt, type VerifiedAppAttestReceipt } from './receipt.js';
import { decodeCbor } from './cbor.js';
import { judgementTime } from '../time.js';

/** Input of {@link verifyAppAttestation}. Binary fields accept bytes or base64 text. */
export interface AppAttestationInput {
  /** The CBOR attestation object `DCAppAttestService.attestKey` returned (bytes or base64). */
  attestationObject: Uint8Array | string;
  /**
   * The client data the app hashed and passed to `attestKey` (normally the server's one-time challenge); text is
   * taken as UTF-8. Give either this or `clientDataHash`.
   */
  challenge?: Uint8Array | string;
  /** SHA-256 of the client data, when the caller already has it. */
  clientDataHash?: Uint8Array | string;
  /** The key identifier `generateKey` returned (base64 or bytes). */
  keyId: Uint8Array | string;
  /** The Apple Developer Team ID. */
  teamId: string;
  /** The app's bundle identifier. */
  bundleId: string;
  /** Which App Attest environment the build uses. */
  environment: AppAttestEnvironment;
  /** When to check certificate validity (epoch ms or Date); default now. A non-finite time throws a TypeError. */
  now?: number | Date;
  /** Trust anchor overriding Apple's App Attestation Root CA (PEM or parsed). */
  trustAnchor?: X509Certificate | string;
  /**
   * Also verify Apple's receipt (see `verifyAppAttestReceipt`): its PKCS#7 chain to Apple Root CA - G3 and its App
   * ID, key and client data hash fields; a missing receipt then fails. Default false (the receipt only matters for
   * the optional fraud-risk exchange); the registry turns it on.
   */
  verifyReceipt?: boolean;
  /** Trust anchor overriding Apple Root CA - G3 for the receipt. */
  receiptTrustAnchor?: X509Certificate | string;
  /** Refuse a receipt created longer ago than this. */
  receiptMaxAgeMs?: number;
}

/** A verified attestation: the key to store and what was proven about it. */
export interface VerifiedAppAttestation {
  /** Base64 key identifier (SHA-256 of the uncompressed P-256 public key). */
  readonly keyId: string;
  /** The attested public key. */
  readonly publicKey: KeyObject;
  /** Base64 DER SubjectPublicKeyInfo of the attested key, for storage. */
  readonly publicKeySpki: string;
  readonly environment: AppAttestEnvironment;
  /** `TEAMID.bundleId`. */
  readonly appId: string;
  /** Apple's receipt (for the optional fraud-metric exchange with Apple). */
  readonly receipt: Uint8Array | undefined;
  /** The verified receipt, when `verifyReceipt` was set. */
  readonly verifiedReceipt?: VerifiedAppAttestReceipt;
  /** The macOS key access-control extension, when the leaf carries one (macOS attestations). */
  readonly macAccessControl?: MacAccessControl;
  /** Apple's authenticator-data extensions (iOS 27+), when present. */
  readonly extensions?: AppAttestExtensions;
}

/** DER content of OID 1.2.840.113635.100.8.2, the App Attest nonce extension. */
const NONCE_OID = new Uint8Array([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x08, 0x02]);

let defaultAnchor: X509Certificate | undefined;
/** Apple's root, parsed once on first use. */
function appleRoot(): X509Certificate {
  defaultAnchor ??= new X509Certificate(APPLE_APP_ATTESTATION_ROOT_CA_PEM);
  return defaultAnchor;
}

interface AttestationObject {
  fmt: unknown;
  attStmt: { x5c?: unknown; receipt?: unknown } | undefined;
  authData: unknown;
}

/**
 * Verifies an App Attest attestation as Apple specifies it ("Validating apps that connect to your server"): the x5c
 * chain up to the App Attestation Root CA and valid at `now`, the nonce extension equal to
 * SHA-256(authData || clientDataHash), the key id equal to SHA-256 of the leaf's public key and to the credential id,
 * rpIdHash equal to SHA-256(`teamId.bundleId`), counter 0 and the environment's aaguid.
 *
 * Throws {@link AppAttestError} with a precise `reason` on the first failed check, and a TypeError for a `now` that is
 * not a finite time (it would switch the validity checks off).
 */
export function verifyAppAttestation(input: AppAttestationInput): VerifiedAppAttestation {
  const now = judgementTime(input.now, 'verifyAppAttestation');
  const anchor =
    input.trustAnchor === undefined
      ? appleRoot()
      : typeof input.trustAnchor === 'string'
        ? parseCertificate(input.trustAnchor)
        : input.trustAnchor;

  const object = decodeAttestationObject(toBytes(input.attestationObject));
  if (object.fmt !== 'apple-appattest') throw new AppAttestError('unsupported_format');
  const x5c = object.attStmt?.x5c;
  if (!Array.isArray(x5c) || x5c.length < 2 || x5c.length > 4 || !x5c.every((c) => c instanceof Uint8Array)) {
    throw new AppAttestError('malformed', 'x5c must hold the leaf and intermediate certificates');
  }
  if (!(object.authData instanceof Uint8Array)) throw new AppAttestError('malformed', 'authData missing');
  const authData = object.authData;
  const leafDer = x5c[0] as Uint8Array;

  // 1. The chain, before anything in the leaf is believed.
  const chain = (x5c as Uint8Array[]).map(parseCertificate);
  verifyCertificateChain(chain, anchor, now);
  const leaf = chain[0]!;

  // 2-4. nonce = SHA-256(authData || clientDataHash) must equal the certified nonce.
  const clientDataHash = resolveClientDataHash(input);
  const nonce = sha256(authData, clientDataHash);
  if (!bytesEqual(nonce, certifiedNonce(leafDer))) throw new AppAttestError('challenge_mismatch');

  // 5. key id = SHA-256 of the uncompressed public key point.
  const publicKey = leaf.publicKey;
  const point = uncompressedPoint(publicKey);
  const keyId = sha256(point);
  if (!bytesEqual(keyId, toBytes(input.keyId))) throw new AppAttestError('key_id_mismatch');

  // 6. rpIdHash = SHA-256(App ID).
  const parsed = parseAuthenticatorData(authData, true);
  const appId = `${input.teamId}.${input.bundleId}`;
  if (!bytesEqual(parsed.rpIdHash, sha256(Buffer.from(appId, 'utf8')))) {
    throw appIdMismatch(parsed.rpIdHash, certifiedAppId(leafDer), input.teamId, input.bundleId, (s) =>
      sha256(Buffer.from(s, 'utf8')),
    );
  }
  // 7. A fresh key has never signed anything.
  if (parsed.counter !== 0) throw new AppAttestError('counter_not_zero');
  // 8. The environment's aaguid.
  if (parsed.aaguid === undefined || parsed.credentialId === undefined) {
    throw new AppAttestError('malformed', 'attested credential data missing');
  }
  if (!bytesEqual(parsed.aaguid, AAGUID[input.environment])) {
    throw new AppAttestError(
      'environment_mismatch',
      `attested in ${environmentOfAaguid(parsed.aaguid) ?? 'an unknown environment'}, expected ${input.environment}`,
    );
  }
  // 9. The credential id is the key id.
  if (!bytesEqual(parsed.credentialId, keyId)) throw new AppAttestError('key_id_mismatch', 'credential id differs');

  const receipt = object.attStmt?.receipt;
  let verifiedReceipt: VerifiedAppAttestReceipt | undefined;
  if (input.verifyReceipt) {
    if (!(receipt instanceof Uint8Array)) throw new AppAttestError('receipt_invalid', 'receipt missing');
    verifiedReceipt = verifyAppAttestReceipt({
      receipt,
      appId,
      publicKey,
      clientDataHash,
      type: 'ATTEST',
      now,
      ...(input.receiptTrustAnchor !== undefined ? { trustAnchor: input.receiptTrustAnchor } : {}),
      ...(input.receiptMaxAgeMs !== undefined ? { maxAgeMs: input.receiptMaxAgeMs } : {}),
    });
  }
  const macAccessControl = readMacAccessControl(leafDer);
  return {
    keyId: keyId.toString('base64'),
    publicKey,
    publicKeySpki: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    environment: input.environment,
    appId,
    receipt: receipt instanceof Uint8Array ? receipt : undefined,
    ...(verifiedReceipt ? { verifiedReceipt } : {}),
    ...(macAccessControl ? { macAccessControl } : {}),
    ...(parsed.extensions ? { extensions: parsed.extensions } : {}),
  };
}

function decodeAttestationObject(bytes: Uint8Array): AttestationObject {
  let value: unknown;
  try {
    value = decodeCbor(bytes);
  } catch {
    throw new AppAttestError('malformed', 'attestation object is not CBOR');
  }
  if (typeof value !== 'object' || value === null) throw new AppAttestError('malformed', 'attestation object is not a map');
  return value as AttestationObject;
}

function resolveClientDataHash(input: AppAttestationInput): Uint8Array {
  if (input.clientDataHash !== undefined) {
    return checkClientDataHash(toBytes(input.clientDataHash));
  }
  if (input.challenge === undefined) throw new AppAttestError('malformed', 'challenge or clientDataHash required');
  return sha256(clientDataBytes(input.challenge));
}

/** The 32-byte nonce in extension 1.2.840.113635.100.8.2: SEQUENCE { [1] EXPLICIT OCTET STRING }. */
function certifiedNonce(leafDer: Uint8Array): Uint8Array {
  try {
    const value = findExtension(leafDer, NONCE_OID);
    if (value === undefined) throw new AppAttestError('malformed', 'nonce extension missing');
    const seq = readElement(value, 0, value.length);
    if (seq.tagByte !== 0x30) throw new DerError('nonce extension is not a sequence');
    const tagged = children(value, seq).find((el) => el.tagByte === 0xa1);
    if (tagged === undefined) throw new DerError('nonce not tagged [1]');
    const octets = readElement(value, tagged.start, tagged.end);
    if (octets.tagByte !== 0x04 || octets.end - octets.start !== 32) throw new DerError('nonce is not 32 octets');
    return content(value, octets);
  } catch (error) {
    if (error instanceof DerError) throw new AppAttestError('malformed', `nonce extension: ${error.message}`);
    throw error;
  }
}

/** 0x04 || X || Y of a P-256 public key; anything else is not an App Attest key. */
export function uncompressedPoint(key: KeyObject): Buffer {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new AppAttestError('malformed', 'attested key is not P-256');
  }
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') throw new AppAttestError('malformed', 'bad EC key');
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
}
