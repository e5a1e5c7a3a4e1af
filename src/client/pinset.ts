/**
 * The app side of dynamic pinning, runtime-agnostic (React Native, browsers, Node, workers): jose and WebCrypto
 * only, no `node:` import. Verify a fetched pin set, keep the last good one, and decide per host whether to
 * enforce, under the never-brick rules: when in doubt, the app keeps working and reports instead of blocking.
 */
import { compactVerify, createLocalJWKSet, errors as joseErrors, type JWK } from 'jose';
import { MAX_PINSET_JWS_LENGTH, MAX_PINSET_LIFETIME_SECONDS, PINSET_JWS_TYPE, pinSetPayloadSchema, type PinSetHost, type PinSetPayload } from '../channel/pinset-payload.js';
import { ENGLISH } from '../core/zod-locale.js';

export type { PinSetHost, PinSetPayload } from '../channel/pinset-payload.js';
export { MAX_PINSET_LIFETIME_SECONDS } from '../channel/pinset-payload.js';

/** Why a pin set was refused. */
export type PinSetErrorCode =
  | 'malformed'
  | 'signature_invalid'
  | 'unknown_key'
  | 'rollback'
  | 'hard_expired'
  | 'not_yet_valid'
  /** `hardExpiry` is further after `issuedAt` than `maxLifetimeSeconds` (at most `MAX_PINSET_LIFETIME_SECONDS`). */
  | 'lifetime_exceeded';

/** Raised by `verifyPinSet` for a pin set the app must not use; `code` says why. */
export class PinSetError extends Error {
  readonly code: PinSetErrorCode;
  constructor(code: PinSetErrorCode, message: string) {
    super(message);
    this.name = 'PinSetError';
    this.code = code;
  }
}

/** Options of `verifyPinSet`. */
export interface VerifyPinSetOptions {
  /** The version of the last set the app accepted: a lower version is a rollback and is refused. */
  lastVersion?: number;
  /**
   * The `issuedAt` of the last set the app accepted: a set of the same version (`lastVersion`) issued earlier is an
   * older signing of that version (which hard-expires sooner) replayed, and is refused as a rollback.
   */
  lastIssuedAt?: number;
  /**
   * The `hardExpiry` of the last set the app accepted. Once the clock is past it (that set is no longer enforced), a
   * version lower than `lastVersion` is accepted when issued after `lastIssuedAt`: a set with a forged, huge
   * version cannot lock the genuine sets out beyond its own expiry. A set issued at or before `lastIssuedAt` (an
   * older set replayed) stays a rollback. Needs `lastIssuedAt`; `refreshPinSet` passes both.
   */
  lastHardExpiry?: number;
  /** Default: now. */
  now?: Date | number;
  /**
   * Seconds of clock skew tolerated on `issuedAt` and the expiries. Default 300 (also taken for a value that is not
   * a finite number ≥ 0, which would otherwise disable those checks).
   */
  clockToleranceSeconds?: number;
  /**
   * The longest lifetime accepted (`hardExpiry - issuedAt`, seconds): longer is refused (`lifetime_exceeded`).
   * Default and ceiling `MAX_PINSET_LIFETIME_SECONDS` (365 days); set your publisher's `hardExpirySeconds` (e.g.
   * 2 592 000) to bound a forged set to that. A value that is not a number > 0 is the default.
   */
  maxLifetimeSeconds?: number;
}

