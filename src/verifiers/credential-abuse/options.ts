import * as z from 'zod/mini';
import type { Mode } from '../../core/route-options.js';
import type { ShieldRequest } from '../../core/request.js';
import { httpUrlStringSchema } from '../../core/schemas.js';
import { fieldSourceProblem, type FieldSource } from './field-source.js';

/** A counter threshold: reaching `limit` within `windowSeconds` blocks. `false` turns the counter off. */
export interface WindowLimit {
  limit: number;
  windowSeconds: number;
}

/** Consecutive failures per username + IP key, and the exponential-backoff lock they trigger. */
export interface ConsecutiveFailureLimit {
  /** Failures in a row (no success between) that lock the username on that IP key. Default 5. */
  limit: number;
  /** Lock after the `limit`-th failure; doubled with every further failure. Default 60. */
  lockSeconds: number;
  /** The longest lock. Default 3600. */
  maxLockSeconds: number;
  /** How long failures are remembered without a new one (the counter's fixed window). Default 86400. */
  windowSeconds: number;
}

/**
 * The consecutive-failure limit with a longest lock never shorter than the first: `maxLockSeconds` caps the backoff,
 * never the lock configured as `lockSeconds` (`lockSeconds: 7200` alone, under the default `maxLockSeconds: 3600`,
 * locked for one hour instead of two). The config schema refuses both given the other way round.
 */
export function withFirstLockKept(limit: ConsecutiveFailureLimit): ConsecutiveFailureLimit {
  return limit.maxLockSeconds >= limit.lockSeconds ? limit : { ...limit, maxLockSeconds: limit.lockSeconds };
}

/**
 * Token binding for logins, where no Authorization header exists yet: the attestation claim (default `pay`) must be
 * base64 SHA-256 of the UTF-8 value of these fields (default: the route's username source; several fields are joined
 * with a line feed), so a token minted for one account cannot be used to try another.
 */
export interface LoginBindingOptions {
  claim?: string;
  fields?: readonly FieldSource[];
}

/** Have I Been Pwned range-API check of the password a login submits. */
export interface BreachedPasswordOptions {
  /** Base URL of the range API. Default `https://api.pwnedpasswords.com`. */
  baseUrl?: string;
  /** Milliseconds before a lookup is abandoned. Default 1500. */
  timeoutMs?: number;
  /** When the API cannot be reached: `true` lets the login through (default), `false` denies 503. */
  failOpen?: boolean;
  /** Breach count from which a password is refused. Default 1. */
  minCount?: number;
  /** Prefix responses cached (each about 20-40 KB). Default 256. */
  cacheEntries?: number;
  /** How long a prefix response is cached. Default 3,600,000 (1 hour). */
  cacheTtlMs?: number;
}

