import type { X509Certificate } from 'node:crypto';
import * as z from 'zod/mini';
import { clientIpOptionsSchema, type ClientIpOptions } from '../../core/client-ip.js';
import { storeSchema } from '../../core/schemas.js';
import type { Store } from '../../stores/store.js';
import type { PlayIntegrityOptions } from '../play-integrity/verifier.js';
import type { DeviceLevel } from '../play-integrity/payload.js';
import type { IssuedDeviceVerdict } from './claims.js';
import { DEFAULT_CALL_TIMEOUT_MS, MAX_CALL_TIMEOUT_MS } from './deadlines.js';
import type { SigningKeyInput } from './key-ring.js';

/**
 * What a policy sees: the verdict, and the request's client IP. Returning `true` or nothing approves; a string (the
 * reason, for logs) or `false` refuses the token, and so does any other value (`null`, a number from JavaScript code).
 */
export type AttestationPolicy = (
  verdict: IssuedDeviceVerdict,
  context: { ip: string },
) => boolean | string | undefined | Promise<boolean | string | undefined>;

/** Something the service refused or could not decide, for logs and metrics. Never holds evidence or tokens. */
export interface AttestationServiceEvent {
  route: string;
  outcome: 'issued' | 'registered' | 'refused' | 'error';
  /** Why (a stable reason such as `challenge_invalid`, `nonce_mismatch`, `counter_not_increasing`). */
  reason?: string;
  platform?: 'android' | 'ios';
  ip: string;
}

const windowLimit = z.strictObject({ limit: z.number().check(z.int(), z.positive()), windowMs: z.number().check(z.int(), z.positive()) });
const time = z.union([z.number(), z.date(), z.string().check(z.minLength(1))]);
const fn = <T>(what: string) => z.custom<T>((v) => typeof v === 'function', `${what} must be a function`);

