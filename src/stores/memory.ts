import { LRUCache } from 'lru-cache';
import type {
  AttemptReservation,
  AttemptStore,
  MemberHoldOptions,
  MemberReservation,
  ReserveAttemptOptions,
  SettleAttemptOptions,
} from './store.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most keys held at once; the least recently used key is evicted beyond it. Default 100,000 (about 25 MB of heap
   * with counter-sized entries). Size it above the keys one window of your traffic creates: an evicted lockout
   * is a forgotten lockout.
   */
  maxEntries?: number;
  /** Most members one set keeps (see {@link MemoryStore.addToSet}). Default 1,024. */
  maxSetMembers?: number;
  /** Clock in epoch milliseconds; injectable so tests can move time. Default `Date.now`. */
  now?: () => number;
}

/** One stored thing. Classes, not object literals, so V8 keeps every entry monomorphic and small. */
class ValueEntry {
  constructor(
    public value: string,
    public expiresAt: number,
  ) {}
}
class CounterEntry {
  constructor(
    public count: number,
    public expiresAt: number,
  ) {}
}
class SetEntry {
  constructor(
    public readonly members: Set<string>,
    public expiresAt: number,
  ) {}
}
/** The holds of one reserved member: how many reservations, and when the last of them ends (Infinity: never). */
class MemberHold {
  constructor(
    public count: number,
    public until: number,
  ) {}
}
/** A set of reserved members, each with its holds (see `reserveMember`). */
class HeldSetEntry {
  constructor(
    public readonly holds: Map<string, MemberHold>,
    public expiresAt: number,
  ) {}
}
/** A reserve-then-settle attempt counter: settled failures, a lock, and the reservations held (id → hold end). */
class AttemptEntry {
  failures = 0;
  lockedUntil = 0;
  readonly holds = new Map<string, number>();
  constructor(
    public expiresAt: number,
    /** The reset epoch of its scope when created: older than the scope's current epoch = void. */
    readonly generation: number,
  ) {}
}
/** A scope's reset epoch (see `resetScope`); grows on every reset and never goes back. */
class EpochEntry {
  constructor(
    public generation: number,
    public expiresAt: number,
  ) {}
}
type Entry = ValueEntry | CounterEntry | SetEntry | HeldSetEntry | AttemptEntry | EpochEntry;

/** Where a scope's epoch lives: a NUL byte never appears in the verifiers' keys. */
const epochKey = (scope: string): string => `\u0000epoch\u0000${scope}`;
/** Where the holds reserved with a kept set live (see `MemberHoldOptions.keptSet`): deleted with the set. */
const heldKey = (keptSet: string): string => `\u0000held\u0000${keptSet}`;

const REFUSED_HELD: AttemptReservation = Object.freeze({ granted: false, retryAfterMs: 1000, locked: false });
const GRANTED: AttemptReservation = Object.freeze({ granted: true, retryAfterMs: 0, locked: false });
const MEMBER_PRESENT: MemberReservation = Object.freeze({ granted: true, added: false });
const MEMBER_ADDED: MemberReservation = Object.freeze({ granted: true, added: true });
const MEMBER_REFUSED: MemberReservation = Object.freeze({ granted: false, added: false });

/** Thrown when an operation meets a key holding another kind of value (Redis answers WRONGTYPE then). */
export class StoreTypeError extends Error {
  constructor(operation: string) {
    super(`${operation}: key holds another kind of value`);
    this.name = 'StoreTypeError';
  }
}

/**
 * A {@link Store} in this process's memory, for a single instance (use `RedisStore` when several instances must
 * share replay and lockout state). Bounded by entry count with lru-cache, so memory stays flat whatever the number of
 * distinct keys (IPs, usernames, tokens) an attacker pushes through it. Every operation is synchronous inside, so it
 * is atomic with respect to every other call on the same store.
 *
 * Expiry is checked against the injected clock on access; expired entries take a slot until read or evicted, which
 * the entry bound already accounts for.
 */
