import { randomUUID } from 'node:crypto';
import { MemoryStore } from '../stores/memory.js';
import type { Store } from '../stores/store.js';
import { createCredentialAbuseVerifier } from '../verifiers/credential-abuse/index.js';
import { createDeviceRiskVerifier, DEVICE_HEADERS, DEVICE_RISK_MEMO_KEY, type DeviceRiskMemo } from '../verifiers/device-risk/verifier.js';
import { createDeviceBodyBindingVerifier } from '../verifiers/device-risk/body-binding.js';
import { createPayloadShieldVerifier } from '../verifiers/payload-shield/verifier.js';
import { createTokenVerifier } from '../verifiers/token/token-verifier.js';
import { createChannelVerifier } from '../verifiers/channel/index.js';
import { BodyError } from './body.js';
import { createClientIpResolver, type ClientIpResolver } from './client-ip.js';
import { createProxyMismatchWarning } from './proxy-mismatch.js';
import { SHIELD_CODES, type ShieldCode } from './codes.js';
import { DeadlineWatch } from './deadline.js';
import { checkOutcome } from './outcome.js';
import { createRedactor } from './redact.js';
import { parseShieldConfig, type ResolvedShieldConfig, type ShieldConfig } from './config.js';
import type { Decision, VerifierResult } from './decision.js';
import { ShieldConfigError, ShieldDenyError } from './errors.js';
import { problemResponse, type ProblemResponse } from './problem.js';
import type { ShieldRequest } from './request.js';
import type { Mode, ResolvedRouteOptions, RouteOptions } from './route-options.js';
import { AMBIGUOUS, RouteTable, type PathMatch, type RouteEntry } from './route-table.js';
import type { Attestation, Verifier, VerifierContext, VerifierOutcome } from './verifier.js';

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
export interface Shield {
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
  check(request: ShieldRequest, route?: RouteOptions | false, options?: CheckOptions): Promise<Decision>;
  /** The denial response for a denied decision: RFC 9457 problem+json, shaped by `onDeny` when configured. */
  respond(decision: Decision, request: ShieldRequest): ProblemResponse;
  /**
   * Tells the verifiers that applied to a request how it ended: an HTTP status (adapters report it when the
   * response finishes) or an explicit login outcome. Each request's outcome is taken once; later reports are ignored.
   */
  reportOutcome(decision: Decision, outcome: number | 'success' | 'failure'): Promise<void>;
  /** True when some verifier that applied wants the outcome (adapters only listen for the response then). */
  wantsOutcome(decision: Decision): boolean;
  /** Calls `onDecision` for a decision an adapter checked with `notify: false` and then kept as final. */
  notify(decision: Decision, request: ShieldRequest): void;
  /** True when some verifier may need raw body bytes (Fastify then adds a capturing `preParsing` hook). */
  readonly mayNeedRawBody: boolean;
  /** True when a verifier needs this request's raw body bytes (request line and headers are enough to tell). */
  needsRawBody(request: ShieldRequest): boolean;
}

/** Per-request state kept between the stages and re-checks of one request; hidden on the Decision. */
class Session {
  /** Per verifier (by index): the outcome, and the route options it was computed under. */
  readonly outcomes: (VerifierOutcome | Failure | undefined)[];
  readonly routeValues: unknown[];
  outcomeTaken = false;

  constructor(
    /** The shield that made the decision, so `reportLoginOutcome` needs nothing but the decision. */
    readonly shield: Shield,
    readonly ctx: Context,
    verifierCount: number,
  ) {
    this.outcomes = new Array(verifierCount);
    this.routeValues = new Array(verifierCount);
  }
}

type Deny = Extract<VerifierOutcome, { outcome: 'deny' }>;

interface Failure {
  readonly outcome: 'error';
  readonly error: unknown;
}

const DEFAULT_BODY_LIMIT = 1_048_576;
const UNPARSED_BODY = new BodyError('unsupported_media_type', 'body not parsed by the application before the body stage');
const EMPTY_ROUTE: ResolvedRouteOptions = Object.freeze({});
const DISABLED = false as const;

/** Merges route options one level deep: a route's `token: { binding: false }` changes only that token option. */
function mergeRoute(base: ResolvedRouteOptions, over: RouteOptions): ResolvedRouteOptions {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prior = merged[key];
    merged[key] = isPlainObject(prior) && isPlainObject(value) ? { ...prior, ...value } : value;
  }
  return Object.freeze(merged) as ResolvedRouteOptions;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/**
 * The Decision the shield hands out. A class with every field always assigned keeps one object shape on the hot
 * path; the per-request session sits in a private field, invisible to logging and JSON.
 */
