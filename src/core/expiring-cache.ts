/**
 * The bounded caches whose entries expire by lru-cache's TTL (App Attest keys, breached-password answers; the
 * verified-token cache keeps each entry's expiry itself, read against the check's clock). lru-cache's
 * default `ttlResolution` of 1 ms reads the clock through a `setTimeout` that clears its cached time a millisecond
 * later: with requests more than 1 ms apart that armed a timer per lookup, and its firing woke the event loop once
 * more per request (tens of µs of CPU). Resolution 0 reads `performance.now()` per lookup instead (tens of ns).
 */
import { LRUCache } from 'lru-cache';

/** An LRU cache with expiring entries that never arms a timer on lookup (`options.max` bounds it). */
export function createExpiringCache<K extends {}, V extends {}>(options: LRUCache.Options<K, V, unknown> & { max: number }): LRUCache<K, V> {
  return new LRUCache<K, V>({ ...options, ttlResolution: 0 });
}
