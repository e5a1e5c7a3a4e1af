/** How {@link Store.reserveAttempt} counts. */
export interface ReserveAttemptOptions {
  /** Failures (settled) plus held reservations that exhaust the counter. */
  limit: number;
  /**
   * Reservations still granted, one at a time, once failures alone reach `limit` and no lock is active: `1` for a
   * lock with backoff (one more try after each lock), `0` for a budget (exhausted until the window ends).
   */
  floor: 0 | 1;
  /** The counter's fixed window, set when it is created. */
  windowMs: number;
  /** A reservation not settled within this long frees itself (a crashed request cannot hold a slot forever). */
  holdMs: number;
  /**
   * The counter's reset scope (e.g. one username, whatever the IP): {@link Store.resetScope} voids every counter of
   * the scope at once. A store co-locates a scope's counters with its reset epoch (RedisStore: one hash tag), so the
   * epoch is read in the same atomic step as the counter. Pass the same scope on every call for a key.
   */
  scope?: string;
}

/** What {@link Store.reserveAttempt} answered. */
export interface AttemptReservation {
  /** True when the attempt holds a slot and may proceed. */
  granted: boolean;
  /** When refused: milliseconds until a retry can succeed (the lock, the window, or 1000 when slots are held). */
  retryAfterMs: number;
  /** When refused: true when a lock (not held slots or an exhausted budget) refused it. */
  locked: boolean;
}

/** How {@link Store.settleAttempt} ends a reservation. */
export interface SettleAttemptOptions {
  /** True: the attempt failed and counts (held or not); false: its slot is released and nothing counts. */
  failed: boolean;
  /** As in {@link ReserveAttemptOptions}. */
  limit: number;
  windowMs: number;
  /**
   * Lock the counter for this long once failures reach `limit`, doubled for each failure beyond it, capped at
   * `maxLockMs`. 0: no lock (a budget).
   */
  lockMs: number;
  maxLockMs: number;
  /** As in {@link ReserveAttemptOptions}. */
  scope?: string;
  /** With `failed: false`: remove the counter (its failures and lock), as a successful login does. */
  clear?: boolean;
}

/** What {@link Store.reserveMember} answered. */
export interface MemberReservation {
  /** True when the member was already in the set or was added now (the set had room). */
  granted: boolean;
  /** True when this call added the member. Every granted reservation holds it: release with `removeMember` if the attempt does not fail. */
  added: boolean;
}

/**
 * How {@link Store.reserveMember} holds a member, and where {@link Store.removeMember} finds the hold. Optional, so
 * stores written before it keep working (their holds last as long as the set).
 */
export interface MemberHoldOptions {
  /**
   * A hold not released within this long frees itself (a crashed or abandoned request cannot keep a member in the set
   * for the set's whole window). Without it a hold lasts until released or until the set's `ttlMs` ends.
   */
  holdMs?: number;
  /**
   * The key of a set that `addToSet` fills (the members whose attempts failed), whose members count here for as long
   * as that set lives, whatever their holds: such a member is granted, counts toward `limit`, and no release or hold
   * expiry takes it out. A store keeps the holds with that set, so both are read in one atomic step (RedisStore:
   * `<prefix>{<keptSet>}#held`, one hash tag) and deleting the set deletes its holds. Pass the same `keptSet` on
   * every `reserveMember` and `removeMember` of a key, and one key per kept set.
   */
  keptSet?: string;
}

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
  /** Removes `key` (a counter, a set or a value), and the holds kept with a set (see {@link MemberHoldOptions.keptSet}). */
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
  /**
   * As `setIfGreater`, but only when `key` exists, in the same atomic step: resolves true when raised, false when the
   * key holds `value` or more, undefined when it is absent (nothing is written). Optional; the App Attest registry
   * uses it so that a counter the store lost (expired, evicted) is never started over, which a read followed by
   * `setIfGreater` cannot promise when the key goes between the two. Both built-in stores have it.
   */
  raiseIfPresent?(key: string, value: number, ttlMs: number): Promise<boolean | undefined>;

  /**
   * Reserve-then-settle login counting, one atomic step each: grants a slot on the attempt counter at `key` (a
   * reservation named `id`) unless its settled failures plus held reservations reached the limit or its lock is
   * active. With N concurrent attempts and limit L, at most L are granted. Optional so custom stores written
   * before it keep working for the verifiers that do not need it; the credential-abuse verifier requires it.
   */
  reserveAttempt?(key: string, id: string, options: ReserveAttemptOptions): Promise<AttemptReservation>;
  /** Ends reservation `id` on `key`: a failure counts (and may lock), anything else frees the slot. Resolves failures. */
  settleAttempt?(key: string, id: string, options: SettleAttemptOptions): Promise<number>;
  /**
   * Holds `member` in the set at `key` (created with `ttlMs`) when it is already there or the set holds fewer than
   * `limit` members, atomically: at most `limit` distinct members are ever admitted. Every granted reservation is
   * one hold of the member (counted), so the member stays while any reservation of it is unreleased and, with
   * `options.holdMs`, unexpired: a hold never released frees itself after `holdMs` (expired holds are dropped when
   * the set is full). With `options.keptSet`, the members of that set are in this one too (see {@link MemberHoldOptions}).
   */
  reserveMember?(key: string, member: string, limit: number, ttlMs: number, options?: MemberHoldOptions): Promise<MemberReservation>;
  /**
   * Releases one hold of `member` at `key` (a reservation that did not turn into a failure); the member leaves the
   * set with its last hold. A twin reservation ending first must not free a member another one still holds. A member
   * of `options.keptSet` stays (pass the `keptSet` the member was reserved with).
   */
  removeMember?(key: string, member: string, options?: Pick<MemberHoldOptions, 'keptSet'>): Promise<void>;
  /**
   * Voids, in one atomic step, every attempt counter reserved or settled with this `scope`: the next operation on
   * one of them finds it absent (a failure settled after the reset counts in a new window, never on the old count).
   * The reset is remembered for `ttlMs`, which must cover the longest life of a counter of the scope. Needed by
   * `shield.credentials.reset({ username })`; stores without it cannot reset usernames.
   */
  resetScope?(scope: string, ttlMs: number): Promise<void>;
}

/** A store with the login-counting operations (both built-in stores are). */
export type AttemptStore = Store & Required<Pick<Store, 'reserveAttempt' | 'settleAttempt' | 'reserveMember' | 'removeMember'>>;

/** True when `store` has the reserve-then-settle operations. */
export function isAttemptStore(store: Store): store is AttemptStore {
  return (
    typeof store.reserveAttempt === 'function' &&
    typeof store.settleAttempt === 'function' &&
    typeof store.reserveMember === 'function' &&
    typeof store.removeMember === 'function'
  );
}