class ShieldDecision implements Decision {
  readonly #session: Session | undefined;
  readonly status: number | undefined;
  readonly code: ShieldCode | undefined;
  readonly retryAfter: number | undefined;
  readonly attestation: Attestation | undefined;
  readonly device: DeviceRiskMemo | undefined;

  constructor(
    readonly allowed: boolean,
    denial: { code: ShieldCode; retryAfter?: number } | undefined,
    readonly reference: string,
    readonly mode: Mode,
    readonly ip: string,
    readonly results: readonly VerifierResult[],
    readonly complete: boolean,
    session: Session | undefined,
  ) {
    this.status = denial ? SHIELD_CODES[denial.code].status : undefined;
    this.code = denial?.code;
    this.retryAfter = denial?.retryAfter;
    const ctx = session?.ctx;
    this.attestation = ctx?.attestation;
    this.device = ctx?.memoIfAny?.get(DEVICE_RISK_MEMO_KEY) as DeviceRiskMemo | undefined;
    this.#session = session;
  }

  /** The session behind a decision made by a shield, or undefined for anything else. */
  static sessionOf(value: unknown): Session | undefined {
    return typeof value === 'object' && value !== null && #session in value ? (value as ShieldDecision).#session : undefined;
  }
}

class Context implements VerifierContext {
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

  rawBody(): Buffer | undefined {
    return this.request.rawBody;
  }
}

/**
 * Builds a shield from its configuration. The configuration is validated (and keys imported) here, once; an invalid
 * configuration throws `ShieldConfigError` naming every bad option.
 */
