import { createHash } from 'node:crypto';

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
