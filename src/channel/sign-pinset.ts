/**
 * Signing pin sets: a compact JWS (ES256, jose) with `kid` and `typ: pinset+jws`. The signing key is not the TLS
 * key: apps embed the signing public key(s) at build time, so a stolen TLS key cannot publish pins.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, CompactSign, exportJWK, type JWK } from 'jose';
import { PINSET_JWS_TYPE, pinSetPayloadSchema, type PinSetPayload } from './pinset-payload.js';
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
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 128) throw new Error('kid must be a non-empty string');
  return { kid, key, publicJwk: { ...publicJwk, kid, alg: 'ES256', use: 'sig' } };
}

/** Signs a pin-set payload (validated first: a signer never emits a set its clients would refuse). */
export async function signPinSet(payload: PinSetPayload, signer: ImportedSigningKey): Promise<string> {
  const checked = pinSetPayloadSchema.safeParse(payload, ENGLISH);
  if (!checked.success) throw new Error(`pin set payload invalid: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'ES256', kid: signer.kid, typ: PINSET_JWS_TYPE })
    .sign(signer.key);
}