export function createShield(config: ShieldConfig): Shield {
  const resolved = parseShieldConfig(config);
  const store: Store = resolved.store ?? new MemoryStore();
  const table = new RouteTable(resolved.routes as Record<string, RouteOptions | false> | undefined);
  const ipResolver: ClientIpResolver = createClientIpResolver({
    trustProxy: resolved.trustProxy,
    ipv4Prefix: resolved.ipv4Prefix,
    ipv6Prefix: resolved.ipv6Prefix,
    proxyHeader: resolved.proxyHeader,
  });
  const warnProxyMismatch = createProxyMismatchWarning(resolved.trustProxy, resolved.onError);
  // The fixed order: app integrity first (nothing else runs for a request from something that is not the app), then
  // the device, then credentials (which need the token's device id), then the payload (the most expensive).
  const verifiers: Verifier[] = [];
  const build = (path: string, factory: () => Verifier) => {
    try {
      verifiers.push(factory());
    } catch (error) {
      if (error instanceof ShieldConfigError) throw error;
      throw new ShieldConfigError([{ path, message: (error as Error).message }]);
    }
  };
  if (resolved.token) build('token', () => createTokenVerifier(resolved.token!, { store }));
  // Right after the token: it reads the token's pin-set version claim.
  if (resolved.channel) build('channel', () => createChannelVerifier(resolved.channel!));
  if (resolved.device) {
    build('device', () => createDeviceRiskVerifier(resolved.device!, { store }));
    // Its body-stage half: the body hash a device proof covers must be the hash of the body that arrived.
    build('device', () => createDeviceBodyBindingVerifier(resolved.device!));
  }
  if (resolved.credentials) build('credentials', () => createCredentialAbuseVerifier(resolved.credentials!, { store, ipResolver, genericTokenErrors: resolved.token?.genericErrors === true }));
  if (resolved.payload) build('payload', () => createPayloadShieldVerifier(resolved.payload));
  verifiers.push(...resolved.verifiers);
  const routeKeys = verifiers.map(routeKeyOf);
  const rawBodyWanters = verifiers.filter((v) => v.wantsRawBody !== undefined);
  const needsRaw = (request: ShieldRequest): boolean => {
    for (const verifier of rawBodyWanters) if (verifier.wantsRawBody?.(request)) return true;
    return false;
  };
  const bodyLimitBytes = resolved.payload?.limits?.maxBodyBytes ?? DEFAULT_BODY_LIMIT;
  const deadlines = new DeadlineWatch();
  const redactor = createRedactor({
    logHeaders: resolved.logHeaders,
    redactHeaders: [
      ...resolved.redactHeaders,
      ...(resolved.token ? [resolved.token.header] : []),
      ...(resolved.device ? Object.values({ ...DEVICE_HEADERS, ...resolved.device.headers }).filter((h): h is string => typeof h === 'string') : []),
    ],
    verifiers,
  });

  const tableResolved = new Map<unknown, ResolvedRouteOptions | typeof DISABLED>();
  const mergedByRoute = new WeakMap<object, Map<unknown, ResolvedRouteOptions>>();
  /** Table entries by the route pattern a framework matched; bounded by the application's routes. */
  const byPattern = new Map<string, Map<string, RouteEntry | undefined>>();

  /** The table entry for a request: by the matched route pattern when the adapter knows it, else by the path. */
  function tableEntry(request: ShieldRequest): PathMatch {
    if (table.empty) return undefined;
    const pattern = request.route;
    if (typeof pattern !== 'string') {
      const entry = table.matchPath(request.method, request.path);
      if (entry !== false || !table.exemptionContested(request.method, request.path)) return entry;
      // An exemption that a non-exempt pattern also matches: only the router knows which handler runs.
      const found = request.findRoute?.();
      return typeof found === 'string' ? table.matchRoute(request.method, found) : AMBIGUOUS;
    }
    let methods = byPattern.get(pattern);
    if (methods === undefined) byPattern.set(pattern, (methods = new Map()));
    if (methods.has(request.method)) return methods.get(request.method);
    const entry = table.matchRoute(request.method, pattern);
    methods.set(request.method, entry);
    return entry;
  }

  function resolveRoute(request: ShieldRequest, route: RouteOptions | false | undefined): ResolvedRouteOptions | false | typeof AMBIGUOUS {
    if (route === false) return DISABLED;
    const entry = tableEntry(request);
    // A path whose spellings land on different table entries is refused: no guess about the handler that runs.
    if (entry === AMBIGUOUS) return AMBIGUOUS;
    let base: ResolvedRouteOptions | false;
    if (entry === undefined) base = EMPTY_ROUTE;
    else {
      let cached = tableResolved.get(entry);
      if (cached === undefined) {
        cached = entry === false ? DISABLED : mergeRoute(EMPTY_ROUTE, entry);
        tableResolved.set(entry, cached);
      }
      base = cached;
    }
    if (route === undefined) return base;
    // Route-level options given in code are the most specific: they apply even where the table exempts the path.
    let perRoute = mergedByRoute.get(route);
    if (!perRoute) mergedByRoute.set(route, (perRoute = new Map()));
    let merged = perRoute.get(entry);
    if (!merged) perRoute.set(entry, (merged = mergeRoute(base === false ? EMPTY_ROUTE : base, route)));
    return merged;
  }

  function modeFor(verifier: Verifier, route: ResolvedRouteOptions): Mode | 'off' {
    return route.verifiers?.[verifier.name] ?? route.mode ?? verifier.mode ?? resolved.mode;
  }

  function onError(error: unknown, verifier: Verifier, reference: string): void {
    try {
      resolved.onError?.(error, { verifier: verifier.name, reference });
    } catch {
      // A failing error hook must not turn into a failing request.
    }
  }

  function failure(error: unknown, verifier: Verifier, reference: string): VerifierOutcome | Failure {
    const denyCode = denyCodeOf(error);
    if (denyCode) return { outcome: 'deny', code: denyCode, detail: (error as Error).message };
    onError(error, verifier, reference);
    return { outcome: 'error', error };
  }

  /** Runs one verifier; synchronous answers stay synchronous (no promise, no timer on the cached paths). */
  function runVerifier(verifier: Verifier, ctx: Context, reference: string): VerifierOutcome | Failure | Promise<VerifierOutcome | Failure> {
    let result: VerifierOutcome | Promise<VerifierOutcome>;
    try {
      result = verifier.verify(ctx);
    } catch (error) {
      return failure(error, verifier, reference);
    }
    if (!(result instanceof Promise)) return validated(result, verifier, reference);
    const timeoutMs = verifier.timeoutMs ?? resolved.verifierTimeoutMs;
    return deadlines
      .race(result, timeoutMs, () => new Error(`verifier "${verifier.name}" timed out after ${timeoutMs} ms`))
      .then(
        (value) => validated(value, verifier, reference),
        (error: unknown) => failure(error, verifier, reference),
      );
  }

  /** Only pass, skip and deny with a known code are outcomes; anything else a verifier returns is its error. */
  function validated(value: unknown, verifier: Verifier, reference: string): VerifierOutcome | Failure {
    const checked = checkOutcome(value, verifier.name);
    return checked instanceof Error ? failure(checked, verifier, reference) : checked;
  }

  /**
   * The public entry point: never rejects. Anything unexpected (a verifier's `appliesTo` throwing, a malformed
   * request object) fails closed as `shield_unavailable`, reported to `onError`.
   */
  function check(request: ShieldRequest, route?: RouteOptions | false, options?: CheckOptions): Promise<Decision> {
    return runCheck(request, route, options).catch((error: unknown) => {
      const reference = options?.previous?.reference ?? randomUUID();
      try {
        resolved.onError?.(error, { verifier: 'core', reference });
      } catch {
        // see onError
      }
      const ip = typeof request?.ip === 'string' ? request.ip : '';
      const results = [result('core', 'error', resolved.mode, 'shield_unavailable', errorDetail(error))];
      const decision = new ShieldDecision(false, { code: 'shield_unavailable' }, reference, resolved.mode, ip, results, true, undefined);
      return finish(request, decision, options?.notify);
    });
  }

  async function runCheck(request: ShieldRequest, route?: RouteOptions | false, options?: CheckOptions): Promise<Decision> {
    const stage = options?.stage ?? 'all';
    const previous = options?.previous ? ShieldDecision.sessionOf(options.previous) : undefined;
    const reference = previous ? (options?.previous as Decision).reference : randomUUID();
    const routeOptions = resolveRoute(request, route);
    if (routeOptions === AMBIGUOUS) {
      const ip = previous?.ctx.ip ?? ipResolver.resolve(request.ip, request.headers, request.frameworkIp).ip;
      const results = [result('core', 'deny', 'enforce', 'request_target_ambiguous', 'path spellings match different route entries')];
      return finish(request, new ShieldDecision(false, { code: 'request_target_ambiguous' }, reference, resolved.mode, ip, results, true, previous), options?.notify);
    }
    let session = previous;
    if (session === undefined) {
      const client = ipResolver.resolve(request.ip, request.headers, request.frameworkIp);
      if (request.frameworkTrustsProxy === true && !client.fromTrustedProxy) warnProxyMismatch(request, reference);
      if (routeOptions === DISABLED) {
        return finish(request, new ShieldDecision(true, undefined, reference, resolved.mode, client.ip, NO_RESULTS, true, undefined), options?.notify);
      }
      const ctx = new Context(request, routeOptions, client.ip, client.fromTrustedProxy, Date.now());
      session = new Session(self, ctx, verifiers.length);
      ctx.session = session;
    } else if (routeOptions === DISABLED) {
      return finish(request, new ShieldDecision(true, undefined, reference, resolved.mode, session.ctx.ip, NO_RESULTS, true, session), options?.notify);
    }
    const ctx = session.ctx;
    ctx.route = routeOptions;
    ctx.request = request;
    const results: VerifierResult[] = [];
    let denied: Deny | undefined;
    let monitored: Deny | undefined;
    let pending = false;

    for (let i = 0; i < verifiers.length; i++) {
      const verifier = verifiers[i] as Verifier;
      const mode = modeFor(verifier, routeOptions);
      if (mode === 'off' || (verifier.appliesTo !== undefined && !verifier.appliesTo(routeOptions, request))) {
        results.push(result(verifier.name, 'skip', mode === 'off' ? resolved.mode : mode, undefined, undefined));
        continue;
      }
      const bodyStage = verifier.stage === 'body';
      if (bodyStage && stage === 'headers') {
        pending = true;
        continue;
      }
      const routeValue = (routeOptions as Record<string, unknown>)[routeKeys[i] as string];
      let outcome = session.outcomes[i];
      if (outcome === undefined || session.routeValues[i] !== routeValue) {
        const run = runVerifier(verifier, ctx, reference);
        outcome = run instanceof Promise ? await run : run;
        session.outcomes[i] = outcome;
        session.routeValues[i] = routeValue;
      }
      let effective: VerifierOutcome;
      if (outcome.outcome === 'error') {
        if (verifier.failOpen === true) {
          results.push(result(verifier.name, 'error', mode, undefined, errorDetail(outcome.error)));
          continue;
        }
        results.push(result(verifier.name, 'error', mode, 'shield_unavailable', errorDetail(outcome.error)));
        effective = { outcome: 'deny', code: 'shield_unavailable' };
      } else {
        effective = outcome;
        results.push(
          result(verifier.name, outcome.outcome, mode, outcome.outcome === 'deny' ? outcome.code : undefined, outcome.detail),
        );
      }
      if (effective.outcome === 'deny') {
        if (mode === 'enforce') {
          denied = effective;
          break;
        }
        monitored ??= effective;
      }
    }

    const decision = new ShieldDecision(
      denied === undefined,
      denied ?? monitored,
      reference,
      routeOptions.mode ?? resolved.mode,
      ctx.ip,
      results,
      !pending || denied !== undefined,
      session,
    );
    return finish(request, decision, options?.notify);
  }

  function finish(request: ShieldRequest, decision: Decision, notify = true): Decision {
    if (notify) notifyDecision(decision, request);
    return decision;
  }

  function notifyDecision(decision: Decision, request: ShieldRequest): void {
    if (!decision.complete || !resolved.onDecision) return;
    try {
      resolved.onDecision(decision, redactor.redact(request, ShieldDecision.sessionOf(decision)?.ctx.route));
    } catch {
      // Logging must never break a request.
    }
  }

  /** The verifiers that ran for a request and want to hear how it ended. */
  function listeners(session: Session): Verifier[] {
    const found: Verifier[] = [];
    for (let i = 0; i < verifiers.length; i++) {
      const verifier = verifiers[i] as Verifier;
      if (verifier.onResponse && session.outcomes[i] !== undefined) found.push(verifier);
    }
    return found;
  }

  const hasOutcomeListeners = verifiers.some((v) => v.onResponse !== undefined);
  const self: Shield = {
    config: resolved,
    store,
    bodyLimitBytes,
    hasBodyStage: verifiers.some((v) => v.stage === 'body'),
    mayNeedRawBody: rawBodyWanters.length > 0,
    needsRawBody: needsRaw,
    hasOutcomeListeners,
    check,
    notify: notifyDecision,
    respond(decision, request) {
      const response = problemResponse(decision);
      if (!resolved.onDeny) return response;
      try {
        return resolved.onDeny(decision, request, response) ?? response;
      } catch {
        return response;
      }
    },
    async reportOutcome(decision, outcome) {
      const session = ShieldDecision.sessionOf(decision);
      if (!session || session.outcomeTaken) return;
      session.outcomeTaken = true;
      for (const verifier of listeners(session)) {
        try {
          await verifier.onResponse?.(session.ctx, outcome);
        } catch (error) {
          onError(error, verifier, decision.reference);
        }
      }
    },
    wantsOutcome(decision) {
      if (!hasOutcomeListeners) return false;
      const session = ShieldDecision.sessionOf(decision);
      return session !== undefined && !session.outcomeTaken && listeners(session).length > 0;
    },
  };
  return self;
}

