import type { ResolvedShieldConfig } from './config.js';
import type { Decision } from './decision.js';
import type { ProblemResponse } from './problem.js';
import type { ShieldRequest } from './request.js';
import type { RouteOptions } from './route-options.js';
import type { Store } from './store.js';
import type { RequestOutcome } from './verifier.js';

/** Which verifiers a `check` call runs: Fastify checks headers on request and the body once it is parsed. */
export type CheckStage = 'headers' | 'body' | 'all';

/** Options of one `check` call, used by adapters. */
export interface CheckOptions {
  /** A decision already made for this request (a global middleware ran first): only what changed is re-run. */
  previous?: Decision;
  stage?: CheckStage;
  /**
   * Call `onDecision` for a complete decision (default true). An adapter that may still hand the request to a
   * route-level check passes false and calls `notify` itself once the decision is final.
   */
  notify?: boolean;
}

/** The shield: built once by `createShield`, asked about every request by the adapters. */
/**
 * `Route` is the route-options type (the composition root's, with every registered module's key) and `D` the
 * Decision type (with the fields modules expose, such as `device`); the engine itself knows neither.
 */
export interface Shield<Route extends object = RouteOptions, D extends Decision = Decision> {
  /** The validated configuration. */
  readonly config: ResolvedShieldConfig;
  /** The store behind replay protection and counters. */
  readonly store: Store;
  /** The most body bytes an adapter captures for `rawBody` (`payload.limits.maxBodyBytes`, default 1 MiB). */
  readonly bodyLimitBytes: number;
  /** True when some verifier runs at the body stage (adapters skip their body hook otherwise). */
  readonly hasBodyStage: boolean;
  /** True when some verifier wants to hear how requests ended (adapters skip their response hook otherwise). */
  readonly hasOutcomeListeners: boolean;
  /**
   * Checks one request and resolves its Decision; never rejects. `route` adds per-route options over the routes
   * table (`false` turns the shield off for the route).
   */
  check(request: ShieldRequest, route?: Route | false, options?: CheckOptions): Promise<D>;
  /**
   * `check` that answers synchronously when every verifier did (a cached token, in-memory counters), else with a
   * promise; never throws or rejects. Adapters call it so the common request costs no promise and no extra tick.
   */
  checkNow(request: ShieldRequest, route?: Route | false, options?: CheckOptions): D | Promise<D>;
  /**
   * The denial response for a denied decision: RFC 9457 problem+json, shaped by `onDeny` when configured. Adapters
   * call it when they answer the denial, so it also reports the outcome `'refused'` to the verifiers waiting for one
   * (a login slot the credential verifier reserved is freed: the shield's own 403 is not a failed login).
   */
  respond(decision: D, request: ShieldRequest): ProblemResponse;
  /**
   * Tells the verifiers that applied to a request how it ended: an HTTP status (adapters report it when the
   * response finishes), an explicit login outcome, or `'refused'` (see `respond`). Each request's outcome is taken
   * once; later reports are ignored, and so is anything that is not one of those (it never takes the status's place).
   */
  reportOutcome(decision: D, outcome: RequestOutcome): Promise<void>;
  /** True when some verifier that applied wants the outcome (adapters only listen for the response then). */
  wantsOutcome(decision: D): boolean;
  /**
   * The shield whose check made `value`, or undefined for anything else (a decision of another copy of the package,
   * an application's value): adapters keep each shield's decisions on a request apart by it.
   */
  ownerOf(value: unknown): Shield | undefined;
  /**
   * Calls `onDecision` for a decision an adapter checked with `notify: false` and then kept as final, or, once the
   * request ended, for one still waiting for a body stage that never ran (`complete: false`): that one is reported as
   * complete, once, unless a decision of the request was reported already, and a body stage that runs after is not.
   */
  notify(decision: D, request: ShieldRequest): void;
  /** True when some verifier may need raw body bytes (Fastify then adds a capturing `preParsing` hook). */
  readonly mayNeedRawBody: boolean;
  /** True when a verifier needs this request's raw body bytes (request line and headers are enough to tell). */
  needsRawBody(request: ShieldRequest): boolean;
  /**
   * Validates route options given to an adapter (at middleware construction, never per request) against the
   * schemas of this shield's modules; throws `ShieldConfigError` naming `where` and every bad option.
   */
  parseRouteOptions(route: unknown, where: string): Route | false;
}
