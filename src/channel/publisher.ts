/**
 * `createPinSetPublisher`: holds the current pin configuration, signs it (ES256) and serves it at
 * `GET /.well-known/pinset` with an ETag, so apps poll cheaply and a rotation or an emergency `enforce: false`
 * reaches every installed app at its next fetch.
 */
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import * as z from 'zod/mini';
import type { EndpointRequest, EndpointResponse, Endpoints } from '../core/endpoints.js';
import { ShieldConfigError } from '../core/errors.js';
import type { Store } from '../core/store.js';
import { isPublishedStateStore, joinPublishedState, PublishedStateStore, StateRefresher, type PinSetRefreshError, type StoredState } from './published-state.js';
import { MAX_PINSET_LIFETIME_SECONDS, type PinSetHost, type PinSetPayload } from './pinset-payload.js';
import { pinSetHostsSchema, publishedHostsSchema, toPinSetHosts } from './pinset-hosts.js';
import { assertPinSetSize, importSigningKey, signPinSet, type ImportedSigningKey, type PinSetSigningKey } from './sign-pinset.js';
import { assertPinConfig, type HostPinConfig, type PinFinding } from './validate-pins.js';
import { ENGLISH } from '../core/zod-locale.js';

export { pinSetHostsSchema, toPinSetHosts } from './pinset-hosts.js';

/** Options of `createPinSetPublisher`. */
export interface PinSetPublisherOptions {
  /** Signing keys (ES256, P-256). The first signs; list the next one after it while apps learn its public key. */
  signingKeys: readonly PinSetSigningKey[];
  /**
   * Host name → its pins. Validated: at least one host (an empty set would unpin every host in every app; the
   * emergency switch is `enforce: false`); an enforcing host needs two pins, one a backup.
   */
  hosts: Readonly<Record<string, HostPinConfig>>;
  /** The version of this configuration; every later `publish` must raise it (apps refuse a lower one). */
  version: number;
  /** Seconds after signing when apps should refetch. Default 86 400 (one day). */
  softExpirySeconds?: number;
  /**
   * Seconds after signing when apps refuse the set and stop enforcing it (never-brick). Default 2 592 000 (30 days),
   * at most `MAX_PINSET_LIFETIME_SECONDS` (31 536 000, 365 days), the longest lifetime `verifyPinSet` accepts; more
   * is a `ShieldConfigError` at `pinset.hardExpirySeconds`.
   */
  hardExpirySeconds?: number;
  /** `Cache-Control: max-age` of the served set, in seconds. Default 300. */
  maxAgeSeconds?: number;
  /**
   * The lowest pin-set version apps may hold, for `channel.minPinSetVersion`: raised by `publish({ revoke: true })`
   * after a key compromise. Default 0 (no minimum); at most `version` (refused above it: no app could recover).
   * Without `store`, a runtime revoke lives in this process only: carry the new `version` and `minClientVersion`
   * into every instance's options, or a restart serves the revoked set again with no minimum.
   */
  minClientVersion?: number;
  /**
   * Where the published state (version, minimum, hosts) is shared, e.g. a `RedisStore`: a `publish` (a revoke above
   * all) then survives restarts and reaches every instance built from the same options within `refreshSeconds`.
   * At creation a stored version above `version` is adopted, a lower one is replaced by these options (a deploy of a
   * newer configuration; the stored minimum is kept), an equal one with other contents is refused
   * (`ShieldConfigError`: raise `version`); a store that cannot answer then rejects creation (the
   * publisher cannot know whether a revocation happened). Keys live 400 days after the last publish. Without a
   * store, `publish` changes this process only.
   */
  store?: Store;
  /**
   * Key prefix of the state in `store` (`<storeKey>:version`, `<storeKey>:state:<version>`, `<storeKey>:after:<version>`).
   * Default `pinset`. Only with `store`. Each publisher configuration needs its own `storeKey` on a shared store: a
   * state written with signing keys sharing none with `signingKeys` is another publisher's (refused at creation and
   * by `publish`, ignored by refreshes).
   */
  storeKey?: string;
  /**
   * Seconds a publish on another instance may go unseen here: the store is read at most this often (on a served
   * `GET`, `minPinSetVersion()`, `version`). Integer 1-3600, default 5. Only with `store`.
   */
  refreshSeconds?: number;
  /**
   * Told of every refresh from `store` that fails: the store rejects or hangs past 2 s, or its state is malformed or
   * another publisher's (`PinSetRefreshError`: `stage`, `lastRefreshAt`; no key material, nor the store's message).
   * Meanwhile the last good state stays served, however old (never-brick: the set is signed, apps refuse a lower
   * version than they hold, and refusing to serve would not unpin the set they cache); alert on `lastRefreshAt`.
   * A throwing or rejecting hook is ignored. A failing `publish` rejects instead (told to its caller, not here).
   */
  onError?: (error: PinSetRefreshError) => void;
  /** The path served. Default `/.well-known/pinset`. */
  path?: string;
  /** Clock in epoch ms, for tests. Default `Date.now`. */
  now?: () => number;
}

