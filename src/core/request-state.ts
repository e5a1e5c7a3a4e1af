/**
 * The per-request state of one check: the context verifiers see, the session kept between the stages and re-checks
 * of one request, the Decision handed out (with the session hidden inside it), and `reportLoginOutcome`, which finds
 * the sessions behind what the application hands it.
 */
import { randomUUID } from 'node:crypto';
import { BodyError } from './body.js';
import { SHIELD_CODES, type CodeTable, type DenyCode } from './codes.js';
import type { Decision, VerifierResult } from './decision.js';
import type { ShieldRequest } from './request.js';
import type { Mode, ResolvedRouteOptions, RouteOptions } from './route-options.js';
import type { CheckStage, Shield } from './shield-types.js';
import type { Attestation, VerifierContext, VerifierOutcome } from './verifier.js';
import type { RateLimitInfo } from './rate-limit-headers.js';

const UNPARSED_BODY = new BodyError('unsupported_media_type', 'body not parsed by the application before the body stage');

/** Per-request state kept between the stages and re-checks of one request; hidden on the Decision. */
export class Session {
  /**
   * Per verifier (by index): the outcome, the route options it was computed under, and the attestation on the context
   * once it ran. A later stage or re-check reuses an outcome only while both are unchanged: a verifier that reads the
   * attestation (device policy, credentials) must not keep a judgement made on a token result that has since changed.
   */
  readonly outcomes: (VerifierOutcome | Failure | undefined)[];
  readonly routeValues: unknown[];
  readonly attestations: (Attestation | undefined)[];
  outcomeTaken = false;
  /** True once `onDecision` heard a decision of this request. */
  reported = false;
  /**
   * True once the request ended with its check still waiting for the body stage, that decision reported as final: a
   * body stage that still runs after (a parser that goes on once the client is gone) is not reported again.
   */
  ended = false;
  /**
   * True once a later stage's check of this request started (one that reports): it reports the request when it
   * concludes, so the earlier stage's report on a closed response (`notify`) stays out even while it still decides.
   */
  laterStage = false;
  /**
   * What the last route resolution of this request was made from (the adapter's route options, method, path and
   * matched pattern): a later stage with the same inputs reuses `ctx.route` instead of resolving again. Fields, not an
   * object, so that remembering them allocates nothing.
   */
  #resolved = false;
  #resolvedRoute: RouteOptions | false | undefined = undefined;
  #resolvedMethod = '';
  #resolvedPath = '';
  #resolvedPattern: string | undefined = undefined;

  /** True when `ctx.route` was resolved from these inputs (so a later stage can keep it). */
  resolvedFrom(route: RouteOptions | false | undefined, request: ShieldRequest): boolean {
    return (
      this.#resolved &&
      this.#resolvedRoute === route &&
      this.#resolvedMethod === request.method &&
      this.#resolvedPath === request.path &&
      this.#resolvedPattern === request.route
    );
  }

  /** Records the inputs `ctx.route` was just resolved from. */
  rememberResolution(route: RouteOptions | false | undefined, request: ShieldRequest): void {
    this.#resolved = true;
    this.#resolvedRoute = route;
    this.#resolvedMethod = request.method;
    this.#resolvedPath = request.path;
    this.#resolvedPattern = request.route;
  }

  /** The reference once created (or handed in when it was needed before the session existed). */
  referenceIfAny: string | undefined = undefined;

  /**
   * The request's reference (a UUID), created on first read: an allowed request nobody logs never pays for one.
   * Every decision of the request (stages, re-checks) reads it from here, so it is the same once created.
   */
  get reference(): string {
    return (this.referenceIfAny ??= randomUUID());
  }

  constructor(
    /** The shield that made the decision, so `reportLoginOutcome` needs nothing but the decision. */
    readonly shield: Shield,
    readonly ctx: Context,
    verifierCount: number,
  ) {
    this.outcomes = new Array(verifierCount);
    this.routeValues = new Array(verifierCount);
    this.attestations = new Array(verifierCount);
  }
}