/**
 * Tells the shield how a login ended when the response status does not say it (e.g. an API that answers failed
 * logins with 200 and an error body). Pass the framework's request (`req` in Express and Fastify, `ctx` in Koa) or
 * the Decision itself. The first report of a request wins; the automatic one from the status is then ignored.
 */
export function reportLoginOutcome(
  target: Decision | { shield?: Decision } | { state?: { shield?: Decision } },
  outcome: 'success' | 'failure',
): Promise<void> {
  const candidates = [target, (target as { shield?: unknown }).shield, (target as { state?: { shield?: unknown } }).state?.shield];
  for (const candidate of candidates) {
    const session = ShieldDecision.sessionOf(candidate);
    if (session) return session.shield.reportOutcome(candidate as Decision, outcome);
  }
  return Promise.resolve();
}

const NO_RESULTS: readonly VerifierResult[] = Object.freeze([]);

function result(
  verifier: string,
  outcome: VerifierResult['outcome'],
  mode: Mode,
  code: ShieldCode | undefined,
  detail: string | undefined,
): VerifierResult {
  return { verifier, outcome, mode, code, detail };
}

/** The RouteOptions key a verifier reads: a change there means the verifier must run again for a re-check. */
function routeKeyOf(verifier: Verifier): string {
  switch (verifier.name) {
    case 'payload-shield':
      return 'payload';
    case 'credential-abuse':
      return 'credentials';
    case 'device-risk':
    case 'device-body-binding':
      return 'device';
    default:
      return verifier.name;
  }
}

function denyCodeOf(error: unknown): ShieldCode | undefined {
  // ShieldDenyError (and BodyError, its subclass) carries the code to deny with instead of failing as an error.
  return error instanceof ShieldDenyError ? error.code : undefined;
}

/** A short, secret-free description of an error for the Decision (class and code, never the message body). */
function errorDetail(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.name} ${code}` : `${error.name}: ${error.message.slice(0, 120)}`;
  }
  return 'non-error thrown';
}
