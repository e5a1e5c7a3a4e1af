/**
 * The published pin-set state (version, minimum client version, hosts) kept in a {@link Store}, so that a
 * `publish({ revoke: true })` on one publisher instance survives its restart and reaches every other instance:
 * without it a restarted or sibling instance would serve the pre-revocation set (pinning the compromised key).
 *
 * Layout, under a key prefix (default `pinset`):
 * - `<prefix>:state:<version>`: the state of that version as JSON, written once (`setIfAbsent`): two instances can
 *   never both publish one version with different contents.
 * - `<prefix>:version`: the latest version, only ever raised (`setIfGreater`), written after its state so a reader
 *   that finds a version always finds its state.
 * - `<prefix>:after:<base>`: the version published on top of `<base>`, claimed once (`setIfAbsent`) before its state is
 *   written: a publish built on a state another instance has meanwhile replaced (a revoke, say) is refused instead of
 *   storing a newer state without it.
 * - `<prefix>:signer:<theirs>:<ours>`: that a publisher holding key `<ours>` accepted a state naming `<theirs>`
 *   (see {@link PublishedStateStore.read}).
 *
 * Each state names the JWK thumbprints of the keys of the publisher that wrote it: a state sharing none with the
 * reader's keys is another publisher configuration's (two services on one store under one `storeKey`), never served,
 * unless a `signer` link joins one of its keys to one of the reader's (a rotation done by deploys alone).
 */
import * as z from 'zod/mini';
import type { Store } from '../core/store.js';
import { errorDetail, ShieldConfigError } from '../core/errors.js';
import { callHook } from '../core/hooks.js';
import type { PinSetHost } from './pinset-payload.js';

/**
 * How long the stored keys live after the publish that wrote them: 400 days. The Store interface needs a TTL; this
 * one outlives any sensible gap between two publishes or deploys. Once it has passed without a publish, the store
 * forgets and instances start from their options again (keep `version` and `minClientVersion` there current).
 */
export const PUBLISHED_STATE_TTL_MS = 400 * 86_400_000;
/** A day shorter: the version key goes before the state it names, so a version found always has its state. */
const VERSION_TTL_MS = PUBLISHED_STATE_TTL_MS - 86_400_000;

/** One published state as stored (and as shared between instances). */
export interface PublishedState {
  readonly version: number;
  /** The lowest version apps may hold (raised by a revoke); never above `version`. */
  readonly minClientVersion: number;
  /** The hosts in their payload form (the validated configuration, dates as `yyyy-MM-dd`). */
  readonly hosts: Readonly<Record<string, PinSetHost>>;
}

/** A state read back from the store: its hosts not yet validated (the publisher runs them through its own checks). */
export interface StoredState {
  readonly version: number;
  readonly minClientVersion: number;
  readonly hosts: unknown;
}

const storedSchema = z.strictObject({
  version: z.number().check(z.int(), z.positive(), z.maximum(Number.MAX_SAFE_INTEGER)),
  minClientVersion: z.number().check(z.int(), z.nonnegative(), z.maximum(Number.MAX_SAFE_INTEGER)),
  keys: z.optional(z.array(z.string()).check(z.maxLength(8))),
  hosts: z.record(z.string(), z.unknown()),
});

/** True when `value` has the store operations the published state uses. */
export function isPublishedStateStore(value: unknown): value is Store {
  const v = value as Partial<Store> | null | undefined;
  return typeof v === 'object' && v !== null && typeof v.get === 'function' && typeof v.setIfAbsent === 'function' && typeof v.setIfGreater === 'function';
}

/** A stored state that cannot be used: a configuration problem of the store's contents, named by key. */
function malformed(key: string, message: string): ShieldConfigError {
  return new ShieldConfigError([{ path: 'pinset.store', message: `${JSON.stringify(key)} ${message}` }]);
}