export type Deny = Extract<VerifierOutcome, { outcome: 'deny' }>;

export interface Failure {
  readonly outcome: 'error';
  readonly error: unknown;
}

/**
 * The Decision the shield hands out. A class with every field always assigned keeps one object shape on the hot
 * path; the per-request session sits in a private field, invisible to logging and JSON.
 */
export class ShieldDecision implements Decision {
  readonly #session: Session | undefined;
  readonly status: number | undefined;
  readonly code: DenyCode | undefined;
  readonly retryAfter: number | undefined;
  readonly rateLimit: RateLimitInfo | undefined;
  readonly attestation: Attestation | undefined;
  /** A reference fixed at construction (decisions without a session), else undefined: read from the session. */
  #reference: string | undefined;

  constructor(
    readonly allowed: boolean,
    denial: { code: DenyCode; retryAfter?: number; rateLimit?: RateLimitInfo } | undefined,
    reference: string | undefined,
    readonly mode: Mode,
    readonly ip: string,
    readonly results: readonly VerifierResult[],
    readonly complete: boolean,
    session: Session | undefined,
    codes: CodeTable,
    fields: readonly { readonly field: string; readonly memoKey: string }[],
  ) {
    // Own codes only: an inherited name ('constructor', '__proto__') is no code and has no status.
    this.status = denial ? (Object.hasOwn(codes, denial.code) ? codes[denial.code]! : SHIELD_CODES.shield_unavailable).status : undefined;
    this.code = denial?.code;
    this.retryAfter = denial?.retryAfter;
    this.rateLimit = denial?.rateLimit;
    const ctx = session?.ctx;
    this.attestation = ctx?.attestation;
    // Modules expose their per-request memo as a Decision field (the device module: `decision.device`).
    for (const { field, memoKey } of fields) (this as Record<string, unknown>)[field] = ctx?.memoIfAny?.get(memoKey);
    this.#session = session;
    this.#reference = reference;
  }

  /**
   * The request's reference, for logs and the problem body. Lazy: created on first read (a denial's problem body,
   * `onDecision`, `onError`, the application), then stable for every decision of the request.
   */
  get reference(): string {
    return (this.#reference ??= this.#session?.reference ?? randomUUID());
  }

  /** JSON of the decision (for loggers): its public fields, `reference` included although it is an accessor. */
  toJSON(): Record<string, unknown> {
    return { ...(this as object), reference: this.reference };
  }

  /**
   * True when `name` is taken on every Decision: an own field, an accessor or method (`reference`, `toJSON`), or an
   * `Object.prototype` member (`constructor`, `__proto__`). A module's `decisionField` written over one would change
   * what the decision says (`allowed`), how it answers (`status`) or what it is (`__proto__`).
   */
  static isMember(name: string): boolean {
    return name in MEMBER_PROBE;
  }

  /** The session behind a decision made by a shield, or undefined for anything else. */
  static sessionOf(value: unknown): Session | undefined {
    return typeof value === 'object' && value !== null && #session in value ? (value as ShieldDecision).#session : undefined;
  }
}

/** A decision with every field assigned: what {@link ShieldDecision.isMember} asks, so the list follows the class. */
const MEMBER_PROBE = new ShieldDecision(false, undefined, '', 'enforce', '', [], true, undefined, SHIELD_CODES, []);

export class Context implements VerifierContext {
  attestation: Attestation | undefined = undefined;
  memoIfAny: Map<string, unknown> | undefined = undefined;
  route: ResolvedRouteOptions;
  request: ShieldRequest;
  readonly ip: string;
  readonly fromTrustedProxy: boolean;
  readonly now: number;
  /** Set when the session is created. */
  session!: Session;

  constructor(request: ShieldRequest, route: ResolvedRouteOptions, ip: string, fromTrustedProxy: boolean, now: number) {
    this.request = request;
    this.route = route;
    this.ip = ip;
    this.fromTrustedProxy = fromTrustedProxy;
    this.now = now;
  }

