import { randomUUID } from 'node:crypto';
import type { AttemptStore } from '../../stores/store.js';
import { CREDENTIAL_DEFAULTS, type ConsecutiveFailureLimit, type WindowLimit } from './options.js';

/** With the consecutive-failure lock turned off, a username reset is still remembered as long as the defaults' locks. */
const CONSECUTIVE_FALLBACK = CREDENTIAL_DEFAULTS.consecutiveFailures;

/** The counters in force (undefined = turned off) and how long an unsettled reservation holds its slot. */
export interface CounterLimits {
  consecutive: ConsecutiveFailureLimit | undefined;
  ipFailures: WindowLimit | undefined;
  deviceFailures: WindowLimit | undefined;
  ipDistinct: WindowLimit | undefined;
  deviceDistinct: WindowLimit | undefined;
  holdMs: number;
}

/**
 * Store keys and reservations of one login attempt. A class with every field always assigned: V8 keeps one shape.
 * The username part is always set: a login without a username counts under a key of its own.
 */
export class LoginAttempt {
  /** Names this attempt's reservations in the store. */
  readonly id = randomUUID();
  /** The username's reset scope: its locks on every IP key are voided together (`shield.credentials.reset`). */
  readonly userScope: string;
  readonly userKey: string;
  readonly userMember: string;
  readonly ipKey: string;
  readonly ipBlockKey: string;
  readonly ipUsersKey: string;
  readonly ipFailedUsersKey: string;
  readonly deviceKey: string | undefined;
  readonly deviceBlockKey: string | undefined;
  readonly deviceUsersKey: string | undefined;
  readonly deviceFailedUsersKey: string | undefined;
  userHeld = false;
  ipHeld = false;
  deviceHeld = false;
  ipMemberHeld = false;
  deviceMemberHeld = false;

  constructor(prefix: string, user: string, ipKey: string, device: string | undefined) {
    this.userScope = userScopeOf(prefix, user);
    this.userKey = `${this.userScope}:${ipKey}`;
    this.userMember = user;
    // Named by the same helpers the reset uses, so a reset can never miss a key an attempt counts under.
    [this.ipKey, this.ipUsersKey, this.ipFailedUsersKey, this.ipBlockKey] = ipKeysOf(prefix, ipKey);
    const deviceKeys = device === undefined ? undefined : deviceKeysOf(prefix, device);
    this.deviceKey = deviceKeys?.[0];
    this.deviceUsersKey = deviceKeys?.[1];
    this.deviceFailedUsersKey = deviceKeys?.[2];
    this.deviceBlockKey = deviceKeys?.[3];
  }
}

/** The reset scope of a username's lock counters (one per IP key), keyed by the username alone. */
export function userScopeOf(prefix: string, user: string): string {
  return `${prefix}user:${user}`;
}

/**
 * The counters keyed by one IP key alone: failure budget, distinct-username sets (the usernames of attempts in
 * flight, held until they settle or `holdMs` ends; the usernames that failed, which raises the block and counts
 * with the holds when a new username is admitted), and the block.
 */
export function ipKeysOf(prefix: string, ipKey: string): readonly [attempts: string, usernames: string, failedUsernames: string, block: string] {
  // `ipnames` (was `ipusers`, a set): a hash of usernames to the attempts holding them, under a new name so a store
  // shared with an older version never meets the other type. The built-in stores keep the holds with the failed set
  // instead (`MemberHoldOptions.keptSet`: RedisStore `<prefix>{ca:ipfailed:<ip key>}#held`), so `ipnames` is
  // written only by a store without kept sets (and by an older version); a reset still deletes it.
  return [`${prefix}ipatt:${ipKey}`, `${prefix}ipnames:${ipKey}`, `${prefix}ipfailed:${ipKey}`, `${prefix}ipblock:${ipKey}`];
}

/** The counters keyed by one device alone, as `ipKeysOf` for an IP key. */
export function deviceKeysOf(prefix: string, device: string): readonly [attempts: string, usernames: string, failedUsernames: string, block: string] {
  return [`${prefix}devatt:${device}`, `${prefix}devnames:${device}`, `${prefix}devfailed:${device}`, `${prefix}devblock:${device}`];
}

