import { createHash } from 'node:crypto';
import { AppAttestError } from './errors.js';

/** Bytes given directly, or base64 (standard or URL-safe) text decoded. */
export function toBytes(input: Uint8Array | string): Uint8Array {
  return typeof input === 'string' ? Buffer.from(input, input.includes('-') || input.includes('_') ? 'base64url' : 'base64') : input;
}

/** Client data given as bytes, or as text encoded as UTF-8 (what the app hashed). */
export function clientDataBytes(input: Uint8Array | string): Uint8Array {
  return typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
}

/** SHA-256 of the concatenation of `parts`. */
export function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** Apple asks for a client data hash of at least 16 bytes (any digest, not only SHA-256); 1 KiB bounds the work. */
const MIN_CLIENT_DATA_HASH = 16;
const MAX_CLIENT_DATA_HASH = 1024;

/** Returns `hash` when its length is one Apple accepts; throws `malformed` otherwise. */
export function checkClientDataHash(hash: Uint8Array): Uint8Array {
  if (hash.length < MIN_CLIENT_DATA_HASH || hash.length > MAX_CLIENT_DATA_HASH) {
    throw new AppAttestError('malformed', `clientDataHash must be ${MIN_CLIENT_DATA_HASH} to ${MAX_CLIENT_DATA_HASH} bytes`);
  }
  return hash;
}