/** Options of the credential-abuse verifier, at the shield config key `credentials`. */
export interface CredentialAbuseOptions {
  /** This verifier's mode, over the shield's. */
  mode?: Mode;
  /** When the store cannot answer: `true` lets logins through unchecked; default `false` denies 503. */
  failOpen?: boolean;
  /** Prefix of every store key this verifier writes. Default `ca:`. */
  keyPrefix?: string;
  /**
   * Requests this verifier leaves alone (no checks, nothing counted), e.g. an internal health probe that logs in
   * with a test account. Called before the body is read; a predicate that throws fails the request closed.
   */
  skip?: (request: ShieldRequest) => boolean | Promise<boolean>;
  /**
   * Send the IETF `RateLimit` and `RateLimit-Policy` fields (draft-ietf-httpapi-ratelimit-headers) on credential 429s,
   * next to `Retry-After`, naming the counter that refused. Default false: they tell a client which budget it spent.
   */
  rateLimitHeaders?: boolean;
  /**
   * Treat `Alice@x` and `alice@x` as different accounts. Default false: usernames are trimmed, folded (see
   * `accentSensitiveUsernames`) and lower-cased before counting.
   */
  caseSensitiveUsernames?: boolean;
  /**
   * Treat `álice@x` and `alice@x` as different accounts: set it only when your account store compares usernames
   * accent-sensitively (a binary or `_as_` collation, or exact string equality). Default false: diacritics are folded
   * (NFKD, combining marks dropped, `ø`/`ł`/`đ`/`ħ`/`ŧ` read as their base letter, NFKC), as an accent-insensitive
   * collation compares (MySQL's default utf8mb4_0900_ai_ci, SQL Server's `_AI`), so guesses spread over `alice`,
   * `álice`, `ålice`... count against one username. With `true`, NFKC alone.
   */
  accentSensitiveUsernames?: boolean;
  /**
   * Token claims naming the device, first present wins: a non-empty string of at most 1,024 characters, or a safe
   * integer (read as its decimal string); any other value is read as missing. Default `['did']`. Add `'sub'` only when your attestation
   * service puts a per-device value there (Firebase App Check's `sub` is the app id, shared by every device).
   */
  deviceClaims?: readonly string[];
  /** Login token binding (see {@link LoginBindingOptions}); `true` = defaults. Default false. */
  binding?: boolean | LoginBindingOptions;
  /** Consecutive failures per username + IP key → `login_locked`. */
  consecutiveFailures?: Partial<ConsecutiveFailureLimit> | false;
  /** Failures per IP key per window → `credential_abuse`. Default 100 per day. */
  ipFailures?: Partial<WindowLimit> | false;
  /** Failures per device per window → `credential_abuse`. Default 20 per day. */
  deviceFailures?: Partial<WindowLimit> | false;
  /** Distinct usernames failing per IP key per window → `credential_abuse`. Default 20 per hour. */
  ipDistinctUsernames?: Partial<WindowLimit> | false;
  /** Distinct usernames failing per device per window → `credential_abuse`. Default 5 per hour. */
  deviceDistinctUsernames?: Partial<WindowLimit> | false;
  /** Response statuses that count as a successful login. Default: every 2xx. */
  successStatuses?: readonly number[];
  /** Response statuses that count as a failed login. Default `[401, 403]`. */
  failureStatuses?: readonly number[];
  /** Check submitted passwords against Have I Been Pwned (needs `login.password` on the route). Default off. */
  breachedPassword?: boolean | BreachedPasswordOptions;
  /**
   * Seconds a login attempt holds its counter slots while its outcome is unknown; an attempt never settled (a
   * crashed process, a response never reported) frees them after this. Default 60.
   */
  holdSeconds?: number;
}

/** Per-route options at `RouteOptions.credentials`. */
export interface CredentialRouteOptions {
  login?: {
    /** Where the username is: `'body.email'`, `'header.x-user'` or a function. */
    username: FieldSource;
    /** Where the password is, for the breached-password check. */
    password?: FieldSource;
    /** Login binding for this route, over the global `binding`. */
    binding?: boolean | LoginBindingOptions;
  };
}

const fieldSourceSchema = z.union([
  z.string().check(z.superRefine((value, ctx) => {
    const problem = fieldSourceProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  })),
  z.custom<(request: ShieldRequest, body: unknown) => string | undefined>(
    (v) => typeof v === 'function',
    'must be a function',
  ),
]);

const seconds = z.number().check(z.int(), z.positive(), z.maximum(31_536_000));
const windowLimitSchema = z.union([
  z.literal(false),
  z.strictObject({ limit: z.optional(z.number().check(z.int(), z.positive(), z.maximum(1_000_000))), windowSeconds: z.optional(seconds) }),
]);
/**
 * Distinct-username limits stay at or below 1,000: the stores keep bounded exact sets that saturate at
 * `maxSetMembers` (default 1,024), so a larger limit could never be reached.
 */
const distinctLimitSchema = z.union([
  z.literal(false),
  z.strictObject({ limit: z.optional(z.number().check(z.int(), z.positive(), z.maximum(1000))), windowSeconds: z.optional(seconds) }),
]);
const bindingSchema = z.union([
  z.boolean(),
  z.strictObject({ claim: z.optional(z.string().check(z.minLength(1))), fields: z.optional(z.array(fieldSourceSchema).check(z.minLength(1))) }),
]);
const statusList = z.array(z.number().check(z.int(), z.minimum(100), z.maximum(599)));