  /** Created on first use: most requests never need it. */
  get memo(): Map<string, unknown> {
    return (this.memoIfAny ??= new Map());
  }

  /**
   * The body as the application's parser produced it. A body that arrived but that no parser read cannot be
   * inspected: asking for it rejects with a 415 `BodyError`, which denies (in the verifier's mode) instead of
   * letting the body through uninspected.
   */
  body(): Promise<unknown> {
    if (this.request.bodyUnparsed === true) return this.request.unparsedBody?.() ?? Promise.reject(UNPARSED_BODY);
    return Promise.resolve(this.request.body);
  }

  bodyNow(): unknown {
    return this.request.bodyUnparsed === true ? this.body() : this.request.body;
  }

  rawBody(): Buffer | undefined {
    return this.request.rawBody;
  }
}

/**
 * Tells the shield how a login ended when the response status does not say it (e.g. an API that answers failed
 * logins with 200 and an error body). Pass the framework's request (`req` in Express and Fastify, `ctx` in Koa) or
 * the Decision itself. Every shield that checked the request hears it (each keeps its decision on the request beside
 * `shield`, the latest). The first report of a request wins; the automatic one from the status is then ignored.
 * Throws a TypeError for any other outcome than `'success'` or `'failure'` (`'failed'` from JavaScript would otherwise
 * take the request's outcome and stop the status from counting a failed login).
 */
export function reportLoginOutcome(
  target: Decision | { shield?: Decision } | { state?: { shield?: Decision } },
  outcome: 'success' | 'failure',
): Promise<void> {
  if (outcome !== 'success' && outcome !== 'failure') {
    throw new TypeError(`reportLoginOutcome: outcome must be 'success' or 'failure', got ${typeof (outcome as unknown) === 'string' ? JSON.stringify((outcome as string).slice(0, 32)) : typeof outcome}`);
  }
  // One decision per shield's check (the first found: `shield` holds the latest, the slots each shield's latest).
  const bySession = new Map<Session, Decision>();
  const take = (value: unknown): void => {
    const session = ShieldDecision.sessionOf(value);
    if (session !== undefined && !bySession.has(session)) bySession.set(session, value as Decision);
  };
  for (const holder of [target, (target as { state?: unknown }).state]) {
    if (typeof holder !== 'object' || holder === null) continue;
    take(holder);
    take((holder as { shield?: unknown }).shield);
    for (const slot of Object.getOwnPropertySymbols(holder)) take((holder as Record<symbol, unknown>)[slot]);
  }
  return Promise.all([...bySession].map(([session, decision]) => session.shield.reportOutcome(decision, outcome))).then(() => undefined);
}

/** One check in progress (the engine's): where the verifier loop stands and what it found, kept across an asynchronous verifier. */
export class Pass {
  /** Sized for every verifier once (a grown array would be reallocated); `add` fills it, `finalResults` trims it. */
  readonly #results: VerifierResult[];
  #count = 0;
  denied: Deny | undefined = undefined;
  monitored: Deny | undefined = undefined;
  /** A body-stage verifier was left for the body stage. */
  pending = false;
  /** When the last timed verifier ended (`performance.now()`), or -1 before the first. */
  clock = -1;

  constructor(
    readonly session: Session,
    readonly stage: CheckStage,
    readonly notify: boolean | undefined,
    /** The earlier stage's decision, whose timings carry over for verifiers not run again. */
    readonly previous: Decision | undefined,
    verifierCount: number,
  ) {
    this.#results = new Array<VerifierResult>(verifierCount);
  }

  /** Lists one verifier's result (each verifier at most once per pass). */
  add(result: VerifierResult): void {
    this.#results[this.#count++] = result;
  }

  /** The results listed, in verifier order (the array a decision holds: read once the pass ends). */
  finalResults(): VerifierResult[] {
    // `pop`, not `length =`: setting the length goes through the runtime, popping the usual one or two holes does not.
    while (this.#results.length > this.#count) this.#results.pop();
    return this.#results;
  }
}
