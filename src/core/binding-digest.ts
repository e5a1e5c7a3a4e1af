import { hash, timingSafeEqual } from 'node:crypto';

/** How a binding scheme spells its SHA-256 digest. */
export type DigestEncoding = 'base64' | 'base64url' | 'either';

const BASE64 = /^[A-Za-z0-9+/]{43}=$/;
const BASE64URL = /^[A-Za-z0-9_-]{43}$/;

/**
 * A SHA-256 digest presented by a client or a token claim, in the spelling its scheme uses: canonical padded base64
 * (Approov's `pay`), unpadded base64url (device body hashes) or either. Returns the 32 bytes, or undefined for
 * anything else, so a malformed value can never reach the comparison.
 */
export function decodeDigest(text: string, encoding: DigestEncoding): Buffer | undefined {
  if (encoding !== 'base64url' && BASE64.test(text)) return Buffer.from(text, 'base64');
  if (encoding !== 'base64' && BASE64URL.test(text)) return Buffer.from(text, 'base64url');
  return undefined;
}

/** True when `presented` (a decoded digest) is the SHA-256 of `material`; compared in constant time. */
export function digestMatches(presented: Buffer, material: string | Buffer): boolean {
  const expected = hash('sha256', material, 'buffer');
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