/** A signed pin set as served. */
export interface SignedPinSet {
  readonly jws: string;
  readonly etag: string;
  readonly payload: PinSetPayload;
}

/** What `publish` takes: the next configuration. */
export interface PinSetUpdate {
  /** As the option `hosts`; an invalid or empty one is refused (`TypeError`) before anything changes. */
  hosts: Readonly<Record<string, HostPinConfig>>;
  /** Default: the current version + 1. Must be higher than the current one. */
  version?: number;
  /** This version revokes a compromised key: apps holding an older set are refused (`channel_stale_pins`). */
  revoke?: boolean;
}

/** The HTTP answer of the publisher to one request, framework-free. */
export interface PinSetResponse {
  status: number;
  headers: Record<string, string>;
  body: string | undefined;
}

/**
 * The publisher: an `Endpoints` set (mount it with `expressEndpoints(publisher)`, `koaEndpoints`, `fastifyEndpoints`),
 * changed with `publish`.
 */
export interface PinSetPublisher extends Endpoints {
  /** The path it serves. */
  readonly path: string;
  /** The current version (with `store`, the latest this instance has seen; reading it may start a refresh). */
  readonly version: number;
  /**
   * The lowest version apps may hold: pass `() => publisher.minPinSetVersion()` to `channel.minPinSetVersion`.
   * Synchronous and cheap: with `store` it answers the last value seen and, at most once per `refreshSeconds`,
   * starts a read of the store in the background.
   */
  minPinSetVersion(): number;
  /** The public JWKs of the signing keys, for the app build (never the private parts). */
  readonly publicKeys: readonly import('jose').JWK[];
  /** Warnings of the current configuration (expiry near, ...). */
  readonly warnings: readonly PinFinding[];
  /** The current signed set, re-signed when half its soft lifetime has passed. */
  current(): Promise<SignedPinSet>;
  /**
   * Validates, versions and signs a new configuration; refuses a version not above the current one. With `store` it
   * builds on the latest stored version and stores the new state before serving it (rejecting when the store
   * fails, and with `RangeError` when another instance published that version, or any version, since the one this
   * publish built on: publish again). Without `store` it changes
   * this process only: other instances and a restart serve the options' set (see `minClientVersion`).
   */
  publish(update: PinSetUpdate): Promise<SignedPinSet>;
  /** Answers `GET`/`HEAD` with the signed set (304 on a matching `If-None-Match`). */
  respond(request: { method: string; headers: Readonly<Record<string, string | string[] | undefined>> }): Promise<PinSetResponse>;
}

const LIFETIME_MESSAGE = `must be at most ${MAX_PINSET_LIFETIME_SECONDS} (365 days, MAX_PINSET_LIFETIME_SECONDS): apps refuse a set living longer`;