/**
 * Reads and writes the published state of one publisher configuration (one key prefix) in a store. `keys`: the JWK
 * thumbprints of the publisher's signing keys (RFC 7638), stored with each state; a state sharing none of them, nor
 * linked to one of them (`signer` keys), is refused (a rotation `[k1]` -> `[k1, k2]` -> `[k2]` shares one at each
 * step, or, when no publish rewrote the state in between, is linked by the `[k1, k2]` instances).
 */
export class PublishedStateStore {
  private readonly keys: readonly string[];

  constructor(
    private readonly store: Store,
    private readonly prefix: string,
    keys: readonly string[],
  ) {
    this.keys = [...keys].sort();
  }

  private get versionKey(): string {
    return `${this.prefix}:version`;
  }

  private stateKey(version: number): string {
    return `${this.prefix}:state:${version}`;
  }

  /** The latest published version, or undefined when none is stored. `ShieldConfigError` when it is not a version. */
  async latestVersion(): Promise<number | undefined> {
    const raw = await this.store.get(this.versionKey);
    if (raw === undefined) return undefined;
    const version = /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(version) || version < 1) throw malformed(this.versionKey, 'does not hold a pin-set version');
    return version;
  }

  /** The stored state of `version`. `ShieldConfigError` when it is missing or malformed (its hosts are not checked here). */
  async read(version: number): Promise<StoredState> {
    const key = this.stateKey(version);
    const raw = await this.store.get(key);
    if (raw === undefined) throw malformed(key, `is missing, though ${JSON.stringify(this.versionKey)} names version ${version}`);
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw malformed(key, 'is not JSON');
    }
    const parsed = storedSchema.safeParse(json);
    if (!parsed.success) throw malformed(key, `is not a published state: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    const state = parsed.data;
    if (state.version !== version) throw malformed(key, `holds version ${state.version}`);
    if (state.minClientVersion > state.version) throw malformed(key, 'has a minClientVersion above its version');
    // Without thumbprints (or with none of ours, nor one linked to ours): another publisher's state, whose hosts we
    // must never sign.
    const theirs = state.keys ?? [];
    if (!theirs.some((k) => this.keys.includes(k)) && !(await this.linked(theirs))) {
      throw new ShieldConfigError([{ path: 'pinset.storeKey', message: `storeKey ${JSON.stringify(this.prefix)} holds another publisher's pin set (other signing keys): give each publisher its own storeKey` }]);
    }
    await this.link(theirs);
    return state;
  }

  private signerKey(theirs: string, ours: string): string {
    return `${this.prefix}:signer:${theirs}:${ours}`;
  }

  /**
   * Records that this publisher, holding keys the state does not name, accepted a state naming `theirs` (sharing
   * one of its keys, or linked to one). A deploy that only adds a key (`[k1]` -> `[k2, k1]`) joins the stored state without rewriting it,
   * so the state keeps naming `k1` alone: without the link, the next deploy (`[k2]`) would find no key of its own
   * and refuse to start. Raised to the time of each acceptance, so the link lives as long as the states that need it.
   */
  private async link(theirs: readonly string[]): Promise<void> {
    const added = this.keys.filter((k) => !theirs.includes(k));
    const at = Date.now();
    for (const from of theirs) for (const ours of added) await this.store.setIfGreater(this.signerKey(from, ours), at, PUBLISHED_STATE_TTL_MS);
  }

  /** True when a publisher once held one of `theirs` next to one of this publisher's keys (see {@link link}). */
  private async linked(theirs: readonly string[]): Promise<boolean> {
    for (const from of theirs) for (const ours of this.keys) if ((await this.store.get(this.signerKey(from, ours))) !== undefined) return true;
    return false;
  }

  /**
   * The latest stored state (undefined when none): what a publish builds on and what a refresh adopts. Store failures
   * reject as they are; a malformed state rejects with `ShieldConfigError`.
   */
  async latest(): Promise<StoredState | undefined> {
    const version = await this.latestVersion();
    return version === undefined ? undefined : this.read(version);
  }

  /**
   * Publishes `state`, built on the stored version `base` (0 when none), to every instance: the successor of `base`
   * claimed first, then its state key (once per version), then the version key raised to it. Writing the same state
   * on the same base again passes (a retried publish, instances of one deploy starting together), its hosts and pins
   * in any order (they are sets: see `canonicalHosts`): the other instance's state is then returned, for the caller to
   * serve in its order (one set of bytes, one ETag, behind a load balancer); undefined when this state's bytes are
   * stored. Throws `RangeError` when another instance published on `base` first, published this version with other
   * contents, or a higher version meanwhile: nothing of this state is then served, and the caller should publish again.
   */
  async write(state: PublishedState, base: number): Promise<StoredState | undefined> {
    // Lives no longer than the version key raised past `base`: once the store forgets, a start from 0 is not refused.
    const claim = `${this.prefix}:after:${base}`;
    const next = String(state.version);
    if (!(await this.store.setIfAbsent(claim, next, VERSION_TTL_MS)) && (await this.store.get(claim)) !== next) {
      throw new RangeError(`another instance published since version ${base}: publish again`);
    }
    const key = this.stateKey(state.version);
    const doc = { version: state.version, minClientVersion: state.minClientVersion, keys: this.keys, hosts: state.hosts };
    const json = JSON.stringify(doc);
    // Another instance's state of this version passes when it is the same set, whatever the order of its options.
    let theirs: StoredState | undefined;
    if (!(await this.store.setIfAbsent(key, json, PUBLISHED_STATE_TTL_MS))) {
      const raw = await this.store.get(key);
      if (raw !== json) {
        const same = sameSetStored(raw, doc);
        if (same === undefined) {
          throw new RangeError(`pin set version ${state.version} was already published by another instance with other contents: publish again (the default version is then the latest + 1)`);
        }
        theirs = { version: state.version, minClientVersion: state.minClientVersion, hosts: same.hosts };
      }
    }
    if (!(await this.store.setIfGreater(this.versionKey, state.version, VERSION_TTL_MS))) {
      const latest = await this.latestVersion();
      if (latest !== state.version) {
        throw new RangeError(`pin set version ${String(latest)} was published by another instance meanwhile, above ${state.version}: publish again`);
      }
    }
    return theirs;
  }
}