/** Settles a reservation as neither success nor failure: the slot is freed, nothing counts. */
const RELEASE = Object.freeze({ failed: false, limit: 0, windowMs: 0, lockMs: 0, maxLockMs: 0 });

/** Why a reservation was refused, ready to become a deny. */
export interface Refusal {
  code: 'login_locked' | 'credential_abuse';
  retryAfterMs: number;
  detail: string;
  /** The counter that refused, for the opt-in `RateLimit` headers. */
  quota: { policy: string; limit: number; windowSeconds: number };
}

/** Awaits `work` (if any), recording a rejection in `errors` instead of throwing: every operation is awaited. */
async function captured<T>(work: Promise<T> | undefined, errors: unknown[]): Promise<T | undefined> {
  if (work === undefined) return undefined;
  try {
    return await work;
  } catch (error) {
    errors.push(error);
    return undefined;
  }
}

/** Awaits every operation, then throws the first error: one failing counter must not stop the others. */
async function all(work: readonly Promise<unknown>[]): Promise<void> {
  if (work.length === 0) return;
  if (work.length === 1) {
    await work[0];
    return;
  }
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Reserve-then-settle login counting. An attempt takes a slot on every counter when it starts, in one atomic store
 * operation per counter (increment and refuse at the limit together), and settles when its outcome is known: a
 * failure keeps the slot as a failure, anything else frees it, a success also resets the username + IP streak. So
 * with N concurrent attempts and a limit L, at most L reach the application, on every store and across instances.
 */
export class LoginCounters {
  constructor(
    private readonly store: AttemptStore,
    private readonly limits: CounterLimits,
  ) {}

  /**
   * Reserves a slot on every counter in force. Resolves undefined when all were granted, or the refusal (after
   * releasing the slots it did get). Rejects when the store fails, also after releasing what it got.
   */
  async reserve(attempt: LoginAttempt): Promise<Refusal | undefined> {
    const { store, limits } = this;
    const hold = limits.holdMs;
    // Every operation is started before any is awaited: one round trip of parallel single-key operations.
    const slot = (key: string, counter: { limit: number; windowSeconds: number }, floor: 0 | 1, scope?: string) =>
      store.reserveAttempt(key, attempt.id, { limit: counter.limit, floor, windowMs: counter.windowSeconds * 1000, holdMs: hold, scope });
    // A username's hold frees itself after `holdMs` (an attempt never settled); a failed username stays counted
    // through the failed-username set, which the holds are kept with (one atomic step, one round trip).
    const member = (key: string, failedKey: string, counter: { limit: number; windowSeconds: number }) =>
      store.reserveMember(key, attempt.userMember, counter.limit, counter.windowSeconds * 1000, { holdMs: hold, keptSet: failedKey });
    const userP = limits.consecutive ? slot(attempt.userKey, limits.consecutive, 1, attempt.userScope) : undefined;
    const ipP = limits.ipFailures ? slot(attempt.ipKey, limits.ipFailures, 0) : undefined;
    const deviceP = limits.deviceFailures && attempt.deviceKey ? slot(attempt.deviceKey, limits.deviceFailures, 0) : undefined;
    const ipMemberP = limits.ipDistinct ? member(attempt.ipUsersKey, attempt.ipFailedUsersKey, limits.ipDistinct) : undefined;
    const deviceMemberP =
      limits.deviceDistinct && attempt.deviceUsersKey && attempt.deviceFailedUsersKey
        ? member(attempt.deviceUsersKey, attempt.deviceFailedUsersKey, limits.deviceDistinct)
        : undefined;
    const errors: unknown[] = [];
    const user = await captured(userP, errors);
    const ip = await captured(ipP, errors);
    const device = await captured(deviceP, errors);
    const ipMember = await captured(ipMemberP, errors);
    const deviceMember = await captured(deviceMemberP, errors);
    // A reservation that failed may still land: a store that timed out runs the command once it answers again. It is
    // released like a granted one (a release by attempt id is a no-op where none landed), or a login refused 503
    // would hold its slot for `holdMs` and lock the username out unearned. Username holds are not: their removal is
    // not by attempt, and could drop a twin attempt's hold.
    attempt.userHeld = user?.granted === true || (userP !== undefined && user === undefined);
    attempt.ipHeld = ip?.granted === true || (ipP !== undefined && ip === undefined);
    attempt.deviceHeld = device?.granted === true || (deviceP !== undefined && device === undefined);
    // Every granted reservation holds the username (not only the one that added it): a twin attempt with the same
    // username ending first releases its own hold, not the username another attempt still has in flight.
    attempt.ipMemberHeld = ipMember?.granted === true;
    attempt.deviceMemberHeld = deviceMember?.granted === true;

    const failed = errors.length > 0 ? { reason: errors[0] } : undefined;
    let refusal: Refusal | undefined;
    if (user && !user.granted) {
      const { limit, windowSeconds } = limits.consecutive!;
      refusal = {
        code: 'login_locked',
        retryAfterMs: user.retryAfterMs,
        // Held slots (attempts still in flight) refuse too: concurrent guesses cannot overshoot the limit.
        detail: user.locked
          ? 'username locked on this ip key after consecutive failures'
          : 'username has as many login attempts in flight on this ip key as its failure limit allows',
        quota: { policy: 'username-ip', limit, windowSeconds },
      };
    } else if (ip && !ip.granted) {
      const { limit, windowSeconds } = limits.ipFailures!;
      refusal = { code: 'credential_abuse', retryAfterMs: ip.retryAfterMs, detail: 'ip key over its login budget', quota: { policy: 'ip', limit, windowSeconds } };
    } else if (device && !device.granted) {
      const { limit, windowSeconds } = limits.deviceFailures!;
      refusal = {
        code: 'credential_abuse',
        retryAfterMs: device.retryAfterMs,
        detail: 'device over its login budget',
        quota: { policy: 'device', limit, windowSeconds },
      };
    } else if (ipMember && !ipMember.granted) {
      const { limit, windowSeconds } = limits.ipDistinct!;
      const retryAfterMs = windowSeconds * 1000;
      refusal = { code: 'credential_abuse', retryAfterMs, detail: 'ip key over its distinct-username budget', quota: { policy: 'ip-usernames', limit, windowSeconds } };
    } else if (deviceMember && !deviceMember.granted) {
      const { limit, windowSeconds } = limits.deviceDistinct!;
      const retryAfterMs = windowSeconds * 1000;
      refusal = {
        code: 'credential_abuse',
        retryAfterMs,
        detail: 'device over its distinct-username budget',
        quota: { policy: 'device-usernames', limit, windowSeconds },
      };
    }
    if (failed || refusal) {
      // Not awaited: the refusal needs no second round trip. Later operations of this process on the same keys are
      // queued behind these on the same connection; a slot we cannot release frees itself when its hold ends.
      this.release(attempt).catch(() => undefined);
      // A refusal the store did answer stands even when another counter failed: `failOpen` passes only requests
      // nothing known refuses (a locked username stays locked while one shard or call is down).
      if (failed && !refusal) throw failed.reason;
    }
    return refusal;
  }

  /** Frees every slot the attempt holds (it ended neither as a success nor as a failure, or was refused). */
  async release(attempt: LoginAttempt): Promise<void> {
    const { store, limits } = this;
    const work: Promise<unknown>[] = [];
    if (attempt.userHeld) work.push(store.settleAttempt(attempt.userKey, attempt.id, { ...RELEASE, scope: attempt.userScope }));
    if (attempt.ipHeld) work.push(store.settleAttempt(attempt.ipKey, attempt.id, RELEASE));
    if (attempt.deviceHeld && attempt.deviceKey) work.push(store.settleAttempt(attempt.deviceKey, attempt.id, RELEASE));
    if (attempt.ipMemberHeld) work.push(store.removeMember(attempt.ipUsersKey, attempt.userMember, { keptSet: attempt.ipFailedUsersKey }));
    if (attempt.deviceMemberHeld && attempt.deviceUsersKey && attempt.deviceFailedUsersKey) {
      work.push(store.removeMember(attempt.deviceUsersKey, attempt.userMember, { keptSet: attempt.deviceFailedUsersKey }));
    }
    attempt.userHeld = attempt.ipHeld = attempt.deviceHeld = attempt.ipMemberHeld = attempt.deviceMemberHeld = false;
    await all(work);
  }

  /**
   * A success: the username + IP streak (and its lock) is reset; the IP and device budgets are only released,
   * never reset (an attacker who owns one account must not be able to reset them).
   */
  async succeed(attempt: LoginAttempt): Promise<void> {
    const reset = this.limits.consecutive
      ? this.store.settleAttempt(attempt.userKey, attempt.id, { ...RELEASE, clear: true, scope: attempt.userScope })
      : Promise.resolve();
    attempt.userHeld = false;
    await all([reset, this.release(attempt)]);
  }

  /**
   * Support reset: voids the username's locks on every IP key (one scope epoch), and deletes the counters keyed by
   * the IP key or the device alone. Resolves the names of the counters reset, once every store operation succeeded.
   */
  async reset(prefix: string, target: { user?: string; ipKey?: string; device?: string }): Promise<string[]> {
    const { store, limits } = this;
    const work: Promise<unknown>[] = [];
    const cleared: string[] = [];
    if (target.user !== undefined) {
      if (typeof store.resetScope !== 'function') {
        throw new TypeError('credentials.reset({ username }) needs a store with resetScope (MemoryStore and RedisStore have it)');
      }
      // Remembered as long as a voided counter can live: its window, or the longest lock that outlives it.
      const c = limits.consecutive ?? CONSECUTIVE_FALLBACK;
      work.push(store.resetScope(userScopeOf(prefix, target.user), Math.max(c.windowSeconds, c.maxLockSeconds) * 1000));
      cleared.push('username-locks');
    }
    if (target.ipKey !== undefined) {
      for (const key of ipKeysOf(prefix, target.ipKey)) work.push(store.delete(key));
      cleared.push('ip-failures', 'ip-usernames');
    }
    if (target.device !== undefined) {
      for (const key of deviceKeysOf(prefix, target.device)) work.push(store.delete(key));
      cleared.push('device-failures', 'device-usernames');
    }
    await all(work);
    return cleared;
  }

  /**
   * A failure counts on every counter, held or not (in monitor mode a refused attempt still reaches the
   * application and its failure counts); a failed-username set full after it blocks its IP key or device. That set
   * is not the holds reservations take: a hold is released when its attempt ends without failing, even while another
   * attempt with the same username failed, and frees itself after `holdMs`, so a failure counted only there could be
   * taken back (a paired attempt released after each guess kept the set empty and the block unwritten). The failed
   * set is the reservations' kept set: a failed username stays counted when admitting new ones until its window ends.
   */
  async fail(attempt: LoginAttempt, now: number): Promise<void> {
    const { store, limits } = this;
    const work: Promise<unknown>[] = [];
    const count = (key: string, limit: WindowLimit, lock?: ConsecutiveFailureLimit, scope?: string) =>
      store.settleAttempt(key, attempt.id, {
        failed: true,
        limit: limit.limit,
        windowMs: limit.windowSeconds * 1000,
        lockMs: lock ? lock.lockSeconds * 1000 : 0,
        maxLockMs: lock ? lock.maxLockSeconds * 1000 : 0,
        ...(scope !== undefined ? { scope } : {}),
      });
    const distinct = (setKey: string, blockKey: string, limit: WindowLimit) =>
      store.addToSet(setKey, attempt.userMember, limit.windowSeconds * 1000).then((size) => {
        const blockMs = limit.windowSeconds * 1000;
        if (size >= limit.limit) return store.setIfGreater(blockKey, now + blockMs, blockMs);
        return undefined;
      });
    if (limits.consecutive) work.push(count(attempt.userKey, limits.consecutive, limits.consecutive, attempt.userScope));
    if (limits.ipFailures) work.push(count(attempt.ipKey, limits.ipFailures));
    if (limits.ipDistinct) work.push(distinct(attempt.ipFailedUsersKey, attempt.ipBlockKey, limits.ipDistinct));
    if (attempt.deviceKey && attempt.deviceBlockKey && attempt.deviceFailedUsersKey) {
      if (limits.deviceFailures) work.push(count(attempt.deviceKey, limits.deviceFailures));
      if (limits.deviceDistinct) work.push(distinct(attempt.deviceFailedUsersKey, attempt.deviceBlockKey, limits.deviceDistinct));
    }
    attempt.userHeld = attempt.ipHeld = attempt.deviceHeld = attempt.ipMemberHeld = attempt.deviceMemberHeld = false;
    await all(work);
  }
}