const optionsSchema = z.strictObject({
    signingKeys: z.array(z.strictObject({ kid: z.optional(z.string().check(z.minLength(1), z.maxLength(128))), privateKey: z.unknown() })).check(z.minLength(1), z.maxLength(8)),
    hosts: publishedHostsSchema,
    version: z.number().check(z.int(), z.positive(), z.maximum(Number.MAX_SAFE_INTEGER)),
    softExpirySeconds: z._default(z.number().check(z.int(), z.minimum(60), z.maximum(31_536_000)), 86_400),
    hardExpirySeconds: z._default(z.number().check(z.int(), z.minimum(60), z.maximum(MAX_PINSET_LIFETIME_SECONDS, LIFETIME_MESSAGE)), 2_592_000),
    maxAgeSeconds: z._default(z.number().check(z.int(), z.minimum(0), z.maximum(86_400)), 300),
    minClientVersion: z._default(z.number().check(z.int(), z.nonnegative(), z.maximum(Number.MAX_SAFE_INTEGER)), 0),
    path: z._default(z.string().check(z.regex(/^\/[A-Za-z0-9._~\/-]*$/)), '/.well-known/pinset'),
    now: z.optional(z.custom<() => number>((v) => typeof v === 'function')),
    store: z.optional(z.custom<Store>(isPublishedStateStore, 'must be a Store (get, setIfAbsent, setIfGreater)')),
    storeKey: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
    refreshSeconds: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(3600))),
    onError: z.optional(z.custom<(error: PinSetRefreshError) => void>((v) => typeof v === 'function', 'must be a function')),
  }).check(
    z.refine((o) => o.softExpirySeconds <= o.hardExpirySeconds, { message: 'softExpirySeconds must not exceed hardExpirySeconds', path: ['softExpirySeconds'] }),
    // Above the set served, every app would be refused (`channel_stale_pins`) with no set it could fetch to recover.
    z.refine((o) => o.minClientVersion <= o.version, { message: 'minClientVersion must not exceed version (no app could hold a set that new)', path: ['minClientVersion'] }),
    // Without a store they would do nothing, and whoever set them would believe the state shared.
    z.refine((o) => o.store !== undefined || (o.storeKey === undefined && o.refreshSeconds === undefined), { message: 'storeKey and refreshSeconds need a store', path: ['store'] }),
  );

/**
 * Builds a pin-set publisher. Throws `ShieldConfigError` for bad options, including a host configuration that
 * would brick apps (an enforcing host with one pin, or no backup); the keys are imported here, once.
 */
