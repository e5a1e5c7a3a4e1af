import type { Cluster, Redis } from 'ioredis';
import { ADD_TO_SET, INCREMENT, RELEASE_MEMBER, RESERVE_ATTEMPT, RESERVE_MEMBER, RESET_SCOPE, SET_IF_GREATER, SETTLE_ATTEMPT, type LuaScript } from './redis-scripts.js';
import type {
  AttemptReservation,
  AttemptStore,
  MemberHoldOptions,
  MemberReservation,
  ReserveAttemptOptions,
  SettleAttemptOptions,
} from './store.js';

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** A connected ioredis client or cluster. The store never closes it: it belongs to the application. */
  client: Redis | Cluster;
  /** Prefix of every key, e.g. `myapp:shield:`. Default `mas:`. Must not contain `{` or `}` (see hash tags). */
  prefix?: string;
  /**
   * Milliseconds after which an operation rejects with {@link StoreTimeoutError}, whatever ioredis does meanwhile
   * (offline queue, reconnect retries). Default 500. A hung Redis therefore costs a request at most this long.
   */
  commandTimeoutMs?: number;
  /** Most members one set keeps (bounded exact sets, see `MemoryStore.addToSet`). Default 1,024. */
  maxSetMembers?: number;
}

/** An operation did not complete within `commandTimeoutMs`. The verifier that asked fails closed (or open). */
export class StoreTimeoutError extends Error {
  constructor(operation: string, timeoutMs: number) {
    super(`store ${operation} timed out after ${timeoutMs} ms`);
    this.name = 'StoreTimeoutError';
  }
}

/** The few commands used, typed once: ioredis's overloads do not unify across `Redis | Cluster`. */
interface Commands {
  evalsha(sha1: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  set(key: string, value: string, px: 'PX', ttl: number, nx: 'NX'): Promise<'OK' | null>;
  get(key: string): Promise<string | null>;
  unlink(...keys: string[]): Promise<number>;
  srem(key: string, member: string): Promise<number>;
}

function ttlArgument(ttlMs: number): number {
  // Redis wants a positive integer; a zero or fractional TTL would be an error or an immortal key.
  return Math.max(1, Math.ceil(ttlMs));
}

/**
 * A {@link Store} on Redis (`mobile-api-shield/redis`), shared by every instance of the API: a token used on one
 * instance is refused on all, a lockout reached through one holds on all.
 *
 * Each operation is one round trip: a native command (`SET NX PX`, `GET`, `UNLINK`) or one Lua script run with
 * EVALSHA (EVAL on NOSCRIPT), atomic on the server. Keys are written `<prefix>{<key>}`: the hash tag makes the slot
 * depend on the verifier's key alone; a scoped attempt counter is written `<prefix>{<scope>}<rest of key>` next to
 * its scope's epoch `<prefix>{<scope>}#epoch`, the member holds reserved with a kept set are written
 * `<prefix>{<kept set>}#held` next to that set, and a script touches one key or two sharing a hash tag, so all of it
 * is Redis Cluster safe.
 * When Redis is down or slow, every operation rejects within `commandTimeoutMs`; once ioredis reconnects, the next
 * operation succeeds with no action from the application.
 */
export class RedisStore implements AttemptStore {
  private readonly client: Commands;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly maxSetMembers: number;

  constructor(options: RedisStoreOptions) {
    if (options.client === undefined || options.client === null) throw new TypeError('RedisStore needs a client');
    const prefix = options.prefix ?? 'mas:';
    if (prefix.includes('{') || prefix.includes('}')) {
      // A brace in the prefix would become the hash tag of every key and put all of them on one cluster slot.
      throw new TypeError('RedisStore prefix must not contain { or }');
    }
    const timeoutMs = options.commandTimeoutMs ?? 500;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new TypeError('commandTimeoutMs must be positive');
    const maxSetMembers = options.maxSetMembers ?? 1024;
    if (!Number.isInteger(maxSetMembers) || maxSetMembers < 1) {
      throw new TypeError('maxSetMembers must be a positive integer');
    }
    this.client = options.client as unknown as Commands;
    this.prefix = prefix;
    this.timeoutMs = timeoutMs;
    this.maxSetMembers = maxSetMembers;
  }

  private key(key: string): string {
    return `${this.prefix}{${key}}`;
  }

  /**
   * A scoped counter's key and its scope's epoch key: both tagged with the scope, so they share a cluster slot and one
   * script reads both. The counter's key drops the scope when it starts with it (`ca:user:<u>:<ip>` in scope
   * `ca:user:<u>` is stored as `<prefix>{ca:user:<u>}:<ip>`).
   */
  private scoped(key: string, scope: string): [string, string] {
    const rest = key.startsWith(scope) ? key.slice(scope.length) : `|${key}`;
    return [`${this.prefix}{${scope}}${rest}`, `${this.prefix}{${scope}}#epoch`];
  }

  /** Where the holds reserved with a kept set live: next to the set, under its hash tag (deleted with it). */
  private heldKey(keptSet: string): string {
    return `${this.key(keptSet)}#held`;
  }

  /** KEYS of a member script: the holds, and the kept set when there is one. */
  private memberKeys(key: string, keptSet: string | undefined): string[] {
    return keptSet === undefined ? [this.key(key)] : [this.heldKey(keptSet), this.key(keptSet)];
  }