export class MemoryStore implements AttemptStore {
  private readonly entries: LRUCache<string, Entry>;
  private readonly maxSetMembers: number;
  private readonly now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? 100_000;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new TypeError('maxEntries must be a positive integer');
    const maxSetMembers = options.maxSetMembers ?? 1024;
    if (!Number.isInteger(maxSetMembers) || maxSetMembers < 1) {
      throw new TypeError('maxSetMembers must be a positive integer');
    }
    this.entries = new LRUCache<string, Entry>({ max: maxEntries });
    this.maxSetMembers = maxSetMembers;
    this.now = options.now ?? Date.now;
  }

  /** Number of keys currently held (expired ones included until touched or evicted). */
  get size(): number {
    return this.entries.size;
  }

  /** The live entry under `key`, dropping it when expired. */
  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.drop(key);
      return undefined;
    }
    return entry;
  }

  /**
   * Removes `key`. lru-cache empties itself when its last key is deleted, and emptying clears arrays as long as
   * `maxEntries` (about 250 µs at 100,000, measured): the last key is left in place, expired, which every read
   * treats as absent, and the next key written takes its turn.
   */
  private drop(key: string): void {
    if (this.entries.size > 1) this.entries.delete(key);
    else {
      const entry = this.entries.peek(key);
      if (entry !== undefined) entry.expiresAt = 0;
    }
  }

  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    if (this.live(key, now) !== undefined) return Promise.resolve(false);
    this.entries.set(key, new ValueEntry(value, now + ttlMs));
    return Promise.resolve(true);
  }

  get(key: string): Promise<string | undefined> {
    const entry = this.live(key, this.now());
    if (entry === undefined) return Promise.resolve(undefined);
    if (entry instanceof ValueEntry) return Promise.resolve(entry.value);
    if (entry instanceof CounterEntry) return Promise.resolve(String(entry.count));
    return Promise.reject(new StoreTypeError('get'));
  }

  delete(key: string): Promise<void> {
    this.drop(key);
    this.drop(heldKey(key)); // the holds kept with a set go with it
    return Promise.resolve();
  }

  increment(key: string, ttlMs: number): Promise<{ count: number; ttlMs: number }> {
    const now = this.now();
    const entry = this.live(key, now);
    if (entry === undefined) {
      this.entries.set(key, new CounterEntry(1, now + ttlMs));
      return Promise.resolve({ count: 1, ttlMs });
    }
    if (entry instanceof CounterEntry) {
      entry.count += 1;
      return Promise.resolve({ count: entry.count, ttlMs: entry.expiresAt - now });
    }
    // A numeric value (e.g. written by setIfAbsent) counts on, as Redis INCR would.
    if (entry instanceof ValueEntry && /^-?\d{1,15}$/.test(entry.value)) {
      const counter = new CounterEntry(Number(entry.value) + 1, entry.expiresAt);
      this.entries.set(key, counter);
      return Promise.resolve({ count: counter.count, ttlMs: counter.expiresAt - now });
    }
    return Promise.reject(new StoreTypeError('increment'));
  }

  /**
   * Adds `member` to the set at `key` and resolves its cardinality.
   *
   * A bounded exact set, not a HyperLogLog: the thresholds this feeds ("20 distinct usernames per IP per hour") are
   * small, and at small cardinalities an estimate's ±1 decides whether a user is blocked. Exact sets up to
   * `maxSetMembers` members cost at most that many short hashed members per key; once full, the set stops growing
   * and reports its cap for any new member (saturating), which is far above every sensible threshold.
   */
  addToSet(key: string, member: string, ttlMs: number): Promise<number> {
    const now = this.now();
    const entry = this.live(key, now);
    if (entry === undefined) {
      this.entries.set(key, new SetEntry(new Set([member]), now + ttlMs));
      return Promise.resolve(1);
    }
    if (!(entry instanceof SetEntry)) return Promise.reject(new StoreTypeError('addToSet'));
    if (entry.members.size < this.maxSetMembers) entry.members.add(member);
    return Promise.resolve(entry.members.size);
  }

  setIfGreater(key: string, value: number, ttlMs: number): Promise<boolean> {
    return this.raise('setIfGreater', key, value, ttlMs, false) as Promise<boolean>;
  }

  raiseIfPresent(key: string, value: number, ttlMs: number): Promise<boolean | undefined> {
    return this.raise('raiseIfPresent', key, value, ttlMs, true);
  }

  /** Both raises (as the one Redis script does): undefined only for an absent key that had to be present. */
  private raise(operation: string, key: string, value: number, ttlMs: number, mustExist: boolean): Promise<boolean | undefined> {
    if (!Number.isFinite(value)) return Promise.reject(new TypeError(`${operation}: value must be a finite number`));
    const now = this.now();
    const entry = this.live(key, now);
    if (entry !== undefined) {
      const current = entry instanceof ValueEntry ? Number(entry.value) : entry instanceof CounterEntry ? entry.count : NaN;
      if (Number.isNaN(current)) return Promise.reject(new StoreTypeError(operation));
      if (current >= value) return Promise.resolve(false);
    } else if (mustExist) {
      return Promise.resolve(undefined);
    }
    this.entries.set(key, new ValueEntry(String(value), now + ttlMs));
    return Promise.resolve(true);
  }

  /** The current reset epoch of `scope` (0: never reset, or forgotten after every counter of it expired). */
  private generation(scope: string | undefined, now: number): number {
    if (scope === undefined) return 0;
    const entry = this.live(epochKey(scope), now);
    return entry instanceof EpochEntry ? entry.generation : 0;
  }

  /** The attempt counter at `key`, undefined when absent or voided by a reset of its scope; a TypeError when not one. */
  private attempt(key: string, generation: number, now: number): AttemptEntry | undefined | StoreTypeError {
    const entry = this.live(key, now);
    if (entry === undefined) return undefined;
    if (!(entry instanceof AttemptEntry)) return new StoreTypeError('attempt counter');
    if (entry.generation < generation) {
      this.drop(key);
      return undefined;
    }
    return entry;
  }

  reserveAttempt(key: string, id: string, options: ReserveAttemptOptions): Promise<AttemptReservation> {
    const now = this.now();
    const generation = this.generation(options.scope, now);
    let entry = this.attempt(key, generation, now);
    if (entry instanceof StoreTypeError) return Promise.reject(entry);
    if (entry === undefined) {
      entry = new AttemptEntry(now + options.windowMs, generation);
      this.entries.set(key, entry);
    }
    if (entry.lockedUntil > now) {
      return Promise.resolve({ granted: false, retryAfterMs: entry.lockedUntil - now, locked: true });
    }
    const allowance = Math.max(options.limit - entry.failures, options.floor);
    if (entry.holds.size >= allowance) {
      // Only at the limit: drop reservations whose hold ran out (their requests never settled).
      for (const [held, until] of entry.holds) if (until <= now) entry.holds.delete(held);
      if (entry.holds.size >= allowance) {
        if (entry.failures >= options.limit && options.floor === 0) {
          return Promise.resolve({ granted: false, retryAfterMs: entry.expiresAt - now, locked: false });
        }
        return Promise.resolve(REFUSED_HELD);
      }
    }
    entry.holds.set(id, now + options.holdMs);
    return Promise.resolve(GRANTED);
  }

  settleAttempt(key: string, id: string, options: SettleAttemptOptions): Promise<number> {
    const now = this.now();
    const generation = this.generation(options.scope, now);
    let entry = this.attempt(key, generation, now);
    if (entry instanceof StoreTypeError) return Promise.reject(entry);
    entry?.holds.delete(id);
    if (!options.failed) {
      // A counter left with nothing (no failure, no lock, no hold: an attempt another counter refused) goes: kept, it
      // would hold a key for the whole window per username an attacker tries, and evict other keys.
      if (entry !== undefined && (options.clear === true || (entry.failures === 0 && entry.lockedUntil === 0 && entry.holds.size === 0))) {
        this.drop(key);
      }
      return Promise.resolve(options.clear === true ? 0 : (entry?.failures ?? 0));
    }
    if (entry === undefined) {
      // Reset meanwhile (a success, a support reset) or expired: the failure still counts, in a new window.
      entry = new AttemptEntry(now + options.windowMs, generation);
      this.entries.set(key, entry);
    }
    entry.failures += 1;
    if (options.lockMs > 0 && entry.failures >= options.limit) {
      const exponent = Math.min(entry.failures - options.limit, 30);
      const lockMs = Math.min(options.lockMs * 2 ** exponent, options.maxLockMs);
      entry.lockedUntil = Math.max(entry.lockedUntil, now + lockMs);
      // The lock outlives a shorter window: the counter stays until the lock ends.
      entry.expiresAt = Math.max(entry.expiresAt, entry.lockedUntil);
    }
    return Promise.resolve(entry.failures);
  }

  reserveMember(key: string, member: string, limit: number, ttlMs: number, options?: MemberHoldOptions): Promise<MemberReservation> {
    const now = this.now();
    const keptSet = options?.keptSet;
    let kept: SetEntry | undefined;
    if (keptSet !== undefined) {
      const found = this.live(keptSet, now);
      if (found !== undefined && !(found instanceof SetEntry)) return Promise.reject(new StoreTypeError('reserveMember'));
      kept = found;
    }
    const holdsKey = keptSet === undefined ? key : heldKey(keptSet);
    let entry = this.live(holdsKey, now);
    if (entry !== undefined && !(entry instanceof HeldSetEntry)) return Promise.reject(new StoreTypeError('reserveMember'));
    // Every hold ends `holdMs` after it was taken; without `holdMs` (callers before it), only with its release.
    const until = options?.holdMs === undefined ? Infinity : now + options.holdMs;
    const hold = entry?.holds.get(member);
    const held = hold !== undefined && hold.until > now;
    let reply = MEMBER_PRESENT;
    if (!held && kept?.members.has(member) !== true) {
      const cap = Math.min(limit, this.maxSetMembers);
      if (cap < 1) return Promise.resolve(MEMBER_REFUSED);
      const keptCount = kept?.members.size ?? 0;
      if (keptCount + (entry?.holds.size ?? 0) >= cap) {
        // Only at the limit: drop holds that ran out (their requests never settled), count the members left once.
        let members = keptCount;
        if (entry !== undefined) {
          for (const [name, h] of entry.holds) {
            if (h.until <= now) entry.holds.delete(name);
            else if (kept === undefined || !kept.members.has(name)) members += 1;
          }
        }
        if (members >= cap) return Promise.resolve(MEMBER_REFUSED);
      }
      reply = MEMBER_ADDED;
    }
    if (entry === undefined) {
      entry = new HeldSetEntry(new Map(), until === Infinity ? now + ttlMs : until);
      this.entries.set(holdsKey, entry);
    } else if (until !== Infinity && until > entry.expiresAt) {
      entry.expiresAt = until; // the holds outlive a shorter set: kept until the last one ends
    }
    if (held) {
      hold.count += 1;
      hold.until = Math.max(hold.until, until);
    } else {
      entry.holds.set(member, new MemberHold(1, until)); // replaces holds that ran out
    }
    return Promise.resolve(reply);
  }

  resetScope(scope: string, ttlMs: number): Promise<void> {
    const now = this.now();
    const key = epochKey(scope);
    const entry = this.live(key, now);
    const current = entry instanceof EpochEntry ? entry : undefined;
    // Above every epoch ever handed out, even after the epoch itself was forgotten: a clock reading past the last.
    const generation = Math.max((current?.generation ?? 0) + 1, now);
    this.entries.set(key, new EpochEntry(generation, Math.max(current?.expiresAt ?? 0, now + ttlMs)));
    return Promise.resolve();
  }

  removeMember(key: string, member: string, options?: Pick<MemberHoldOptions, 'keptSet'>): Promise<void> {
    const now = this.now();
    const holdsKey = options?.keptSet === undefined ? key : heldKey(options.keptSet);
    const entry = this.live(holdsKey, now);
    if (!(entry instanceof HeldSetEntry)) return Promise.resolve();
    const hold = entry.holds.get(member);
    if (hold === undefined) return Promise.resolve();
    // The member leaves with its last hold: a twin attempt ending first must not free a username still in flight.
    // (A member of the kept set stays in it: only its hold goes.)
    if (hold.count > 1 && hold.until > now) hold.count -= 1;
    else entry.holds.delete(member);
    if (entry.holds.size === 0) this.drop(holdsKey); // as Redis drops an empty hash
    return Promise.resolve();
  }
}