export async function createPinSetPublisher(options: PinSetPublisherOptions): Promise<PinSetPublisher> {
  const parsed = optionsSchema.safeParse(options, ENGLISH);
  if (!parsed.success) {
    throw new ShieldConfigError(parsed.error.issues.map((i) => ({ path: `pinset.${i.path.join('.')}`, message: i.message })));
  }
  const o = parsed.data;
  const now = o.now ?? Date.now;
  const signers: ImportedSigningKey[] = [];
  for (const [i, key] of o.signingKeys.entries()) {
    try {
      signers.push(await importSigningKey(key as PinSetSigningKey));
    } catch (error) {
      throw new ShieldConfigError([{ path: `pinset.signingKeys.${i}`, message: (error as Error).message }]);
    }
  }
  // Apps pick the verification key by kid: two keys under one kid make every set ambiguous to them (jose refuses it).
  const kids = new Set<string>();
  for (const [i, s] of signers.entries()) {
    if (kids.has(s.kid)) throw new ShieldConfigError([{ path: `pinset.signingKeys.${i}.kid`, message: `duplicate kid "${s.kid}" (apps pick the key by kid)` }]);
    kids.add(s.kid);
  }
  const signer = signers[0] as ImportedSigningKey;
  let hosts = checkHosts(o.hosts, now);
  let warnings = hosts.warnings;
  let version = o.version;
  checkSize(payloadOf(version, hosts.payload), signer.kid);
  let minClientVersion = o.minClientVersion;
  let signed: SignedPinSet | undefined;
  /** The signing in flight and the version it signs (one for an older version is never handed out for a newer one). */
  let signing: { version: number; result: Promise<SignedPinSet> } | undefined;
  /** With `store`: the published state shared between instances (and restarts). */
  const storeKey = o.storeKey ?? 'pinset';
  const shared = o.store
    ? new PublishedStateStore(o.store, storeKey, await Promise.all(signers.map((s) => calculateJwkThumbprint(s.publicJwk))))
    : undefined;
  const refreshMs = (o.refreshSeconds ?? 5) * 1000;

  /** The payload of `forVersion` signed now. */
  function payloadOf(forVersion: number, forHosts: Readonly<Record<string, PinSetHost>>): PinSetPayload {
    // issuedAt is the start of the current re-signing window, not the moment of signing: every instance serving
    // the same configuration then signs the same payload, and the ETag (of the payload) matches across instances.
    const window = Math.floor(o.softExpirySeconds / 2);
    const issuedAt = Math.floor(now() / 1000 / window) * window;
    return {
      version: forVersion,
      issuedAt,
      softExpiry: issuedAt + o.softExpirySeconds,
      hardExpiry: issuedAt + o.hardExpirySeconds,
      hosts: forHosts,
    };
  }

  async function sign(): Promise<SignedPinSet> {
    const payload = payloadOf(version, hosts.payload);
    const jws = await signPinSet(payload, signer);
    // Of the payload, not the JWS: ES256 signatures differ on every signing.
    const etag = `"v${version}-${createHash('sha256').update(JSON.stringify(payload)).digest('base64url').slice(0, 16)}"`;
    return { jws, etag, payload };
  }

  /** A stored state checked as a publish checks its update; `ShieldConfigError` when it would not pass. */
  function validStored(state: StoredState): Adoptable {
    // Not publishedHostsSchema: an empty state stored by an older release is served as it was, not made fatal here.
    const parsedHosts = pinSetHostsSchema.safeParse(state.hosts, ENGLISH);
    if (!parsedHosts.success) {
      throw new ShieldConfigError(parsedHosts.error.issues.map((i) => ({ path: `pinset.store.hosts.${i.path.join('.')}`, message: i.message })));
    }
    const checked = checkHosts(parsedHosts.data, now);
    checkSize(payloadOf(state.version, checked.payload), signer.kid);
    return { version: state.version, minClientVersion: state.minClientVersion, checked };
  }

  /** Serves `next` if newer (or, `sameVersionToo`, if as new: as another instance stored it); raises the minimum. */
  function adopt(next: Adoptable, sameVersionToo = false): void {
    if (next.version > version || (sameVersionToo && next.version === version)) {
      hosts = next.checked;
      warnings = next.checked.warnings;
      version = next.version;
      signed = undefined;
    }
    if (next.minClientVersion > minClientVersion) minClientVersion = next.minClientVersion;
  }

  /** With `store`: reads the latest version at most once per `refreshSeconds` and adopts a newer one. */
  const refresher = shared
    ? new StateRefresher(now, refreshMs, async () => {
        const latest = await shared.latestVersion();
        if (latest !== undefined && latest > version) adopt(validStored(await shared.read(latest)));
      }, { storeKey, onError: o.onError, serving: () => ({ version, minClientVersion }) })
    : undefined;

  function current(): Promise<SignedPinSet> {
    const refresh = refresher?.due();
    return refresh ? refresh.then(signedCurrent) : signedCurrent();
  }

  function signedCurrent(): Promise<SignedPinSet> {
    const nowSec = now() / 1000;
    if (signed && nowSec < signed.payload.issuedAt + Math.floor(o.softExpirySeconds / 2) && signed.payload.version === version) {
      return Promise.resolve(signed);
    }
    // One signing per version at a time: concurrent requests after expiry share it. A publish in between starts a
    // signing of its own version, and the older one, when it ends, replaces nothing.
    if (signing?.version !== version) {
      const forVersion = version;
      const result: Promise<SignedPinSet> = sign().then(
        (set) => {
          if (signing?.result === result) signing = undefined;
          if (forVersion === version) signed = set;
          return set;
        },
        (error: unknown) => {
          if (signing?.result === result) signing = undefined;
          throw error;
        },
      );
      signing = { version: forVersion, result };
    }
    return signing.result;
  }

  /** The publish in progress (settled when none is): `publish` queues behind it. */
  let publishing: Promise<unknown> = Promise.resolve();

  async function apply(update: Parameters<PinSetPublisher['publish']>[0]): Promise<SignedPinSet> {
    let base = 0; // the stored version this publish builds on (claimed by the write: a publish racing it loses)
    if (shared) {
      // Build on the cluster's latest, not this instance's: the default version and the "must increase" check.
      const latest = await shared.latest(); // ShieldConfigError over another publisher's state
      if (latest !== undefined) {
        base = latest.version;
        if (latest.version > version) adopt(validStored(latest));
        else minClientVersion = Math.max(minClientVersion, latest.minClientVersion);
      }
    }
    const next = update.version ?? version + 1;
    if (!Number.isSafeInteger(next) || next <= version) {
      throw new RangeError(`pin set version must increase: current ${version}, got ${String(update.version)}`);
    }
    const hostsParsed = publishedHostsSchema.safeParse(update.hosts, ENGLISH);
    if (!hostsParsed.success) throw new TypeError(`hosts invalid: ${hostsParsed.error.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ')}`);
    const checked = checkHosts(hostsParsed.data, now); // throws before anything changes
    checkSize(payloadOf(next, checked.payload), signer.kid);
    let state: Adoptable = { version: next, minClientVersion: update.revoke === true ? next : minClientVersion, checked };
    if (shared) {
      try {
        // Stored before served: once an app holds this version, every instance (and a restart) must serve it too.
        const theirs = await shared.write({ version: next, minClientVersion: state.minClientVersion, hosts: checked.payload }, base);
        if (theirs !== undefined) state = validStored(theirs);
      } catch (error) {
        refresher?.soon(); // another instance may have published: look for its state on the next call
        throw error;
      }
    }
    // No await from here to `signedCurrent()`: a request served in between would see the new version half applied.
    adopt(state);
    return signedCurrent();
  }

  if (shared) {
    const joined = await joinPublishedState(shared, { version, minClientVersion, hosts: hosts.payload });
    if (joined.adopt) adopt(validStored(joined.adopt), true);
    minClientVersion = Math.max(minClientVersion, joined.minClientVersion);
  }

  const publisher: PinSetPublisher = {
    routes: [{ method: 'GET', path: o.path }],
    maxBodyBytes: 1024,
    async handle(request: EndpointRequest): Promise<EndpointResponse> {
      const response = await publisher.respond(request);
      return { status: response.status, headers: response.headers, body: response.body ?? '' };
    },
    path: o.path,
    get version() {
      void refresher?.due();
      return version;
    },
    minPinSetVersion: () => {
      void refresher?.due();
      return minClientVersion;
    },
    publicKeys: signers.map((s) => s.publicJwk),
    get warnings() {
      return warnings;
    },
    current,
    publish(update) {
      // One publish at a time, each reading the version the last one left: two in flight at once (two admin
      // requests) could otherwise both pass the check and the lower one land last, taking back a revoke.
      const run = publishing.then(() => apply(update));
      publishing = run.catch(() => undefined);
      return run;
    },
    async respond(request) {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return { status: 405, headers: { allow: 'GET, HEAD', 'content-type': 'text/plain' }, body: 'method not allowed\n' };
      }
      const set = await current();
      const headers: Record<string, string> = {
        etag: set.etag,
        'cache-control': `public, max-age=${o.maxAgeSeconds}, no-transform`,
        'x-pinset-version': String(set.payload.version),
      };
      if (etagMatches(request.headers['if-none-match'], set.etag)) return { status: 304, headers, body: undefined };
      headers['content-type'] = 'application/jose';
      return { status: 200, headers, body: request.method === 'HEAD' ? undefined : set.jws };
    },
  };
  return publisher;
}

