/**
 * The store-key part of a username or device id: short and fixed-length (128 bits of SHA-256), so neither sits in the
 * store raw. Cached, because one device or one account logs in again and again and a hash is the dearest step of a
 * check.
 */
import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/**
 * Longer values are hashed every time: normalising (NFKC, or NFKD for the accent fold) can grow a 1,024-character
 * username eighteenfold (U+FDFA), see username.ts.
 */
const DIGEST_CACHED_LENGTH = 256;
/** Only values of `DIGEST_CACHED_LENGTH` characters or fewer: the cache holds a few MB at most, whatever is sent. */
const digestCache = new LRUCache<string, string>({ max: 10_000 });
/** The key part of `value` (22 base64url characters). */
export function digestKey(value: string): string {
  let digest = digestCache.get(value);
  if (digest === undefined) {
    digest = hash('sha256', value, 'base64url').slice(0, 22);
    if (value.length <= DIGEST_CACHED_LENGTH) digestCache.set(value, digest);
  }
  return digest;
}

/** How many digests the cache holds (tests: the bound on what it keeps). */
export function cachedDigestCount(): number {
  return digestCache.size;
}