/** A pin set that verified. */
export interface VerifiedPinSet {
  readonly jws: string;
  readonly payload: PinSetPayload;
  /** The `kid` of the key that signed it. */
  readonly kid: string | undefined;
  /** Past soft expiry: still valid, but the app should fetch a newer set now. */
  readonly refreshDue: boolean;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function epochSeconds(now: Date | number | undefined): number {
  const ms = now === undefined ? Date.now() : typeof now === 'number' ? now : now.getTime();
  // An Invalid Date or NaN (a server Date header that did not parse) compares false with everything: the expiry
  // checks would pass a hard-expired set, and pinPolicyFor would enforce its stale pins. Take the device clock.
  return (Number.isFinite(ms) ? ms : Date.now()) / 1000;
}

/**
 * Verifies a signed pin set against the signing public keys embedded in the app (public JWKs; picked by `kid`,
 * ES256 only). Refuses a bad signature, an unknown key, a version older than `lastVersion` (rollback; once past
 * `lastHardExpiry`, only one issued at or before `lastIssuedAt`), a hard-expired set, one issued in the future
 * (beyond the clock tolerance), one living longer than `maxLifetimeSeconds` and, with `lastIssuedAt`, an earlier
 * signing of the same version. A set accepted is thus
 * enforced at most that lifetime plus the tolerance after this device's clock saw it, even when signed by a key
 * that should no longer sign (a retired key old builds embed, stolen). Throws `PinSetError`.
 */
export async function verifyPinSet(
  jws: string,
  trustedKeys: readonly JWK[],
  options: VerifyPinSetOptions = {},
): Promise<VerifiedPinSet> {
  if (typeof jws !== 'string' || jws.length > MAX_PINSET_JWS_LENGTH || !COMPACT_JWS.test(jws.trim())) {
    throw new PinSetError('malformed', 'not a compact JWS');
  }
  if (!Array.isArray(trustedKeys) || trustedKeys.length === 0) throw new PinSetError('unknown_key', 'no trusted signing keys');
  const publicKeys = trustedKeys.map((k) => {
    // Only the public members: a private JWK handed in by mistake must not become a verification key with `d`.
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, k: _k, ...pub } = k as JWK & Record<string, unknown>;
    return pub as JWK;
  });
  let verified: Awaited<ReturnType<typeof compactVerify>>;
  try {
    verified = await compactVerify(jws.trim(), createLocalJWKSet({ keys: publicKeys }), { algorithms: ['ES256'] });
  } catch (error) {
    if (error instanceof joseErrors.JWKSNoMatchingKey) throw new PinSetError('unknown_key', 'signed by a key the app does not trust');
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) throw new PinSetError('signature_invalid', 'signature does not verify');
    throw new PinSetError('malformed', `pin set refused: ${(error as Error).message}`);
  }
  if (verified.protectedHeader.typ !== PINSET_JWS_TYPE) throw new PinSetError('malformed', `typ must be ${PINSET_JWS_TYPE}`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(verified.payload));
  } catch {
    throw new PinSetError('malformed', 'payload is not JSON');
  }
  const parsed = pinSetPayloadSchema.safeParse(json, ENGLISH);
  if (!parsed.success) throw new PinSetError('malformed', `payload invalid: ${parsed.error.issues[0]?.message ?? 'schema'}`);
  const payload = parsed.data as PinSetPayload;
  const now = epochSeconds(options.now);
  const tolerance = nonNegative(options.clockToleranceSeconds) ?? 300;
  const maxLifetime = Math.min(positive(options.maxLifetimeSeconds) ?? MAX_PINSET_LIFETIME_SECONDS, MAX_PINSET_LIFETIME_SECONDS);
  if (options.lastVersion !== undefined && payload.version < options.lastVersion && !issuedAfterLastExpired(payload, options, now)) {
    throw new PinSetError('rollback', `version ${payload.version} is older than ${options.lastVersion}`);
  }
  if (options.lastVersion === payload.version && options.lastIssuedAt !== undefined && payload.issuedAt < options.lastIssuedAt) {
    throw new PinSetError('rollback', `version ${payload.version} issued before the copy the app holds`);
  }
  if (now > payload.hardExpiry + tolerance) throw new PinSetError('hard_expired', 'pin set is past its hard expiry');
  if (payload.issuedAt > now + tolerance) throw new PinSetError('not_yet_valid', 'pin set issued in the future');
  // With issuedAt at most now + tolerance, this keeps the set's hard expiry within maxLifetime + tolerance of now.
  if (payload.hardExpiry - payload.issuedAt > maxLifetime) {
    throw new PinSetError('lifetime_exceeded', `pin set hard-expires more than ${maxLifetime} s after it was issued`);
  }
  return { jws: jws.trim(), payload, kid: verified.protectedHeader.kid, refreshDue: now >= payload.softExpiry };
}

/**
 * True when the last set accepted is past its hard expiry (no longer enforced, as `pinPolicyFor` decides) and
 * `payload` was issued after it: a lower version then replaces it rather than being refused as a rollback.
 */
function issuedAfterLastExpired(payload: PinSetPayload, options: VerifyPinSetOptions, now: number): boolean {
  const { lastHardExpiry, lastIssuedAt } = options;
  return typeof lastHardExpiry === 'number' && typeof lastIssuedAt === 'number' && now > lastHardExpiry && payload.issuedAt > lastIssuedAt;
}

const nonNegative = (n: number | undefined): number | undefined => (typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined);
const positive = (n: number | undefined): number | undefined => (nonNegative(n) !== undefined && (n as number) > 0 ? n : undefined);

/** Where the app stands: the last good set (persist `jws` and re-verify it at start-up). */
export interface PinSetState {
  readonly current: VerifiedPinSet | undefined;
  /** Why the last refresh did not change the set, when it did not. */
  readonly lastError?: Error;
}

/**
 * One refresh under the never-brick rules: fetch and verify; on any failure (network, signature, rollback,
 * expiry) keep the last good set. Never throws. A lower version than the set held is a rollback, unless the held
 * set is past its hard expiry and the fetched one was issued after it (`lastHardExpiry`).
 */
