import { decodeDigest, digestMatches } from '../../core/binding-digest.js';
import type { ClientIpResolver } from '../../core/client-ip.js';
import type { ResolvedRouteOptions } from '../../core/route-options.js';
import type { RequestOutcome, Verifier, VerifierContext, VerifierOutcome } from '../../core/verifier.js';
import { PASS } from '../../core/outcome.js';
import type { Store } from '../../stores/store.js';
import { isAttemptStore } from '../../stores/store.js';
import { LoginAttempt, LoginCounters, type Refusal } from './counters.js';
import { KnownBlocks } from './known-blocks.js';
import { digestKey } from './key-digest.js';
import { deviceIdOf } from './device-id.js';
import { normaliseUsername, type UsernameFolding } from './username.js';
import { BreachedPasswordChecker } from './breached-password.js';
import { compileFieldSource, type FieldReader, type FieldSource } from './field-source.js';
import {
  CREDENTIAL_DEFAULTS,
  type ConsecutiveFailureLimit,
  type CredentialAbuseOptions,
  type CredentialRouteOptions,
  type LoginBindingOptions,
  type WindowLimit,
  withFirstLockKept,
} from './options.js';
import type { RateLimitInfo } from '../../core/rate-limit-headers.js';
import { parseResetTarget, type CredentialCounterName, type CredentialsApi } from './reset.js';

export {
  CREDENTIAL_DEFAULTS,
  credentialAbuseOptionsSchema,
  credentialRouteOptionsSchema,
  type BreachedPasswordOptions,
  type ConsecutiveFailureLimit,
  type CredentialAbuseOptions,
  type CredentialRouteOptions,
  type LoginBindingOptions,
  type WindowLimit,
} from './options.js';
export { BreachedPasswordChecker, BreachedPasswordLookupError } from './breached-password.js';
export type { FieldSource } from './field-source.js';
export type { CredentialCounterName, CredentialResetResult, CredentialResetTarget, CredentialsApi } from './reset.js';

/** What the verifier needs from the shield. */
export interface CredentialAbuseDeps {
  store: Store;
  ipResolver: ClientIpResolver;
  /** A breached-password checker to use instead of building one (tests, a shared instance). */
  breachedPasswordChecker?: BreachedPasswordChecker;
  /** The token verifier's `genericErrors`: a login binding mismatch then reads `token_invalid` too. */
  genericTokenErrors?: boolean;
}

const MEMO_KEY = 'credential-abuse:attempt';
/**
 * Left under MEMO_KEY by `onResponse` when the request ended before `verify` kept its attempt (a verify still pending
 * at the core's deadline, answered 503 or failed open meanwhile): what it reserves later settles with this outcome at
 * once, instead of holding its slots for `holdSeconds` (a few slow store answers locked a username out).
 */
class EndedFirst {
  constructor(readonly outcome: RequestOutcome) {}
}
/** The username key part of a login without a username: not base64url, so no digest can equal it. */
const ABSENT_USERNAME = '~absent';

interface CompiledLogin {
  username: FieldReader;
  password?: FieldReader;
  /** undefined = binding off on this route. */
  binding?: { claim: string; fields: readonly FieldReader[] };
}

type Resolved<T> = T | undefined;

function windowLimit(value: Partial<WindowLimit> | false | undefined, defaults: WindowLimit): Resolved<WindowLimit> {
  if (value === false) return undefined;
  return { limit: value?.limit ?? defaults.limit, windowSeconds: value?.windowSeconds ?? defaults.windowSeconds };
}


function loginOf(route: ResolvedRouteOptions): CredentialRouteOptions['login'] | undefined {
  const credentials = (route as { credentials?: CredentialRouteOptions | false }).credentials;
  if (typeof credentials !== 'object' || credentials === null) return undefined;
  const login = credentials.login;
  return typeof login === 'object' && login !== null ? login : undefined;
}

/**
 * Builds the credential-abuse verifier: on login routes (`credentials.login` in the route options) it requires a
 * verified attestation token, optionally checks the token is bound to the username, refuses locked usernames and
 * abusive IP keys or devices, optionally refuses breached passwords, and learns from each attempt's outcome.
 *
 * Counters, in the spirit of the OWASP Credential Stuffing Prevention Cheat Sheet and rate-limiter-flexible's login
 * recipe (defaults in {@link CREDENTIAL_DEFAULTS}):
 * - consecutive failures per username + IP key → lock with exponential backoff (`login_locked`);
 * - failures per IP key and per device per window → `credential_abuse`;
 * - distinct usernames failing per IP key and per device per window (the stuffing signature) → `credential_abuse`;
 * - a success resets only the username + IP counter, never a budget an attacker could reset with one owned account.
 *
 * `verify` reserves a slot on every counter and reads the blocks in one round trip of parallel store operations;
 * `onResponse` settles (a failure counts, anything else frees the slot). Reservations are atomic, so attempts in
 * flight at the same time can never overshoot a limit. Support resets: {@link CredentialsApi} (`shield.credentials`).
 */