/** A state ready to serve: its version, minimum and checked hosts. */
interface Adoptable {
  version: number;
  minClientVersion: number;
  checked: ReturnType<typeof checkHosts>;
}

function checkHosts(hosts: Readonly<Record<string, HostPinConfig>>, now: () => number) {
  let warnings: readonly PinFinding[];
  try {
    warnings = assertPinConfig(hosts, { now: new Date(now()) });
  } catch (error) {
    const errors = (error as { errors?: readonly PinFinding[] }).errors;
    if (!errors) throw error;
    throw new ShieldConfigError(errors.map((e) => ({ path: `pinset.hosts.${e.host}`, message: e.message })));
  }
  return { payload: toPinSetHosts(hosts), warnings };
}

/** A set too large for its clients is a configuration error, refused before it is served (signing would refuse it). */
function checkSize(payload: PinSetPayload, kid: string): void {
  try {
    assertPinSetSize(payload, kid);
  } catch (error) {
    throw new ShieldConfigError([{ path: 'pinset.hosts', message: (error as Error).message }]);
  }
}

/** RFC 9110 If-None-Match: `*`, or a list of (possibly weak) entity tags compared weakly. */
function etagMatches(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const value = typeof header === 'string' ? header : header.join(',');
  if (value.length > 1024) return false;
  if (value.trim() === '*') return true;
  for (const part of value.split(',')) {
    const tag = part.trim();
    if ((tag.startsWith('W/') ? tag.slice(2) : tag) === etag) return true;
  }
  return false;
}