/** Zod schema of {@link CredentialAbuseOptions} (the shield config key `credentials`). */
export const credentialAbuseOptionsSchema = z.strictObject({
    mode: z.optional(z.enum(['enforce', 'monitor'])),
    failOpen: z.optional(z.boolean()),
    keyPrefix: z.optional(z.string().check(z.maxLength(64))),
    rateLimitHeaders: z.optional(z.boolean()),
    skip: z.optional(z.custom<(request: ShieldRequest) => boolean | Promise<boolean>>((v) => typeof v === 'function', 'must be a function')),
    caseSensitiveUsernames: z.optional(z.boolean()),
    accentSensitiveUsernames: z.optional(z.boolean()),
    deviceClaims: z.optional(z.array(z.string().check(z.minLength(1)))),
    binding: z.optional(bindingSchema),
    consecutiveFailures: z.optional(
      z.union([
        z.literal(false),
        z.strictObject({
            limit: z.optional(z.number().check(z.int(), z.positive(), z.maximum(1000))),
            lockSeconds: z.optional(seconds),
            maxLockSeconds: z.optional(seconds),
            windowSeconds: z.optional(seconds),
          }).check(
            // Both given and contradictory: neither can be honoured, so it is refused rather than one silently cut.
            z.refine((c) => c.lockSeconds === undefined || c.maxLockSeconds === undefined || c.maxLockSeconds >= c.lockSeconds, {
              message: 'must be at least lockSeconds (the first lock)',
              path: ['maxLockSeconds'],
            }),
          ),
      ])),
    ipFailures: z.optional(windowLimitSchema),
    deviceFailures: z.optional(windowLimitSchema),
    ipDistinctUsernames: z.optional(distinctLimitSchema),
    deviceDistinctUsernames: z.optional(distinctLimitSchema),
    successStatuses: z.optional(statusList),
    failureStatuses: z.optional(statusList),
    holdSeconds: z.optional(z.number().check(z.int(), z.positive(), z.maximum(3600))),
    breachedPassword: z.optional(
      z.union([
        z.boolean(),
        z.strictObject({
            baseUrl: z.optional(httpUrlStringSchema),
            timeoutMs: z.optional(z.number().check(z.int(), z.positive(), z.maximum(30_000))),
            failOpen: z.optional(z.boolean()),
            minCount: z.optional(z.number().check(z.int(), z.positive())),
            cacheEntries: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(100_000))),
            cacheTtlMs: z.optional(z.number().check(z.int(), z.positive())),
          }),
      ])),
  });

/** Zod schema of {@link CredentialRouteOptions} (route option key `credentials`, or `false`). */
export const credentialRouteOptionsSchema = z.union([
  z.literal(false),
  z.strictObject({
      login: z.optional(z.strictObject({
          username: fieldSourceSchema,
          password: z.optional(fieldSourceSchema),
          binding: z.optional(bindingSchema),
        })),
    }),
]);

/** The documented defaults, in one place (the defaults table of docs/credential-abuse.md mirrors this). */
export const CREDENTIAL_DEFAULTS = {
  keyPrefix: 'ca:',
  deviceClaims: ['did'] as readonly string[],
  bindingClaim: 'pay',
  consecutiveFailures: { limit: 5, lockSeconds: 60, maxLockSeconds: 3600, windowSeconds: 86_400 },
  ipFailures: { limit: 100, windowSeconds: 86_400 },
  deviceFailures: { limit: 20, windowSeconds: 86_400 },
  ipDistinctUsernames: { limit: 20, windowSeconds: 3600 },
  deviceDistinctUsernames: { limit: 5, windowSeconds: 3600 },
  failureStatuses: [401, 403] as readonly number[],
  holdSeconds: 60,
  breachedPassword: {
    baseUrl: 'https://api.pwnedpasswords.com',
    timeoutMs: 1500,
    failOpen: true,
    minCount: 1,
    cacheEntries: 256,
    cacheTtlMs: 3_600_000,
  },
} as const;