/** A plain JSON object (not an array). */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `hosts` (a state's, possibly read from the store unvalidated) in a form whose JSON is equal for two host maps that
 * pin the same: hosts and each host's fields in name order, its `pins` and `backupPins` deduplicated and sorted. Apps
 * accept a chain matching any pin of a host, and the rules (`validatePinConfig`) and `diffPinSets` treat the lists
 * as sets: their order (and that of the options' hosts) is not content. Which list a pin is in, and every other field,
 * is. Anything not of that shape is kept as it is, so it compares unequal to a valid state.
 */
function canonicalHosts(hosts: unknown): unknown {
  if (!isRecord(hosts)) return hosts;
  // Rebuilt in sorted insertion order: JSON.stringify then writes the keys in that order (integer-like keys, which
  // come first whatever the order, are ordered too).
  return Object.fromEntries(Object.keys(hosts).sort().map((name) => [name, canonicalHost(hosts[name])]));
}

function canonicalHost(host: unknown): unknown {
  if (!isRecord(host)) return host;
  return Object.fromEntries(
    Object.keys(host).sort().map((field) => {
      const value = host[field];
      return [field, (field === 'pins' || field === 'backupPins') && Array.isArray(value) ? [...new Set(value)].sort() : value];
    }),
  );
}

/** True when two states' hosts are the same pin set (see {@link canonicalHosts}). */
function samePinSetHosts(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonicalHosts(a)) === JSON.stringify(canonicalHosts(b));
}

/**
 * The stored state document `raw` (its JSON, or undefined when gone), parsed, when it is the document `doc` but for
 * the order of its hosts and pins: its hosts the same pin set and every other field equal. Else undefined.
 */
function sameSetStored(raw: string | undefined, doc: Readonly<Record<string, unknown>>): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  let stored: unknown;
  try {
    stored = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isRecord(stored)) return undefined;
  const fields = Object.keys(doc);
  // Another writer's extra field is other contents too: compared as a whole below, key for key.
  if (Object.keys(stored).length !== fields.length) return undefined;
  const same = fields.every((field) =>
    field === 'hosts' ? samePinSetHosts(stored.hosts, doc.hosts) : Object.hasOwn(stored, field) && JSON.stringify(stored[field]) === JSON.stringify(doc[field]),
  );
  return same ? stored : undefined;
}

