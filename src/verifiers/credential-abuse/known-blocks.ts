/**
 * The block keys (IP key, device) one instance saw refusing a login, with the time each block ends. Under a
 * stuffing attack most logins come from blocked sources, and the ordinary path reserves a slot on every counter in
 * the same round trip as the block reads, only to release them all: a login from a source known here as blocked
 * reads the blocks alone first and, while they hold, is refused without touching a counter (one or two GETs instead
 * of about a dozen commands). The store still decides every login: a block lifted meanwhile (a reset through another
 * instance) shows in that read, the entry goes, and the login takes the ordinary path.
 */
import { LRUCache } from 'lru-cache';
import type { LoginAttempt } from './counters.js';

/** Entries kept at most: one per blocked IP key or device (older ones are evicted, which only costs a round trip). */
const KNOWN_BLOCKS_MAX = 10_000;

/** Block keys known to this instance as blocking, until when. */
export class KnownBlocks {
  private readonly until = new LRUCache<string, number>({ max: KNOWN_BLOCKS_MAX });

  /** True when `key` was seen blocking and its block has not ended at `now`. */
  holds(key: string | undefined, now: number): boolean {
    return key !== undefined && (this.until.get(key) ?? 0) > now;
  }

  /** Remembers the attempt's IP key and device blocks that hold at `now`. */
  remember(attempt: LoginAttempt, ipUntil: number, deviceUntil: number, now: number): void {
    if (ipUntil > now) this.until.set(attempt.ipBlockKey, ipUntil);
    if (deviceUntil > now && attempt.deviceBlockKey !== undefined) this.until.set(attempt.deviceBlockKey, deviceUntil);
  }

  /** Forgets the attempt's block keys (the store showed them lifted). */
  forget(attempt: LoginAttempt): void {
    this.until.delete(attempt.ipBlockKey);
    if (attempt.deviceBlockKey !== undefined) this.until.delete(attempt.deviceBlockKey);
  }
}