/** Zod schema of {@link AttestationServiceOptions}. */
export const attestationServiceOptionsSchema = z.strictObject({
    signingKeys: z
      .array(
        z.strictObject({
            kid: z.string().check(z.regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 characters of [A-Za-z0-9._-]')),
            privateKey: z.union([z.string().check(z.minLength(1)), z.looseObject({ kty: z.string() }), z.custom<object>((v) => typeof v === 'object' && v !== null)]),
            activeFrom: z.optional(time),
            retiredAt: z.optional(time),
          }),
      ).check(z.minLength(1)),
    issuer: z.string().check(z.minLength(1)),
    audience: z.union([z.string().check(z.minLength(1)), z.array(z.string().check(z.minLength(1))).check(z.minLength(1))]),
    /** Token lifetime in seconds. Default 300. */
    tokenTtl: z._default(z.number().check(z.int(), z.minimum(10), z.maximum(86_400)), 300),
    /** Clock skew allowed to verifiers, in seconds: retired keys stay published this much longer. Default 60. */
    clockSkew: z._default(z.number().check(z.int(), z.minimum(0), z.maximum(3_600)), 60),
    /** The current signed pin-set version (a number, or a function such as `() => publisher.version`: a getter, not a method). */
    pinSetVersion: z.optional(z.union([z.number().check(z.int(), z.minimum(0)), z.custom<() => number>((v) => typeof v === 'function', 'must be a number or a function')])),
    android: z.optional(
      z.custom<PlayIntegrityOptions>(
        (v) => typeof v === 'object' && v !== null && typeof (v as { packageName?: unknown }).packageName === 'string',
        'must be Play Integrity options with a packageName',
      )),
    ios: z.optional(z.strictObject({
        teamId: z.string().check(z.regex(/^[A-Z0-9]{10}$/, 'must be a 10-character Apple Team ID')),
        bundleId: z.string().check(z.minLength(1), z.maxLength(256)),
        environment: z.enum(['development', 'production']),
        trustAnchor: z.optional(z.union([z.string().check(z.minLength(1)), z.custom<X509Certificate>((v) => typeof v === 'object' && v !== null && 'fingerprint256' in v)])),
        /** Device levels a verified App Attest key vouches for. Default MEETS_DEVICE_INTEGRITY. */
        level: z._default(z.enum(['MEETS_STRONG_INTEGRITY', 'MEETS_DEVICE_INTEGRITY', 'MEETS_BASIC_INTEGRITY']), 'MEETS_DEVICE_INTEGRITY'),
        keyTtlMs: z.optional(z.number().check(z.int(), z.positive())),
        /** Device-verifier conditions to issue tokens for anyway. Default none: such evidence is refused. */
        allow: z.optional(z.array(z.enum(['unexpectedDistribution', 'macAccessControlWeak']))),
      })),
    store: storeSchema,
    policy: z.optional(fn<AttestationPolicy>('policy')),
    /** Deadline of each `policy` and Store call, in ms. Default 3 000. */
    callTimeoutMs: z._default(z.number().check(z.int(), z.positive(), z.maximum(MAX_CALL_TIMEOUT_MS)), DEFAULT_CALL_TIMEOUT_MS),
    /** Path prefix of the attestation routes. Default `/attest`. */
    prefix: z._default(z.string().check(z.regex(/^(\/[A-Za-z0-9._~-]+)*$/, 'must be a path like /attest (no trailing slash)')), '/attest'),
    jwksPath: z._default(z.string().check(z.regex(/^(\/[A-Za-z0-9._~-]+)+$/)), '/.well-known/jwks.json'),
    /** `max-age` of the JWKS response, in seconds. Default 300. */
    jwksMaxAge: z._default(z.number().check(z.int(), z.minimum(0), z.maximum(86_400)), 300),
    /** How long a challenge may be redeemed, in ms. Default 120 000. */
    challengeTtlMs: z._default(z.number().check(z.int(), z.minimum(1_000), z.maximum(3_600_000)), 120_000),
    /** Store key prefix (challenges, registered keys, counters, rate limits). Default `mas:attest:`. */
    keyPrefix: z._default(z.string().check(z.minLength(1), z.maxLength(64)), 'mas:attest:'),
    rateLimits: z._default(z.strictObject({ ip: z._default(windowLimit, { limit: 60, windowMs: 60_000 }), device: z._default(windowLimit, { limit: 20, windowMs: 60_000 }) }), { ip: { limit: 60, windowMs: 60_000 }, device: { limit: 20, windowMs: 60_000 } }),
    /** Largest request body, in bytes. Default 64 KiB (an App Attest attestation object is a few KiB). */
    maxBodyBytes: z._default(z.number().check(z.int(), z.minimum(1_024), z.maximum(1_048_576)), 65_536),
    /** How the client IP is resolved behind proxies (same options as the shield's). */
    clientIp: z.optional(clientIpOptionsSchema),
    onEvent: z.optional(fn<(event: AttestationServiceEvent) => void>('onEvent')),
  }).check(z.refine((o) => o.android !== undefined || o.ios !== undefined, { message: 'configure android, ios or both', path: [] }));

/** Options of `createAttestationService`. Defaults and ranges are those of {@link attestationServiceOptionsSchema}. */
export interface AttestationServiceOptions {
  /** Signing keys (EC P-256) with their rotation schedule; see docs/attestation-service.md, key rotation. */
  signingKeys: readonly SigningKeyInput[];
  /** `iss` of issued tokens. */
  issuer: string;
  /** `aud` of issued tokens. */
  audience: string | readonly string[];
  /** Token lifetime in seconds (10 to 86 400). Default 300. */
  tokenTtl?: number;
  /**
   * Clock skew allowed to verifiers, in seconds (0 to 3 600): retired keys stay published this much longer.
   * Default 60.
   */
  clockSkew?: number;
  /**
   * The current signed pin-set version. When set, a token request may say which pin-set version the app holds
   * (`pinSetVersion`, inside the signed client data) and the token carries it as `psv`, the claim the shield's
   * `channel` verifier compares with `minPinSetVersion`; a version above the current one is refused as invalid. A
   * function is read on every token request; one that gives anything but a non-negative integer fails closed (503).
   */
  pinSetVersion?: number | (() => number);
  /**
   * Play Integrity verification (local keys or a decoder) for `POST {prefix}/android`. Its `requirements` apply
   * before the `policy` is asked, with defaults `deviceLevel: 'MEETS_DEVICE_INTEGRITY'` and `appRecognized: true`:
   * a verdict below the level, or not `PLAY_RECOGNIZED`, is refused 401 `attestation_invalid` (`onEvent` reason
   * `device_integrity_insufficient` / `app_unrecognized`) and never reaches the policy. For a policy that decides
   * such verdicts itself, set `requirements: { deviceLevel: 'none', appRecognized: false }`.
   */
  android?: PlayIntegrityOptions;
  /** App Attest registration and assertions for `POST {prefix}/ios/register` and `/ios/token`. */
  ios?: {
    /** Apple Developer Team ID: 10 characters of `A-Z0-9`. With `bundleId` it forms the app id `TEAMID.bundleId`. */
    teamId: string;
    /** The app's bundle id (1 to 256 characters). */
    bundleId: string;
    /**
     * The App Attest environment of the app's entitlement (`com.apple.developer.devicecheck.appattest-environment`):
     * a key attested in the other environment is refused at registration (401 `attestation_invalid`).
     */
    environment: 'development' | 'production';
    /** Overrides Apple's App Attestation Root CA (tests: `createAppAttestSimulator().trustAnchor`). */
    trustAnchor?: string | X509Certificate;
    /**
     * Device level a verified App Attest key vouches for: the token's `dev.levels` (lower levels implied), which the
     * `policy` and the shield's device policy read. App Attest cannot detect a jailbreak, so this is a statement you
     * choose, not one Apple makes. Default `MEETS_DEVICE_INTEGRITY`.
     */
    level?: Exclude<DeviceLevel, 'MEETS_VIRTUAL_INTEGRITY'>;
    /**
     * How long a registered key (its record, assertion counter and receipt) is kept in the store, in ms (a positive
     * integer). Default 400 days. Once it lapses, `/ios/token` answers 401 `attestation_key_unknown` and the client
     * registers a new key.
     */
    keyTtlMs?: number;
    /**
     * Evidence the device verifier denies by default, to issue tokens for anyway (the service's `policy` still
     * sees `verdict.apple`). By default the token route refuses it with 403 `device_untrusted`: an iOS 27+ assertion
     * from a build outside the App Store and TestFlight (`unexpectedDistribution`; a development build on a
     * `development` service is expected), and a macOS key without Apple's full-security access-control policy
     * (`macAccessControlWeak`). A token cannot carry these facts, so a shield reading it could not deny them itself.
     */
    allow?: readonly ('unexpectedDistribution' | 'macAccessControlWeak')[];
  };
  /** Shared state: challenges, registered keys, assertion counters, rate limits. `RedisStore` for a fleet. */
  store: Store;
  /**
   * Last say before a token is issued (e.g. refuse a level, an app id, a signal): see {@link AttestationPolicy}; a
   * refusal is 403 `device_untrusted`. It sees only verdicts that passed verification, `android.requirements`
   * included. Default: none (every verified verdict gets a token).
   */
  policy?: AttestationPolicy;
  /**
   * Deadline of each call to `policy` and to the `store`, in ms (1 to 60 000): a call still pending then fails the
   * request with 503 `shield_unavailable` (`onEvent`: outcome `error`, reason `policy_timeout` or `store_timeout`),
   * never a hang. On the JWKS route a store that times out only skips the rate limit. Default 3 000.
   */
  callTimeoutMs?: number;
  /**
   * Path prefix of the attestation routes (`{prefix}/challenge`, `/android`, `/ios/register`, `/ios/token`): slash-
   * separated segments of `A-Za-z0-9._~-`, no trailing slash; `''` serves them at the root. Default `/attest`.
   */
  prefix?: string;
  /**
   * Path of the JWKS route (`GET`), not under `prefix`: one or more segments, no trailing slash. Default
   * `/.well-known/jwks.json`.
   */
  jwksPath?: string;
  /** `max-age` of the JWKS response, in seconds (0 to 86 400). Default 300. */
  jwksMaxAge?: number;
  /** How long a challenge may be redeemed, in ms (1 000 to 3 600 000). Default 120 000. */
  challengeTtlMs?: number;
  /**
   * Prefix of every key the service writes to `store` (challenges `{keyPrefix}chal:`, App Attest keys
   * `{keyPrefix}appattest:`, rate limits `{keyPrefix}rl:`), 1 to 64 characters; give each service sharing a store
   * its own. Default `mas:attest:`.
   */
  keyPrefix?: string;
  /**
   * Requests per route per window (`windowMs` in ms): `ip` per client IP key, `device` per device a request names
   * (App Attest key id or installation id). Default `ip` 60 and `device` 20 per 60 000 ms; a limit given needs both
   * fields (positive integers).
   */
  rateLimits?: { ip?: { limit: number; windowMs: number }; device?: { limit: number; windowMs: number } };
  /** Largest request body, in bytes (1 024 to 1 048 576). Default 65 536 (an App Attest attestation is a few KiB). */
  maxBodyBytes?: number;
  /** How the client IP is resolved behind proxies (the shield's `trustProxy` options). Default: the socket address. */
  clientIp?: ClientIpOptions;
  /** Hears each token issued, key registered, refusal (with a stable `reason`) and error; never evidence or tokens. */
  onEvent?: (event: AttestationServiceEvent) => void;
}

/** Options after validation and defaults. */
export type ResolvedAttestationServiceOptions = z.output<typeof attestationServiceOptionsSchema>;