export function createCredentialAbuseVerifier(options: CredentialAbuseOptions, deps: CredentialAbuseDeps): Verifier {
  return buildCredentialAbuse(options, deps).verifier;
}

/** The verifier and its support API (`shield.credentials`), sharing one set of counters. */
export function buildCredentialAbuse(options: CredentialAbuseOptions, deps: CredentialAbuseDeps): { verifier: Verifier; api: CredentialsApi } {
  const { store, ipResolver } = deps;
  const prefix = options.keyPrefix ?? CREDENTIAL_DEFAULTS.keyPrefix;
  const failOpen = options.failOpen === true;
  const skip = options.skip;
  const rateLimitHeaders = options.rateLimitHeaders === true;
  const folding: UsernameFolding = {
    caseSensitive: options.caseSensitiveUsernames === true,
    accentSensitive: options.accentSensitiveUsernames === true,
  };
  const deviceClaims = options.deviceClaims ?? CREDENTIAL_DEFAULTS.deviceClaims;
  const consecutive: Resolved<ConsecutiveFailureLimit> =
    options.consecutiveFailures === false
      ? undefined
      : withFirstLockKept({ ...CREDENTIAL_DEFAULTS.consecutiveFailures, ...stripUndefined(options.consecutiveFailures ?? {}) });
  const ipFailures = windowLimit(options.ipFailures, CREDENTIAL_DEFAULTS.ipFailures);
  const deviceFailures = windowLimit(options.deviceFailures, CREDENTIAL_DEFAULTS.deviceFailures);
  const ipDistinct = windowLimit(options.ipDistinctUsernames, CREDENTIAL_DEFAULTS.ipDistinctUsernames);
  const deviceDistinct = windowLimit(options.deviceDistinctUsernames, CREDENTIAL_DEFAULTS.deviceDistinctUsernames);
  const successStatuses = options.successStatuses ? new Set(options.successStatuses) : undefined;
  const failureStatuses = new Set(options.failureStatuses ?? CREDENTIAL_DEFAULTS.failureStatuses);
  // Only the distinct-username limits write block keys; the failure budgets refuse through their own counters.
  const checksIpBlock = ipDistinct !== undefined;
  const checksDeviceBlock = deviceDistinct !== undefined;
  if (!isAttemptStore(store)) {
    throw new TypeError(
      'credentials needs a store with reserveAttempt, settleAttempt, reserveMember and removeMember (MemoryStore and RedisStore have them)',
    );
  }
  const counters = new LoginCounters(store, {
    consecutive,
    ipFailures,
    deviceFailures,
    ipDistinct,
    deviceDistinct,
    holdMs: (options.holdSeconds ?? CREDENTIAL_DEFAULTS.holdSeconds) * 1000,
  });

  let breached: { checker: BreachedPasswordChecker; failOpen: boolean; minCount: number } | undefined;
  if (options.breachedPassword) {
    const bp = options.breachedPassword === true ? {} : options.breachedPassword;
    breached = {
      checker: deps.breachedPasswordChecker ?? new BreachedPasswordChecker(bp),
      failOpen: bp.failOpen ?? CREDENTIAL_DEFAULTS.breachedPassword.failOpen,
      minCount: bp.minCount ?? CREDENTIAL_DEFAULTS.breachedPassword.minCount,
    };
  }

  // Route options arrive per request, but each route's object is built once: compile it once too.
  const compiled = new WeakMap<object, CompiledLogin>();
  function compile(login: NonNullable<CredentialRouteOptions['login']>): CompiledLogin {
    let result = compiled.get(login);
    if (result !== undefined) return result;
    const bindingOption = login.binding ?? options.binding ?? false;
    let binding: CompiledLogin['binding'];
    if (bindingOption !== false) {
      const b: LoginBindingOptions = bindingOption === true ? {} : bindingOption;
      const fields: readonly FieldSource[] = b.fields ?? [login.username];
      binding = { claim: b.claim ?? CREDENTIAL_DEFAULTS.bindingClaim, fields: fields.map(compileFieldSource) };
    }
    result = {
      username: compileFieldSource(login.username),
      ...(login.password !== undefined ? { password: compileFieldSource(login.password) } : {}),
      ...(binding ? { binding } : {}),
    };
    compiled.set(login, result);
    return result;
  }

  // Trimmed, cut, then folded (see normaliseUsername): a login and a reset key one username alike.
  const normalise = (raw: string): string | undefined => normaliseUsername(raw, folding);

  function bindingHolds(binding: NonNullable<CompiledLogin['binding']>, ctx: VerifierContext, body: unknown): boolean {
    const claim = ctx.attestation?.claims[binding.claim];
    if (typeof claim !== 'string') return false;
    // One field: its value as sent. Several: joined with a line feed (a value holding one never matches), so
    // ("ab", "c") and ("a", "bc") can never hash alike.
    let material = '';
    for (let i = 0; i < binding.fields.length; i++) {
      const value = (binding.fields[i] as FieldReader)(ctx.request, body);
      if (value === undefined || value === null) return false;
      if (binding.fields.length > 1 && (value.includes('\n') || value.includes('\r'))) return false;
      material = i === 0 ? value : `${material}\n${value}`;
    }
    const presented = decodeDigest(claim, 'base64');
    return presented !== undefined && digestMatches(presented, material);
  }

  const knownBlocks = new KnownBlocks();

  /** The refusal for a login whose IP key or device is blocked until `ipUntil`/`deviceUntil`, or undefined. */
  function blockRefusal(ipUntil: number, deviceUntil: number, now: number): VerifierOutcome | undefined {
    const abuseUntil = Math.max(ipUntil, deviceUntil);
    if (abuseUntil <= now) return undefined;
    const byIp = ipUntil >= deviceUntil;
    const retryAfter = Math.max(1, Math.ceil((abuseUntil - now) / 1000));
    const limit = (byIp ? ipDistinct : deviceDistinct)!;
    return {
      outcome: 'deny',
      code: 'credential_abuse',
      detail: byIp ? 'ip key over its distinct-username budget' : 'device over its distinct-username budget',
      retryAfter,
      ...(rateLimitHeaders
        ? { rateLimit: quotaInfo({ policy: byIp ? 'ip-usernames' : 'device-usernames', limit: limit.limit, windowSeconds: limit.windowSeconds }, retryAfter) }
        : {}),
    };
  }

  /**
   * For a login from a source known here as blocked: the blocks read alone, and the refusal while they hold. Any
   * other answer (lifted, or a read failed) forgets the markers and leaves the decision to the ordinary path.
   */
  async function refuseKnownBlock(attempt: LoginAttempt, ctx: VerifierContext): Promise<VerifierOutcome | undefined> {
    const [ipBlock, deviceBlock] = await Promise.allSettled([
      checksIpBlock ? store.get(attempt.ipBlockKey) : undefined,
      checksDeviceBlock && attempt.deviceBlockKey ? store.get(attempt.deviceBlockKey) : undefined,
    ]);
    const now = ctx.now;
    const ipUntil = ipBlock.status === 'fulfilled' ? untilOf(ipBlock.value) : 0;
    const deviceUntil = deviceBlock.status === 'fulfilled' ? untilOf(deviceBlock.value) : 0;
    const refusal = blockRefusal(ipUntil, deviceUntil, now);
    if (refusal === undefined) {
      knownBlocks.forget(attempt);
      return undefined;
    }
    knownBlocks.remember(attempt, ipUntil, deviceUntil, now);
    // As on the ordinary path after its releases: monitor mode lets the attempt reach the app, and its failure counts.
    keep(ctx, attempt);
    return refusal;
  }

  /** Keeps the attempt for `onResponse`, or settles it now when the request has ended already (see EndedFirst). */
  function keep(ctx: VerifierContext, attempt: LoginAttempt): void {
    const ended = ctx.memo.get(MEMO_KEY);
    if (ended instanceof EndedFirst) settle(attempt, ended.outcome, ctx.now).catch(() => undefined);
    else ctx.memo.set(MEMO_KEY, attempt);
  }

  function untilOf(value: string | undefined): number {
    if (value === undefined) return 0;
    const n = Number(value);
    return Number.isFinite(n) ? n : 0;
  }

  async function verify(ctx: VerifierContext): Promise<VerifierOutcome> {
    const login = loginOf(ctx.route);
    if (login === undefined) return { outcome: 'skip' };
    if (skip !== undefined && (await skip(ctx.request)) === true) return { outcome: 'skip', detail: 'skipped by credentials.skip' };
    // A route with `token: false` opted out of the token check: its logins are judged without one (username + IP
    // and IP counters; device counters need the token's device id). Anywhere else a login needs a verified token.
    const tokenless = ctx.route.token === false;
    if (ctx.attestation === undefined && !tokenless) {
      return { outcome: 'deny', code: 'token_missing', detail: 'login requires a verified attestation token' };
    }
    const route = compile(login);
    if (route.binding && ctx.attestation === undefined) {
      return { outcome: 'deny', code: 'token_missing', detail: 'login binding needs a token, but the route has token: false' };
    }
    const body = await ctx.body();
    // Every configured credential field that is present must be a string: a skipped non-string username would
    // escape its lock (the application reads ["alice"] as "alice"), so it is refused, not ignored.
    const rawUsername = route.username(ctx.request, body);
    const password = route.password?.(ctx.request, body);
    if (rawUsername === null || password === null || (route.binding && route.binding.fields.some((f) => f(ctx.request, body) === null))) {
      return { outcome: 'deny', code: 'payload_malformed', detail: 'a credential field is present but not a string' };
    }
    if (route.binding && !bindingHolds(route.binding, ctx, body)) {
      const code = deps.genericTokenErrors === true ? 'token_invalid' : 'token_binding_mismatch';
      return { outcome: 'deny', code, detail: 'login token not bound to these credentials' };
    }
    const username = rawUsername === undefined ? undefined : normalise(rawUsername);
    const ipKey = ipResolver.aggregationKey(ctx.ip);
    const deviceId = ctx.attestation === undefined ? undefined : deviceIdOf(ctx.attestation.claims, deviceClaims);
    const device = deviceId === undefined ? undefined : digestKey(deviceId);
    // A login without a username counts too, under a key of its own, so leaving the field out is no way around it.
    const user = username === undefined ? ABSENT_USERNAME : digestKey(username);
    const attempt = new LoginAttempt(prefix, user, ipKey, device);
    // A re-check of the same request (a route-level check changing the login options) replaces the attempt it
    // reserved before: free those slots first, so one request never holds two.
    const previous = ctx.memo.get(MEMO_KEY);
    if (previous instanceof LoginAttempt) {
      ctx.memo.delete(MEMO_KEY);
      // Not awaited: issued before the new reservations, so the store runs it first (one connection, in order).
      counters.release(previous).catch(() => undefined);
    }

    if ((checksIpBlock && knownBlocks.holds(attempt.ipBlockKey, ctx.now)) || (checksDeviceBlock && knownBlocks.holds(attempt.deviceBlockKey, ctx.now))) {
      const refused = await refuseKnownBlock(attempt, ctx);
      if (refused !== undefined) return refused;
    }

    let refusal: Refusal | undefined;
    try {
      // One round trip: the block reads and every reservation are issued together, awaited together.
      const ipBlockP = checksIpBlock ? store.get(attempt.ipBlockKey) : undefined;
      const deviceBlockP = checksDeviceBlock && attempt.deviceBlockKey ? store.get(attempt.deviceBlockKey) : undefined;
      const reserveP = counters.reserve(attempt);
      const [ipBlock, deviceBlock, reserved] = await Promise.allSettled([ipBlockP, deviceBlockP, reserveP]);
      // What the store did answer decides first: a block or a refusal it reported stands even when another of the
      // reads failed, so `failOpen` only ever passes a request nothing known refuses.
      const ipUntil = ipBlock.status === 'fulfilled' ? untilOf(ipBlock.value) : 0;
      const deviceUntil = deviceBlock.status === 'fulfilled' ? untilOf(deviceBlock.value) : 0;
      const blocked = blockRefusal(ipUntil, deviceUntil, ctx.now);
      if (blocked !== undefined) {
        // Blocked: the slots just taken are freed (not awaited: no second round trip on the request path).
        if (reserved.status === 'fulfilled') {
          counters.release(attempt).catch(() => undefined);
          keep(ctx, attempt); // monitor mode: the attempt still reaches the app, and its failure counts
        }
        knownBlocks.remember(attempt, ipUntil, deviceUntil, ctx.now);
        return blocked;
      }
      if (reserved.status === 'rejected') throw reserved.reason;
      refusal = reserved.value;
      const failedRead = ipBlock.status === 'rejected' ? ipBlock : deviceBlock.status === 'rejected' ? deviceBlock : undefined;
      // A block read failed and the reservations refused nothing: undecidable, so the slots go back and it throws.
      if (failedRead !== undefined && refusal === undefined) {
        counters.release(attempt).catch(() => undefined);
        throw failedRead.reason;
      }
    } catch (error) {
      if (!failOpen) throw error;
      return { outcome: 'pass', detail: 'store unavailable; failing open' };
    }
    keep(ctx, attempt);
    if (refusal) {
      const retryAfter = Math.max(1, Math.ceil(refusal.retryAfterMs / 1000));
      return {
        outcome: 'deny',
        code: refusal.code,
        detail: refusal.detail,
        retryAfter,
        ...(rateLimitHeaders ? { rateLimit: quotaInfo(refusal.quota, retryAfter) } : {}),
      };
    }

    if (breached && password !== undefined && password.length > 0) {
      let count: number;
      try {
        count = await breached.checker.breachCount(password);
      } catch (error) {
        if (!breached.failOpen) {
          await counters.release(attempt).catch(() => undefined);
          throw error;
        }
        return { outcome: 'pass', detail: 'breached-password lookup unavailable; failing open' };
      }
      if (count >= breached.minCount) {
        // Not a failed login: the slot is freed now (the deny may never be reported back).
        await counters.release(attempt).catch(() => undefined);
        return { outcome: 'deny', code: 'password_breached', detail: 'password appears in known breaches' };
      }
    }
    return PASS;
  }

  function classify(outcome: RequestOutcome): 'success' | 'failure' | undefined {
    if (outcome === 'success' || outcome === 'failure') return outcome;
    // The shield answered the request itself (another verifier denied it): no credential was tried.
    if (outcome === 'refused') return undefined;
    if (successStatuses ? successStatuses.has(outcome) : outcome >= 200 && outcome < 300) return 'success';
    if (failureStatuses.has(outcome)) return 'failure';
    return undefined;
  }

  async function onResponse(ctx: VerifierContext, outcome: RequestOutcome): Promise<void> {
    const attempt = ctx.memo.get(MEMO_KEY);
    if (!(attempt instanceof LoginAttempt)) {
      // No attempt kept (yet): a verify still pending settles what it reserves with this outcome (see EndedFirst).
      if (attempt === undefined) ctx.memo.set(MEMO_KEY, new EndedFirst(outcome));
      return;
    }
    // Taken once per request whatever calls us (status and an explicit report).
    ctx.memo.delete(MEMO_KEY);
    await settle(attempt, outcome, ctx.now);
  }

  async function settle(attempt: LoginAttempt, outcome: RequestOutcome, now: number): Promise<void> {
    const result = classify(outcome);
    // Settle: a failure keeps its slot as a failure, a success resets the streak, anything else frees the slot.
    if (result === 'success') await counters.succeed(attempt);
    else if (result === 'failure') await counters.fail(attempt, now);
    else await counters.release(attempt);
  }

  const verifier: Verifier = {
    name: 'credential-abuse',
    stage: 'body',
    ...(options.mode !== undefined ? { mode: options.mode } : {}),
    ...(failOpen ? { failOpen: true } : {}),
    appliesTo: (route) => loginOf(route) !== undefined,
    sensitiveHeaders: (route) => {
      const login = loginOf(route);
      if (login === undefined) return [];
      const binding = login.binding ?? options.binding;
      const sources = [login.username, login.password, ...(typeof binding === 'object' ? (binding.fields ?? []) : [])];
      return sources.flatMap((source) => (typeof source === 'string' && source.startsWith('header.') ? [source.slice(7)] : []));
    },
    verify,
    onResponse,
  };

  async function reset(target: unknown): Promise<{ cleared: CredentialCounterName[]; ipKey?: string }> {
    const parsed = parseResetTarget(target);
    const username = parsed.username === undefined ? undefined : normalise(parsed.username);
    if (parsed.username !== undefined && username === undefined) throw new TypeError('credentials.reset: username is empty once normalised');
    const ipKey = parsed.ip === undefined ? undefined : ipResolver.aggregationKey(parsed.ip);
    const cleared = await counters.reset(prefix, {
      ...(username !== undefined ? { user: digestKey(username) } : {}),
      ...(ipKey !== undefined ? { ipKey } : {}),
      ...(parsed.device !== undefined ? { device: digestKey(parsed.device) } : {}),
    });
    return { cleared: cleared as CredentialCounterName[], ...(ipKey !== undefined ? { ipKey } : {}) };
  }

  return { verifier, api: { reset } };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** A refused counter as the `RateLimit` fields describe it: nothing remaining until `Retry-After`. */
function quotaInfo(quota: { policy: string; limit: number; windowSeconds: number }, retryAfter: number): RateLimitInfo {
  return { policy: quota.policy, limit: quota.limit, windowSeconds: quota.windowSeconds, remaining: 0, resetSeconds: retryAfter };
}
