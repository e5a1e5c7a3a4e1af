/**
 * Shared state behind the verifiers (replay, counters, lockouts, App Attest counters). Every operation is atomic
 * on its own, so two shield instances on one store can never both win a race. Implementations: `MemoryStore`
 * (one process) and `RedisStore` (`mobile-api-shield/redis`, many instances).
 *
 * Keys are opaque strings chosen by the verifiers; implementations may prefix them. TTLs are in milliseconds.
 * A store that cannot answer rejects its promise; the verifier then fails closed (`shield_unavailable`).
 */
export interface Store {
  /** Stores `value` under `key` only when the key is absent. Resolves true when this call stored it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** The value under `key`, or undefined. */
  get(key: string): Promise<string | undefined>;
  /** Removes `key` (a counter, a set or a value). */
  delete(key: string): Promise<void>;
  /**
   * Adds one to the counter at `key`, creating it with `ttlMs` when absent (the TTL is not extended by later
   * increments: a fixed window). Resolves the new count and the window's remaining time.
   */
  increment(key: string, ttlMs: number): Promise<{ count: number; ttlMs: number }>;
  /**
   * Adds `member` to the set at `key` (created with `ttlMs` when absent) and resolves the set's cardinality.
   * Used for "distinct usernames per IP per window".
   */
  addToSet(key: string, member: string, ttlMs: number): Promise<number>;
  /**
   * Stores `value` under `key` only when the key is absent or holds a smaller number. Resolves true when this call
   * raised it: a strictly increasing counter (App Attest assertion counters) that concurrent replays cannot both pass.
   */
  setIfGreater(key: string, value: number, ttlMs: number): Promise<boolean>;
}