/** What a publisher starts from, given the store: a stored state to adopt, and the minimum to keep. */
export interface JoinedState {
  /** A stored state newer than the options, or theirs in another order: serve it (after checking its hosts). */
  readonly adopt?: StoredState;
  /** The minimum client version, never below the stored one (a restart must not take a revoke back). */
  readonly minClientVersion: number;
}

/** A store failure at creation: the publisher refuses to start rather than guess whether a revocation happened. */
function unavailable(error: unknown): Error {
  if (error instanceof ShieldConfigError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new Error(`pinset.store: the published state could not be read or written (${reason}); a publisher cannot start without knowing whether a revocation happened`, { cause: error });
}

/**
 * At creation: a stored version above the options' (`local`) is adopted; the options' above the stored one (a deploy
 * of a newer configuration, or the first start) is published on it, keeping the stored minimum; an equal one is
 * served only when the stored state is the options' (with the stored minimum; hosts and pins compared as sets, so
 * options listing them in another order join). Rejects when the store fails,
 * `ShieldConfigError` when its state is malformed or another publisher's, or when another instance stored this
 * version with other contents.
 */
export async function joinPublishedState(store: PublishedStateStore, local: PublishedState): Promise<JoinedState> {
  let stored: StoredState | undefined;
  try {
    stored = await store.latest();
  } catch (error) {
    throw unavailable(error);
  }
  if (stored !== undefined && stored.version > local.version) return { adopt: stored, minClientVersion: stored.minClientVersion };
  const minClientVersion = Math.max(local.minClientVersion, stored?.minClientVersion ?? 0);
  if (stored?.version === local.version) {
    // One version, two contents: apps holding the stored one (a revoke) would accept these options' hosts too.
    if (stored.minClientVersion !== minClientVersion || !samePinSetHosts(stored.hosts, local.hosts)) {
      throw new ShieldConfigError([{ path: 'pinset.version', message: `version ${local.version} is already published with other contents: raise \`version\` or use the stored state` }]);
    }
    // The same set in another order: served as stored, so every instance signs the same bytes (one ETag).
    if (JSON.stringify(stored.hosts) !== JSON.stringify(local.hosts)) return { adopt: stored, minClientVersion };
  } else if (stored === undefined || stored.version < local.version) {
    try {
      const theirs = await store.write({ ...local, minClientVersion }, stored?.version ?? 0);
      if (theirs !== undefined) return { adopt: theirs, minClientVersion };
    } catch (error) {
      if (error instanceof RangeError) throw new ShieldConfigError([{ path: 'pinset.version', message: error.message }]);
      throw unavailable(error);
    }
  }
  return { minClientVersion };
}

/** The longest a caller of {@link StateRefresher.due} waits for the store before going on with the last known state. */
export const REFRESH_WAIT_MS = 2_000;

/**
 * A refresh of the published state that failed, as the publisher's `onError` hears it. The message names the
 * storeKey, what failed and what is still served; it never quotes the store's own error (a client's message may
 * carry its connection URL with a password), only its class and code, and nothing of the signing keys.
 */
export class PinSetRefreshError extends Error {
  /**
   * What failed: `store` (a read rejected or threw), `timeout` (no answer within {@link REFRESH_WAIT_MS}), `state`
   * (the stored state is malformed, another publisher's, or its hosts fail the checks a publish makes).
   */
  readonly stage: 'store' | 'timeout' | 'state';
  /** Epoch ms of this instance's last successful read of the store (its creation or a refresh): how stale it may be. */
  readonly lastRefreshAt: number;

  constructor(stage: PinSetRefreshError['stage'], what: string, storeKey: string, serving: RefreshReporting['serving'], lastRefreshAt: number) {
    const { version, minClientVersion } = serving();
    super(`pinset.store: refreshing the pin set from storeKey ${JSON.stringify(storeKey)} failed: ${what}; still serving version ${version} (minimum ${minClientVersion}), last read from the store at ${new Date(lastRefreshAt).toISOString()}`);
    this.name = 'PinSetRefreshError';
    this.stage = stage;
    this.lastRefreshAt = lastRefreshAt;
  }
}

/** Who hears a failed refresh, and what the message says is served meanwhile. */
export interface RefreshReporting {
  readonly storeKey: string;
  readonly serving: () => { readonly version: number; readonly minClientVersion: number };
  readonly onError: ((error: PinSetRefreshError) => unknown) | undefined;
}

/**
 * Runs `refresh` at most once per `intervalMs`, one at a time. The check on the common path is one clock comparison:
 * `minPinSetVersion()` calls it on every request. A refresh that fails (or hangs past {@link REFRESH_WAIT_MS}) is
 * reported once to `reporting.onError` (a throwing or rejecting hook is ignored) and never to the caller: the last
 * known state stays served (it is signed, and apps refuse a lower version than one they hold), and the next call
 * after `intervalMs` tries again.
 */
export class StateRefresher {
  private nextAt: number;
  private inFlight: Promise<void> | undefined;
  private lastOkAt: number;

  constructor(
    private readonly now: () => number,
    private readonly intervalMs: number,
    private readonly refresh: () => Promise<void>,
    private readonly reporting?: RefreshReporting,
  ) {
    this.nextAt = now() + intervalMs;
    this.lastOkAt = now(); // built right after the publisher's creation read the store
  }

  /** Starts a refresh when one is due; resolves (never rejects) when the one in flight ends. Undefined when none runs. */
  due(): Promise<void> | undefined {
    if (this.inFlight !== undefined || this.now() < this.nextAt) return this.inFlight;
    this.nextAt = this.now() + this.intervalMs;
    let reported = false;
    const report = (error: unknown): void => {
      if (reported || this.reporting?.onError === undefined) return;
      reported = true; // a hung read reported as a timeout is not reported again when it rejects at last
      const { storeKey, serving, onError } = this.reporting;
      const what =
        error === TIMED_OUT ? ['timeout', `the store did not answer within ${REFRESH_WAIT_MS} ms`] as const
        : error instanceof ShieldConfigError ? ['state', error.issues.map((i) => `${i.path}: ${i.message}`).join('; ')] as const
        : ['store', `the store failed (${errorDetail(error)})`] as const;
      callHook(onError, new PinSetRefreshError(what[0], what[1], storeKey, serving, this.lastOkAt));
    };
    const work = this.refresh().then(() => {
      this.lastOkAt = this.now();
    }, report);
    const done: Promise<void> = settleWithin(work, REFRESH_WAIT_MS).then((settled) => {
      if (!settled) report(TIMED_OUT);
      if (this.inFlight === done) this.inFlight = undefined;
    });
    this.inFlight = done;
    return done;
  }

  /** Makes the next call refresh, whatever the interval (after a publish lost to another instance's). */
  soon(): void {
    this.nextAt = 0;
  }
}

/** Marks a refresh still pending after {@link REFRESH_WAIT_MS}. */
const TIMED_OUT = Symbol('timed out');

/** True once `work` settles, false after `ms` if it has not (the timer does not hold the process open). */
function settleWithin(work: Promise<void>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref?.();
  });
  return Promise.race([work.then(() => true), timeout]).finally(() => clearTimeout(timer));
}