  /** KEYS of an attempt-counter script: the counter, and its scope's epoch key when scoped. */
  private attemptKeys(key: string, scope: string | undefined): string[] {
    return scope === undefined ? [this.key(key)] : this.scoped(key, scope);
  }

  /** Races `work` against the command timeout; the timer never outlives the operation. */
  private withTimeout<T>(operation: string, work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new StoreTimeoutError(operation, this.timeoutMs)), this.timeoutMs);
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  private async run(script: LuaScript, key: string | string[], args: (string | number)[]): Promise<unknown> {
    const keys = typeof key === 'string' ? [key] : key;
    try {
      return await this.client.evalsha(script.sha1, keys.length, ...keys, ...args);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
        return this.client.eval(script.source, keys.length, ...keys, ...args);
      }
      throw error;
    }
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const reply = await this.withTimeout(
      'setIfAbsent',
      this.client.set(this.key(key), value, 'PX', ttlArgument(ttlMs), 'NX'),
    );
    return reply === 'OK';
  }

  async get(key: string): Promise<string | undefined> {
    const reply = await this.withTimeout('get', this.client.get(this.key(key)));
    return reply ?? undefined;
  }

  async delete(key: string): Promise<void> {
    // With the holds a set keeps (`MemberHoldOptions.keptSet`): same hash tag, so one command on one slot.
    await this.withTimeout('delete', this.client.unlink(this.key(key), this.heldKey(key)));
  }

  async increment(key: string, ttlMs: number): Promise<{ count: number; ttlMs: number }> {
    const reply = await this.withTimeout('increment', this.run(INCREMENT, this.key(key), [ttlArgument(ttlMs)]));
    if (!Array.isArray(reply) || reply.length !== 2) throw new Error('increment: unexpected reply from Redis');
    return { count: Number(reply[0]), ttlMs: Number(reply[1]) };
  }

  async addToSet(key: string, member: string, ttlMs: number): Promise<number> {
    const reply = await this.withTimeout(
      'addToSet',
      this.run(ADD_TO_SET, this.key(key), [member, ttlArgument(ttlMs), this.maxSetMembers]),
    );
    return Number(reply);
  }

  async setIfGreater(key: string, value: number, ttlMs: number): Promise<boolean> {
    if (!Number.isFinite(value)) throw new TypeError('setIfGreater: value must be a finite number');
    const reply = await this.withTimeout(
      'setIfGreater',
      this.run(SET_IF_GREATER, this.key(key), [String(value), ttlArgument(ttlMs), 'any']),
    );
    return Number(reply) === 1;
  }

  async raiseIfPresent(key: string, value: number, ttlMs: number): Promise<boolean | undefined> {
    if (!Number.isFinite(value)) throw new TypeError('raiseIfPresent: value must be a finite number');
    const reply = Number(
      await this.withTimeout('raiseIfPresent', this.run(SET_IF_GREATER, this.key(key), [String(value), ttlArgument(ttlMs), 'present'])),
    );
    return reply === -1 ? undefined : reply === 1;
  }

  async reserveAttempt(key: string, id: string, options: ReserveAttemptOptions): Promise<AttemptReservation> {
    const reply = await this.withTimeout(
      'reserveAttempt',
      this.run(RESERVE_ATTEMPT, this.attemptKeys(key, options.scope), [
        id,
        options.limit,
        options.floor,
        ttlArgument(options.windowMs),
        ttlArgument(options.holdMs),
      ]),
    );
    if (!Array.isArray(reply) || reply.length !== 3) throw new Error('reserveAttempt: unexpected reply from Redis');
    return { granted: Number(reply[0]) === 1, retryAfterMs: Number(reply[1]), locked: Number(reply[2]) === 1 };
  }

  async settleAttempt(key: string, id: string, options: SettleAttemptOptions): Promise<number> {
    const reply = await this.withTimeout(
      'settleAttempt',
      this.run(SETTLE_ATTEMPT, this.attemptKeys(key, options.scope), [
        id,
        options.failed ? '1' : options.clear === true ? 'c' : '0',
        options.limit,
        ttlArgument(options.windowMs),
        Math.max(0, Math.ceil(options.lockMs)),
        ttlArgument(options.maxLockMs),
      ]),
    );
    return Number(reply);
  }

  async reserveMember(key: string, member: string, limit: number, ttlMs: number, options?: MemberHoldOptions): Promise<MemberReservation> {
    const holdMs = options?.holdMs === undefined ? 0 : ttlArgument(options.holdMs);
    const reply = await this.withTimeout(
      'reserveMember',
      this.run(RESERVE_MEMBER, this.memberKeys(key, options?.keptSet), [member, Math.min(limit, this.maxSetMembers), ttlArgument(ttlMs), holdMs]),
    );
    if (!Array.isArray(reply) || reply.length !== 2) throw new Error('reserveMember: unexpected reply from Redis');
    return { granted: Number(reply[0]) === 1, added: Number(reply[1]) === 1 };
  }

  async resetScope(scope: string, ttlMs: number): Promise<void> {
    const epochKey = this.scoped(scope, scope)[1];
    await this.withTimeout('resetScope', this.run(RESET_SCOPE, epochKey, [ttlArgument(ttlMs)]));
  }

  async removeMember(key: string, member: string, options?: Pick<MemberHoldOptions, 'keptSet'>): Promise<void> {
    const keptSet = options?.keptSet;
    await this.withTimeout('removeMember', this.run(RELEASE_MEMBER, keptSet === undefined ? this.key(key) : this.heldKey(keptSet), [member]));
  }
}
