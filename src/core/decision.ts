import type { DenyCode } from './codes.js';
import type { Mode } from './route-options.js';
import type { Attestation, AttestationClaims, CacheLookup } from './verifier.js';
import type { RateLimitInfo } from './rate-limit-headers.js';

/** What one verifier did for one request. `detail` is server-side only and never holds a secret or token. */
export interface VerifierResult {
  readonly verifier: string;
  readonly outcome: 'pass' | 'deny' | 'skip' | 'error';
  readonly code?: DenyCode;
  readonly detail?: string;
  /** The mode the core applied to this verifier's result on this request. */
  readonly mode: Mode;
  /**
   * Milliseconds the verifier took for this request (`performance.now()` around `verify`, awaiting included), for
   * latency metrics and logs, when the shield's `timings` is on (the default when `onDecision` is set); undefined
   * otherwise. 0 when it did not run (skipped, off, or the core's own result). A result carried over from an earlier
   * stage of the same request (Fastify's header stage, a route-level re-check) keeps the time it took then.
   */
  readonly durationMs?: number;
  /** Whether the verifier answered from its cache (`hit`) or had to do the work (`miss`), when it says so. */
  readonly cache?: CacheLookup;
}

/**
 * The shield's verdict on one request, on `req.shield` (Express, Fastify) or `ctx.state.shield` (Koa).
 *
 * In monitor mode a deny is recorded but `allowed` stays true: `code` then names what *would* have been denied.
 * Modules may add fields by declaration merging (the device module adds `device`, its verdict). `Claims` types
 * `attestation.claims` (default: the augmentable `AttestationClaims`).
 */
export interface Decision<Claims extends object = AttestationClaims> {
  readonly allowed: boolean;
  /** HTTP status of the denial (or of the would-be denial in monitor mode). */
  readonly status?: number;
  readonly code?: DenyCode;
  /** Opaque id for support: appears in the problem body and in onDecision, never tells the client why. */
  readonly reference: string;
  /** The route's effective top-level mode. */
  readonly mode: Mode;
  /** The client IP the shield resolved. */
  readonly ip: string;
  readonly results: readonly VerifierResult[];
  /** Seconds until a retry can succeed (sent as `Retry-After`), for rate and lockout denials. */
  readonly retryAfter?: number;
  /** The spent quota behind a rate or lockout denial, when the verifier describes it (`RateLimit` headers). */
  readonly rateLimit?: RateLimitInfo;
  /**
   * The attestation token's claims and provider, when a token passed every token check (signature, claims, binding,
   * replay); a token denied in monitor mode leaves it unset.
   */
  readonly attestation?: Attestation<Claims>;
  /** False while a Fastify body-stage check is still to come. */
  readonly complete: boolean;
}
