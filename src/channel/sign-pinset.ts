/**
 * Signing pin sets: a compact JWS (ES256, jose) with `kid` and `typ: pinset+jws`. The signing key is not the TLS
 * key: apps embed the signing public key(s) at build time, so a stolen TLS key cannot publish pins.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, CompactSign, exportJWK, type JWK } from 'jose';
import { MAX_PINSET_JWS_LENGTH, MAX_PINSET_LIFETIME_SECONDS, PINSET_JWS_TYPE, pinSetPayloadSchema, type PinSetPayload } from './pinset-payload.js';
import { privateKeyFrom } from '../core/private-key.js';
import { ENGLISH } from '../core/zod-locale.js';

/** A pin-set signing key: a P-256 private key as a JWK, PEM or KeyObject, and its `kid` (default: JWK thumbprint). */
export interface PinSetSigningKey {
  kid?: string;
  privateKey: JWK | string | KeyObject;
}

/** A signing key after import, ready to sign. */
export interface ImportedSigningKey {
  readonly kid: string;
  readonly key: KeyObject;
  /** The public half as a JWK (`kid`, `alg`, `use`), what apps embed. */
  readonly publicJwk: JWK;
}

/**
 * The rule for a signing key's `kid`: a string of 1 to 128 characters. Tools that treat "" as "no kid" would sign
 * under another one than the public JWK apps embed, which every app then refuses (`unknown_key`).
 */
export function isValidKid(kid: unknown): kid is string {
  return typeof kid === 'string' && kid.length > 0 && kid.length <= 128;
}

/** Imports a P-256 private key for ES256 pin-set signing. Throws a plain Error that says what is wrong. */
export async function importSigningKey(input: PinSetSigningKey): Promise<ImportedSigningKey> {
  if (typeof input !== 'object' || input === null) throw new Error('a signing key must be { kid?, privateKey }');
  let key: KeyObject;
  try {
    key = privateKeyFrom(input.privateKey as string | JsonWebKey | KeyObject);
  } catch (error) {
    throw new Error(`privateKey ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('privateKey must be an EC P-256 key (pin sets are signed ES256)');
  }
  const publicJwk = await exportJWK(createPublicKey(key));
  const kid = input.kid ?? (await calculateJwkThumbprint(publicJwk));
  if (!isValidKid(kid)) throw new Error('kid must be a string of 1 to 128 characters');
  return { kid, key, publicJwk: { ...publicJwk, kid, alg: 'ES256', use: 'sig' } };
}

/** The protected header of a pin set signed under `kid`. */
const headerFor = (kid: string) => ({ alg: 'ES256', kid, typ: PINSET_JWS_TYPE });
/** Unpadded base64url length of `bytes` bytes. */
const base64urlLength = (bytes: number) => Math.ceil((bytes * 4) / 3);

/**
 * Throws a RangeError when the compact JWS of `payload` signed under `kid` would be longer than
 * `MAX_PINSET_JWS_LENGTH` (clients refuse it). Computed from the encoded parts, without signing, so a publisher
 * can refuse a configuration before it serves anything.
 */
export function assertPinSetSize(payload: PinSetPayload, kid: string): void {
  const encoder = new TextEncoder();
  const header = base64urlLength(encoder.encode(JSON.stringify(headerFor(kid))).length);
  const body = base64urlLength(encoder.encode(JSON.stringify(payload)).length);
  // header.payload.signature; an ES256 signature is 64 bytes.
  const length = header + 1 + body + 1 + base64urlLength(64);
  if (length > MAX_PINSET_JWS_LENGTH) {
    throw new RangeError(`pin set too large: signed it would be ${length} characters and clients refuse over ${MAX_PINSET_JWS_LENGTH}; pin fewer hosts or keys`);
  }
}

/**
 * Signs a pin-set payload (validated first: a signer never emits a set its clients would refuse). Throws an Error
 * for an invalid payload or one living longer than `MAX_PINSET_LIFETIME_SECONDS`, a RangeError
 * (`assertPinSetSize`) for one too large.
 */
export async function signPinSet(payload: PinSetPayload, signer: ImportedSigningKey): Promise<string> {
  const checked = pinSetPayloadSchema.safeParse(payload, ENGLISH);
  if (!checked.success) throw new Error(`pin set payload invalid: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  if (checked.data.hardExpiry - checked.data.issuedAt > MAX_PINSET_LIFETIME_SECONDS) {
    throw new Error(`pin set payload invalid: hardExpiry is more than ${MAX_PINSET_LIFETIME_SECONDS} s (365 days, MAX_PINSET_LIFETIME_SECONDS) after issuedAt`);
  }
  assertPinSetSize(payload, signer.kid);
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(headerFor(signer.kid))
    .sign(signer.key);
}