export async function refreshPinSet(
  state: PinSetState,
  fetchJws: () => Promise<string>,
  trustedKeys: readonly JWK[],
  options: Omit<VerifyPinSetOptions, 'lastVersion' | 'lastIssuedAt' | 'lastHardExpiry'> = {},
): Promise<PinSetState> {
  try {
    const jws = await fetchJws();
    const held = state.current?.payload;
    const last = { lastVersion: held?.version, lastIssuedAt: held?.issuedAt, lastHardExpiry: held?.hardExpiry };
    const next = await verifyPinSet(jws, trustedKeys, { ...options, ...last });
    return { current: next };
  } catch (error) {
    return { current: state.current, lastError: error instanceof Error ? error : new Error(String(error)) };
  }
}

/** What the app should do for one host. */
export interface HostPinPolicy {
  /** Block connections whose chain has no pinned key. False: connect, and report mismatches. */
  readonly enforce: boolean;
  /** Pins (current and backup) to accept; empty when there is nothing to check. */
  readonly pins: readonly string[];
  /** Why it is not enforced, when it is not. */
  readonly reason?: 'no_pinset' | 'hard_expired' | 'host_not_pinned' | 'no_pins' | 'host_expired' | 'enforce_off';
}

/**
 * The pins in force for `hostname` (exact host, or a parent with `includeSubdomains`). Never-brick: no set, a
 * hard-expired set, a host with no pins or past its `expiresAt`, and `enforce: false` all mean "do not block".
 */
export function pinPolicyFor(pinSet: VerifiedPinSet | undefined, hostname: string, now?: Date | number): HostPinPolicy {
  if (!pinSet) return { enforce: false, pins: [], reason: 'no_pinset' };
  const nowSec = epochSeconds(now);
  if (nowSec > pinSet.payload.hardExpiry) return { enforce: false, pins: [], reason: 'hard_expired' };
  const entry = hostEntry(pinSet.payload, asciiHost(hostname).toLowerCase().replace(/\.$/, ''));
  if (!entry) return { enforce: false, pins: [], reason: 'host_not_pinned' };
  const pins = [...entry.pins, ...entry.backupPins];
  if (pins.length === 0) return { enforce: false, pins, reason: 'no_pins' };
  if (entry.expiresAt !== undefined && nowSec >= Date.parse(`${entry.expiresAt}T00:00:00Z`) / 1000) {
    return { enforce: false, pins, reason: 'host_expired' };
  }
  if (!entry.enforce) return { enforce: false, pins, reason: 'enforce_off' };
  return { enforce: true, pins };
}

/**
 * A name with non-ASCII characters as the URL parsers that route the app's requests spell it: an IDN in punycode,
 * full-width or ideographic dots as dots (`api．example．com` is a request to `api.example.com`). Compared as
 * given, such a name matched no entry and its pins were not enforced. Where URL cannot convert it (a runtime
 * without IDNA), it stays as given.
 */
function asciiHost(hostname: string): string {
  if (!/[^\x00-\x7f]/.test(hostname)) return hostname;
  try {
    return new URL(`http://${hostname}/`).hostname;
  } catch {
    return hostname;
  }
}

// Not Object.hasOwn: older React Native engines lack it.
const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);

function hostEntry(payload: PinSetPayload, hostname: string): PinSetHost | undefined {
  const exact = hasOwn(payload.hosts, hostname) ? payload.hosts[hostname] : undefined;
  if (exact) return exact;
  for (let dot = hostname.indexOf('.'); dot !== -1; dot = hostname.indexOf('.', dot + 1)) {
    const parent = hostname.slice(dot + 1);
    const entry = hasOwn(payload.hosts, parent) ? payload.hosts[parent] : undefined;
    if (entry?.includeSubdomains) return entry;
  }
  return undefined;
}

/** The outcome of checking a served chain's pins against the pin set. */
export interface PinCheck {
  /** True when the connection may proceed (a match, or pins not enforced). */
  readonly allowed: boolean;
  /** True when some served key is pinned. */
  readonly matched: boolean;
  readonly policy: HostPinPolicy;
}

/**
 * Checks the SPKI pins of the chain a server presented (leaf first) against the pin set for `hostname`. A
 * mismatch is allowed when the host is not enforced (then the app should still report it).
 */
export function checkServedPins(
  pinSet: VerifiedPinSet | undefined,
  hostname: string,
  servedPins: readonly string[],
  now?: Date | number,
): PinCheck {
  const policy = pinPolicyFor(pinSet, hostname, now);
  const matched = policy.pins.length > 0 && servedPins.some((p) => policy.pins.includes(p));
  return { allowed: matched || !policy.enforce, matched, policy };
}
