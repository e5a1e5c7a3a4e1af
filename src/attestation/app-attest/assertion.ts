import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { appIdMismatch } from './app-id.js';
import { parseAuthenticatorData } from './authenticator-data.js';
import { checkClientDataHash, clientDataBytes, sha256, toBytes } from './bytes.js';
import { bytesEqual } from './der-reader.js';
import { AppAttestError } from './errors.js';
import type { AppAttestExtensions } from './extensions.js';
import { decodeCbor } from './cbor.js';

/** Input of {@link verifyAppAssertion}. Binary fields accept bytes or base64 text. */
export interface AppAssertionInput {
  /** The CBOR assertion `generateAssertion` returned (bytes or base64). */
  assertion: Uint8Array | string;
  /** The client data the app hashed for this request (text is UTF-8). Give this or `clientDataHash`. */
  clientData?: Uint8Array | string;
  /** The client data hash the app passed to `generateAssertion` (normally SHA-256 of the client data). */
  clientDataHash?: Uint8Array | string;
  /**
   * Further client data hashes to accept (e.g. the same request in a legacy canonical form). The signature must
   * match one of them; the first is tried first.
   */
  alternativeClientDataHashes?: readonly Uint8Array[];
  /** The key registered at attestation: a KeyObject, PEM, or base64 DER SubjectPublicKeyInfo. */
  publicKey: KeyObject | string;
  teamId: string;
  bundleId: string;
  /**
   * The counter stored for this key. Checked here only as a fast pre-filter: callers with shared state must still
   * raise the stored counter atomically (the registry does, with `Store.setIfGreater`).
   */
  previousCounter?: number;
  /** The App ID recorded at registration, used only to name a mismatch precisely (team vs bundle). */
  registeredAppId?: string;
}

/** A verified assertion. */
export interface VerifiedAppAssertion {
  /** The assertion's counter; the caller must store it so the next assertion has to exceed it. */
  readonly counter: number;
  /** Which client data hash the signature matched: 0 for `clientDataHash`/`clientData`, i + 1 for alternative i. */
  readonly matchedClientDataHash: number;
  /** Apple's authenticator-data extensions (iOS 27+), when present. */
  readonly extensions?: AppAttestExtensions;
}

/** Assertions are small (a DER signature and 37 bytes of authenticator data); anything far larger is hostile. */
const MAX_ASSERTION_BYTES = 1024;

/**
 * Verifies one App Attest assertion: CBOR `{ signature, authenticatorData }`, rpIdHash = SHA-256(App ID), an ECDSA
 * P-256 signature over nonce = SHA-256(authenticatorData || SHA-256(clientData)), and a counter greater than
 * `previousCounter` (and at least 1: counter 0 belongs to the attestation). Throws {@link AppAttestError}.
 */
export function verifyAppAssertion(input: AppAssertionInput): VerifiedAppAssertion {
  const bytes = toBytes(input.assertion);
  if (bytes.length > MAX_ASSERTION_BYTES) throw new AppAttestError('malformed', 'assertion too large');
  let object: unknown;
  try {
    object = decodeCbor(bytes);
  } catch {
    throw new AppAttestError('malformed', 'assertion is not CBOR');
  }
  const { signature, authenticatorData } = (object ?? {}) as { signature?: unknown; authenticatorData?: unknown };
  if (!(signature instanceof Uint8Array) || !(authenticatorData instanceof Uint8Array)) {
    throw new AppAttestError('malformed', 'assertion lacks signature or authenticatorData');
  }
  const auth = parseAuthenticatorData(authenticatorData);
  const expectedRpIdHash = sha256(Buffer.from(`${input.teamId}.${input.bundleId}`, 'utf8'));
  if (!bytesEqual(auth.rpIdHash, expectedRpIdHash)) {
    throw appIdMismatch(auth.rpIdHash, input.registeredAppId, input.teamId, input.bundleId, (s) =>
      sha256(Buffer.from(s, 'utf8')),
    );
  }

  const key = toPublicKey(input.publicKey);
  const candidates = [resolveClientDataHash(input), ...(input.alternativeClientDataHashes ?? [])];
  let matched: number | undefined;
  for (let i = 0; i < candidates.length && matched === undefined; i++) {
    const candidate = candidates[i]!;
    if (i > 0) checkClientDataHash(candidate);
    if (signatureValid(key, sha256(authenticatorData, candidate), signature)) matched = i;
  }
  if (matched === undefined) throw new AppAttestError('bad_signature');

  if (auth.counter < 1 || (input.previousCounter !== undefined && auth.counter <= input.previousCounter)) {
    throw new AppAttestError('counter_not_increasing');
  }
  return { counter: auth.counter, matchedClientDataHash: matched, ...(auth.extensions ? { extensions: auth.extensions } : {}) };
}

function signatureValid(key: KeyObject, nonce: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verifySignature('sha256', nonce, key, signature);
  } catch {
    // A signature that is not even valid DER is simply a bad signature.
    return false;
  }
}

function resolveClientDataHash(input: AppAssertionInput): Uint8Array {
  if (input.clientDataHash !== undefined) {
    return checkClientDataHash(toBytes(input.clientDataHash));
  }
  if (input.clientData === undefined) throw new AppAttestError('malformed', 'clientData or clientDataHash required');
  return sha256(clientDataBytes(input.clientData));
}

/** Accepts a KeyObject, a PEM, or base64 DER SPKI (what the registry stores). */
export function toPublicKey(key: KeyObject | string): KeyObject {
  if (typeof key !== 'string') return key;
  try {
    return key.includes('-----BEGIN')
      ? createPublicKey(key)
      : createPublicKey({ key: Buffer.from(key, 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw new AppAttestError('malformed', 'unreadable public key');
  }
}
