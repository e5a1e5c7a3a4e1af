import type { DenyCode } from './codes.js';
import type { ShieldRequest } from './request.js';
import type { Mode, ResolvedRouteOptions, RouteOptions } from './route-options.js';
import type { RateLimitInfo } from './rate-limit-headers.js';

/**
 * Whether a verifier answered from its cache of earlier work (the token verifier: a token whose signature it already
 * verified) or looked and had to do the work. Absent when the verifier has no cache or never looked (no token).
 */
export type CacheLookup = 'hit' | 'miss';

/** What a verifier concluded about one request. */
export type VerifierOutcome =
  | { outcome: 'pass'; detail?: string; cache?: CacheLookup }
  | { outcome: 'skip'; detail?: string; cache?: CacheLookup }
  | {
      outcome: 'deny';
      code: DenyCode;
      cache?: CacheLookup;
      /** Server-side reason (logged via onDecision, never sent to the client). Never a secret or a token. */
      detail?: string;
      /** Seconds, sent as `Retry-After` when the deny is enforced. */
      retryAfter?: number;
      /** The spent quota, sent as `RateLimit` / `RateLimit-Policy` when the deny is enforced. */
      rateLimit?: RateLimitInfo;
    };

/**
 * The claims of a verified attestation token. Declare the claims your tokens carry by augmenting this interface
 * (`declare module 'mobile-api-shield' { interface AttestationClaims { readonly sub?: string } }`): every
 * `decision.attestation.claims` (Express `req.shield`, Koa `ctx.state.shield`, Fastify `request.shield`) is then
 * typed with them. A declaration, not a validation: the shield checks the token's signature and standard claims,
 * not the shape of yours, so declare a claim required only when your tokens always carry it. Undeclared claims
 * stay readable as `unknown`.
 */
export interface AttestationClaims {
  readonly [claim: string]: unknown;
}

/**
 * Verified attestation, shared with later verifiers and exposed on the Decision. `Claims` types `claims`; by
 * default the (augmentable) `AttestationClaims`. The token verifier's attestation and its claims are frozen, nested
 * objects and arrays included: every request with the same token shares them while the token is cached.
 */
export interface Attestation<Claims extends object = AttestationClaims> {
  provider: string;
  claims: Readonly<Claims>;
}

/** Per-request context handed to each verifier. */
export interface VerifierContext {
  readonly request: ShieldRequest;
  /** The route options in force for this request (route table and adapter options merged over the defaults). */
  readonly route: ResolvedRouteOptions;
  /** The client IP the shield resolved for this request (`trustProxy` applied). */
  readonly ip: string;
  /** True when `ip` came from a forwarding header written by a trusted proxy (so CDN headers may be trusted). */
  readonly fromTrustedProxy?: boolean;
  /** Epoch milliseconds at the start of the check. */
  readonly now: number;
  /** Set by the token verifier once a token has verified; read by device-risk and credential-abuse. */
  attestation?: Attestation;
  /**
   * Scratch space that survives between the stages and re-checks of one request (e.g. the token verifier records
   * that it has consumed a single-use token, so a route-level re-check does not see its own use as a replay).
   */
  readonly memo: Map<string, unknown>;
  /** The body as the application's parser produced it (`request.body`); the shield never parses one itself. */
  body(): Promise<unknown>;
  /**
   * `body()` without the promise when the application's parser already produced the body (the common case), so a
   * verifier that needs nothing else asynchronous can answer synchronously; a promise otherwise, as `body()`.
   * Optional so hand-built contexts (tests of custom verifiers) need not provide it; the shield's always does.
   */
  bodyNow?(): unknown;
  /**
   * The body's bytes (Content-Encoding removed), in the body stage, when the adapter captured them
   * (`request.rawBody`). Undefined when nothing captured them. Adapters hand them over only to shields with a
   * verifier that declares `wantsRawBody` (Express's `captureRawBody()` bytes too): declare it to read them.
   */
  rawBody?(): Buffer | undefined;
}

/**
 * A verifier: a plain object built by a factory. `verify` may return synchronously to keep the hot path free of
 * promise allocations. Throwing (or rejecting) means "cannot decide": the core turns it into `shield_unavailable`
 * unless the verifier is configured to fail open.
 */
export interface Verifier {
  /** Stable name, used in Decision results and in per-route/per-verifier mode settings. */
  readonly name: string;
  /** 'headers' verifiers run before the body is read; 'body' verifiers after. Default 'headers'. */
  readonly stage?: 'headers' | 'body';
  /** The verifier's configured mode; a route's mode for this verifier overrides it. */
  readonly mode?: Mode;
  /**
   * Another verifier of the same module whose per-route `verifiers` entry also sets this one's mode when the route
   * names none for this one (`device-body-binding` follows `device-risk`: enforcing the device check on a route
   * enforces its body half too).
   */
  readonly modeFollows?: string;
  /** When true, an error or timeout passes instead of denying. Default false (fail closed). */
  readonly failOpen?: boolean;
  /** Milliseconds after which a pending verify counts as an error. Default: the shield's `verifierTimeoutMs`. */
  readonly timeoutMs?: number;
  /**
   * True when this verifier needs the body's raw bytes for this request (adapters whose framework parses the body
   * first, Fastify, then capture them). Looked at with the request line and headers only.
   */
  wantsRawBody?(request: ShieldRequest): boolean;
  /** Whether this verifier applies to the request at all (e.g. the credential verifier only on login routes). */
  appliesTo?(route: ResolvedRouteOptions, request: ShieldRequest): boolean;
  /**
   * A problem with route options that only this verifier's configuration shows (a name it must define), or
   * undefined: `createShield` (the routes table) and adapter route options fail with it, instead of every request.
   */
  checkRouteOptions?(route: RouteOptions): string | undefined;
  /**
   * The headers this verifier reads as a credential or binding input on `route` (token header, binding headers, a
   * login's `header.x-password`): `onDecision` never shows them, even when they are allow-listed.
   */
  sensitiveHeaders?(route: ResolvedRouteOptions): readonly string[];
  verify(ctx: VerifierContext): VerifierOutcome | Promise<VerifierOutcome>;
  /**
   * Called once the outcome of the request is known: the response status, what the application reported with
   * `reportLoginOutcome`, or `'refused'` when the shield answered the request itself (a denial: no handler ran).
   * Only for verifiers that applied to the request. Errors are reported, never thrown.
   */
  onResponse?(ctx: VerifierContext, outcome: RequestOutcome): void | Promise<void>;
}

/**
 * How a request ended, for the verifiers that wait for it (`onResponse`): the response's HTTP status, an explicit
 * login outcome, or `'refused'`: the shield denied the request and answered it, so the handler never ran (a login
 * the shield refused tried no credential).
 */
export type RequestOutcome = number | 'success' | 'failure' | 'refused';
