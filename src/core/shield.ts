import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createClientIpResolver, type ClientIpResolver } from './client-ip.js';
import { createProxyMismatchWarning } from './proxy-mismatch.js';
import { problemTypeOf, type DenyCode } from './codes.js';
import { checkRouteOptionsWith, composeSchemas, parseRouteOptions, parseShieldConfig, type ComposedSchemas, type ShieldConfig } from './config.js';
import { DeadlineWatch } from './deadline.js';
import type { Decision, VerifierResult } from './decision.js';
import { denyCodeOf, errorDetail, ShieldConfigError, VerifierTimeoutError } from './errors.js';
import { callHook, ignoreHookResult, usableDenyResponse } from './hooks.js';
import { assembleModules, collectModules } from './module-assembly.js';
import type { VerifierModule } from './module.js';
import { problemResponse } from './problem.js';
import { checkOutcome, InvalidVerifierOutcomeError, isRequestOutcome } from './outcome.js';
import { createRedactor } from './redact.js';
import { Context, Pass, Session, ShieldDecision, type Failure } from './request-state.js';
import type { ShieldRequest } from './request.js';
import type { Mode, ResolvedRouteOptions, RouteOptions } from './route-options.js';
import { DISABLED, RouteResolver } from './route-resolver.js';
import { AMBIGUOUS, RouteTable, type RouteEntry } from './route-table.js';
import type { Shield, CheckOptions } from './shield-types.js';
import type { Store } from './store.js';
import type { RequestOutcome, Verifier, VerifierOutcome } from './verifier.js';
import type { RateLimitInfo } from './rate-limit-headers.js';
import { verifierResult as result, VerifierResults } from './verifier-results.js';

export type { CheckOptions, CheckStage, Shield } from './shield-types.js';
export { reportLoginOutcome } from './request-state.js';

const DEFAULT_BODY_LIMIT = 1_048_576;

/** What the composition root hands the engine: the built-in modules and the default store. */
export interface EngineDefaults {
  /** Modules every shield has (the user's `modules` are added to them). */
  readonly modules: readonly VerifierModule[];
  /** The store used when the config names none. */
  createStore(): Store;
}

/**
 * Builds a shield from its configuration and the modules it runs: the engine behind `createShield`. The
 * configuration is validated (and keys imported) here, once, against the schemas the modules contribute; an invalid
 * configuration throws `ShieldConfigError` naming every bad option.
 */
export function createShieldEngine(config: ShieldConfig, defaults: EngineDefaults): Shield {
  const modules = collectModules(defaults.modules, config);
  const schemas: ComposedSchemas = composeSchemas(modules);
  const resolved = parseShieldConfig(config, schemas);
  const store: Store = resolved.store ?? defaults.createStore();
  const routes = new RouteResolver(new RouteTable(resolved.routes as Record<string, RouteEntry> | undefined), (route, where) =>
    checkRouteOptionsWith(verifiers, parseRouteOptions(route, where, schemas), where),
  );
  const ipResolver: ClientIpResolver = createClientIpResolver({
    trustProxy: resolved.trustProxy,
    ipv4Prefix: resolved.ipv4Prefix,
    ipv6Prefix: resolved.ipv6Prefix,
    proxyHeader: resolved.proxyHeader,
  });
  const warnProxyMismatch = createProxyMismatchWarning(resolved.trustProxy, resolved.onError);
  const { verifiers, routeKeys, codes: codeTable, decisionFields, sensitiveHeaders: moduleHeaders, problemDetails, apis } = assembleModules(
    modules,
    resolved,
    resolved.verifiers,
    { store, ipResolver, config: resolved },
  );
  for (const [key, entry] of Object.entries(resolved.routes ?? {})) checkRouteOptionsWith(verifiers, entry, `routes.${key}`);
  const problemType = problemTypeOf(resolved.problemTypeBase);
  const verifierResults = new VerifierResults(verifiers.map((v) => v.name));
  const rawBodyWanters = verifiers.filter((v) => v.wantsRawBody !== undefined);
  const needsRaw = (request: ShieldRequest): boolean => {
    for (const verifier of rawBodyWanters) if (verifier.wantsRawBody?.(request)) return true;
    return false;
  };
  const bodyLimitBytes = (resolved.payload as { limits?: { maxBodyBytes?: number } } | undefined)?.limits?.maxBodyBytes ?? DEFAULT_BODY_LIMIT;
  const deadlines = new DeadlineWatch();
  // Clock reads only when something reads the durations (see `timings`).
  const timed = resolved.timings ?? resolved.onDecision !== undefined;
  const redactor = createRedactor({
    logHeaders: resolved.logHeaders,
    redactHeaders: [...resolved.redactHeaders, ...moduleHeaders],
    verifiers,
  });
  const decide = (
    allowed: boolean,
    denial: { code: DenyCode; retryAfter?: number; rateLimit?: RateLimitInfo } | undefined,
    reference: string | undefined,
    mode: Mode,
    ip: string,
    results: readonly VerifierResult[],
    complete: boolean,
    session: Session | undefined,
  ): ShieldDecision => new ShieldDecision(allowed, denial, reference, mode, ip, results, complete, session, codeTable, decisionFields);

  function modeFor(verifier: Verifier, route: ResolvedRouteOptions): Mode | 'off' {
    const named = route.verifiers;
    const own = named === undefined ? undefined : (named[verifier.name] ?? (verifier.modeFollows && named[verifier.modeFollows]));
    return own || (route.mode ?? verifier.mode ?? resolved.mode);
  }

  function onError(error: unknown, verifier: Verifier, reference: string): void {
    callHook(resolved.onError, error, { verifier: verifier.name, reference });
  }

  /** The reference is read (so created) only here, when there is an error to report: allowed requests skip it. */
  function failure(error: unknown, verifier: Verifier, session: Session): VerifierOutcome | Failure {
    const code: unknown = denyCodeOf(error);
    // A thrown code is checked like a returned one: an unknown or inherited ('constructor') code is the verifier's error.
    if (typeof code === 'string' && Object.hasOwn(codeTable, code)) return { outcome: 'deny', code, detail: (error as Error).message };
    if (code !== undefined) error = new InvalidVerifierOutcomeError(verifier.name, `thrown ShieldDenyError with unknown deny code ${JSON.stringify(String(code).slice(0, 48))}`);
    onError(error, verifier, session.reference);
    return { outcome: 'error', error };
  }

  /** Runs one verifier; synchronous answers stay synchronous (no promise, no timer on the cached paths). */
  function runVerifier(verifier: Verifier, ctx: Context): VerifierOutcome | Failure | Promise<VerifierOutcome | Failure> {
    let result: VerifierOutcome | Promise<VerifierOutcome>;
    const session = ctx.session;
    try {
      result = verifier.verify(ctx);
    } catch (error) {
      return failure(error, verifier, session);
    }
    return result instanceof Promise ? settled(result, verifier, session) : validated(result, verifier, session);
  }

  /** A pending answer within the verifier's deadline (apart from `runVerifier`, whose sync path then captures nothing). */
  function settled(result: Promise<VerifierOutcome>, verifier: Verifier, session: Session): Promise<VerifierOutcome | Failure> {
    const timeoutMs = verifier.timeoutMs ?? resolved.verifierTimeoutMs;
    return deadlines
      .race(result, timeoutMs, () => new VerifierTimeoutError(`verifier "${verifier.name}" timed out after ${timeoutMs} ms`))
      .then(
        (value) => validated(value, verifier, session),
        (error: unknown) => failure(error, verifier, session),
      );
  }

  /** Only pass, skip and deny with a known code are outcomes; anything else a verifier returns is its error. */
  function validated(value: unknown, verifier: Verifier, session: Session): VerifierOutcome | Failure {
    const checked = checkOutcome(value, verifier.name, codeTable);
    return checked instanceof Error ? failure(checked, verifier, session) : checked;
  }

  /**
   * The public entry point: never rejects. Anything unexpected (a verifier's `appliesTo` throwing, a malformed
   * request object) fails closed as `shield_unavailable`, reported to `onError`.
   */
  function check(request: ShieldRequest, route?: RouteOptions | false, options?: CheckOptions): Promise<Decision> {
    const decision = checkNow(request, route, options);
    return decision instanceof Promise ? decision : Promise.resolve(decision);
  }

  /** `check` without the promise when every verifier answered synchronously (cached tokens, in-memory counters). */
  function checkNow(request: ShieldRequest, route?: RouteOptions | false, options?: CheckOptions): Decision | Promise<Decision> {
    let decision: Decision | Promise<Decision>;
    try {
      decision = runCheck(request, route, options);
    } catch (error) {
      return unavailable(error, request, options);
    }
    return decision instanceof Promise ? unavailableIfRejected(decision, request, options) : decision;
  }

  /** The pending check's fallback, apart from `checkNow` so that its synchronous path captures nothing (no context). */
  function unavailableIfRejected(decision: Promise<Decision>, request: ShieldRequest, options: CheckOptions | undefined): Promise<Decision> {
    return decision.catch((error: unknown) => unavailable(error, request, options));
  }

  /** The fail-closed fallback: the request that broke the check may break it again (a throwing getter, a Proxy, frozen). */
  function unavailable(error: unknown, request: ShieldRequest, options: CheckOptions | undefined): Decision {
    const reference = options?.previous?.reference ?? randomUUID();
    callHook(resolved.onError, error, { verifier: 'core', reference });
    let ip = '';
    try {
      if (typeof request?.ip === 'string') ip = request.ip;
    } catch {
      // no readable ip: the decision says ''
    }
    const results = [result('core', 'error', resolved.mode, 'shield_unavailable', errorDetail(error), timed ? 0 : undefined, undefined)];
    const decision = decide(false, { code: 'shield_unavailable' }, reference, resolved.mode, ip, results, true, undefined);
    try {
      return finish(request, decision, options?.notify);
    } catch {
      // `finish` throws before notifying, only while releasing the query of a request that cannot be written.
      if (options?.notify !== false) notifyDecision(decision, request);
      return decision;
    }
  }

  function runCheck(request: ShieldRequest, route?: RouteOptions | false, options?: CheckOptions): Decision | Promise<Decision> {
    const stage = options?.stage ?? 'all';
    const earlier = options?.previous ? ShieldDecision.sessionOf(options.previous) : undefined;
    const previous = earlier?.shield === self ? earlier : undefined; // another shield's decision is no earlier stage
    // No reference is made here: decisions with a session read the session's (created on first read, so never
    // for an allowed request nobody logs), those without one create theirs when read.
    // A later stage of the same request (same route options, method, path and pattern) keeps the resolution of the
    // first: the route table is matched once per request.
    const reused = previous !== undefined && previous.resolvedFrom(route, request);
    const routeOptions = reused ? previous!.ctx.route : routes.resolve(request, route);
    if (routeOptions === AMBIGUOUS) {
      const ip = previous?.ctx.ip ?? ipResolver.resolve(request.ip, request.headers, request.frameworkIp).ip;
      const results = [result('core', 'deny', 'enforce', 'request_target_ambiguous', 'path spellings match different route entries', timed ? 0 : undefined, undefined)];
      return finish(request, decide(false, { code: 'request_target_ambiguous' }, undefined, resolved.mode, ip, results, true, previous), options?.notify);
    }
    let session = previous;
    if (session === undefined) {
      const client = ipResolver.resolve(request.ip, request.headers, request.frameworkIp);
      let reference: string | undefined;
      if (request.frameworkTrustsProxy === true && !client.fromTrustedProxy) {
        reference = randomUUID();
        warnProxyMismatch(request, reference);
      }
      if (routeOptions === DISABLED) {
        return finish(request, decide(true, undefined, reference, resolved.mode, client.ip, NO_RESULTS, true, undefined), options?.notify);
      }
      const ctx = new Context(request, routeOptions, client.ip, client.fromTrustedProxy, Date.now());
      session = new Session(self, ctx, verifiers.length);
      session.referenceIfAny = reference;
      ctx.session = session;
    } else if (routeOptions === DISABLED) {
      return finish(request, decide(true, undefined, undefined, resolved.mode, session.ctx.ip, NO_RESULTS, true, session), options?.notify);
    } else if (options?.notify !== false) {
      session.laterStage = true;
    }
    const ctx = session.ctx;
    ctx.route = routeOptions;
    if (!reused) session.rememberResolution(route, request);
    ctx.request = request;
    return resume(new Pass(session, stage, options?.notify, previous === undefined ? undefined : options?.previous, verifiers.length), 0);
  }

  /**
   * Runs the verifiers from `start` on. Synchronous answers keep the whole loop synchronous; the first pending one
   * makes the rest continue after it settles (same order, same state).
   */
  function resume(pass: Pass, start: number): Decision | Promise<Decision> {
    const session = pass.session;
    const ctx = session.ctx;
    const routeOptions = ctx.route;
    const request = ctx.request;
    for (let i = start; i < verifiers.length; i++) {
      const verifier = verifiers[i] as Verifier;
      const mode = modeFor(verifier, routeOptions);
      // `false` under a module's key turns the module off on this route (`token: false`, `payload: false`).
      const routeKey = routeKeys[i];
      const routeValue = routeKey === undefined ? undefined : (routeOptions as Record<string, unknown>)[routeKey];
      if (mode === 'off' || routeValue === false || (verifier.appliesTo !== undefined && !verifier.appliesTo(routeOptions, request))) {
        pass.add(verifierResults.of(i, 'skip', mode === 'off' ? resolved.mode : mode, undefined, undefined, timed ? 0 : undefined, undefined));
        continue;
      }
      if (verifier.stage === 'body' && pass.stage === 'headers') {
        pass.pending = true;
        continue;
      }
      let outcome = session.outcomes[i];
      let durationMs: number | undefined;
      if (outcome === undefined || session.routeValues[i] !== routeValue || session.attestations[i] !== ctx.attestation) {
        // One clock read per verifier that runs (plus one before the first): a verifier's time starts where the previous
        // one's ended, so it also holds the core's bookkeeping in between. The duration lands in the result made anyway.
        const started = !timed ? 0 : pass.clock < 0 ? performance.now() : pass.clock;
        const run = runVerifier(verifier, ctx);
        if (run instanceof Promise) return resumeAfter(run, pass, i, mode, routeValue, started);
        outcome = run;
        if (timed) durationMs = lap(pass, started);
        session.outcomes[i] = outcome;
        session.routeValues[i] = routeValue;
        session.attestations[i] = ctx.attestation;
      } else if (timed) {
        durationMs = previousDuration(pass.previous, verifier.name);
      }
      if (record(pass, i, mode, outcome, durationMs)) break;
    }
    return conclude(pass);
  }

  /**
   * Continues the loop once verifier `i`'s pending answer settles. A function of its own so that `resume` captures
   * nothing: a closure inside its loop would make V8 allocate a context for every verifier of every request.
   */
  function resumeAfter(
    run: Promise<VerifierOutcome | Failure>,
    pass: Pass,
    i: number,
    mode: Mode,
    routeValue: unknown,
    started: number,
  ): Promise<Decision> {
    return run.then((settled) => {
      const session = pass.session;
      session.outcomes[i] = settled;
      session.routeValues[i] = routeValue;
      session.attestations[i] = session.ctx.attestation;
      return record(pass, i, mode, settled, timed ? lap(pass, started) : undefined) ? conclude(pass) : resume(pass, i + 1);
    });
  }

  /** Adds the result of verifier `i` to the pass; true when it denies in enforce mode (the loop stops there). */
  function record(pass: Pass, i: number, mode: Mode, outcome: VerifierOutcome | Failure, durationMs: number | undefined): boolean {
    return verifierResults.record(pass, i, verifiers[i]!.failOpen === true, mode, outcome, durationMs);
  }

  function conclude(pass: Pass): Decision {
    const { session, denied } = pass;
    const ctx = session.ctx;
    const complete = !pass.pending || denied !== undefined;
    const decision = decide(denied === undefined, denied ?? pass.monitored, undefined, ctx.route.mode ?? resolved.mode, ctx.ip, pass.finalResults(), complete, session);
    return finish(ctx.request, decision, pass.notify);
  }

  function finish(request: ShieldRequest, decision: Decision, notify = true): Decision {
    // A held decision leads back to the ShieldRequest it checked: the framework object holding the parsed query (read
    // during the check only) must not stay reachable through it (test/adapters/*-retention.test.ts).
    if (request?.parsedQueryFrom !== undefined) request.parsedQueryFrom = undefined;
    if (notify) notifyDecision(decision, request);
    return decision;
  }

  function notifyDecision(decision: Decision, request: ShieldRequest): void {
    if (!decision.complete || !resolved.onDecision) return;
    const session = ShieldDecision.sessionOf(decision);
    if (session !== undefined) {
      // Reported when the request ended without its body stage (`notifyFinal`): a body stage run after is no news.
      if (session.ended) return;
      session.reported = true;
    }
    try {
      ignoreHookResult(resolved.onDecision(decision, redactor.redact(request, session?.ctx.route)));
    } catch {
      // Logging must never break a request.
    }
  }

  /**
   * `notify`: the decision an adapter keeps as final once the request ended. One still waiting for its body stage
   * (`complete: false`) will never have it (the app's parser refused the body, the client hung up mid-body): its header
   * stage's decision is then the request's final one, reported as complete, once, and only if nothing of the request
   * was reported before (`onDecision` hears a request once, and `complete: false` ones never).
   */
  function notifyFinal(decision: Decision, request: ShieldRequest): void {
    const session = decision.complete ? undefined : ShieldDecision.sessionOf(decision);
    if (session === undefined) return notifyDecision(decision, request);
    if (session.ended || session.laterStage || !resolved.onDecision) return;
    if (!session.reported) {
      const { code } = decision;
      const denial = code === undefined ? undefined : { code, retryAfter: decision.retryAfter, rateLimit: decision.rateLimit };
      notifyDecision(decide(decision.allowed, denial, undefined, decision.mode, decision.ip, decision.results, true, session), request);
    }
    session.ended = true;
  }

  /** Gives one listener the outcome; settles once it has heard it, failed or timed out (reported to `onError`). */
  function tell(verifier: Verifier, session: Session, outcome: RequestOutcome, decision: Decision): Promise<void> {
    let heard: unknown;
    try {
      heard = verifier.onResponse?.(session.ctx, outcome);
    } catch (error) {
      onError(error, verifier, decision.reference);
      return DONE;
    }
    if (typeof (heard as PromiseLike<void> | undefined)?.then !== 'function') return DONE;
    const timeoutMs = verifier.timeoutMs ?? resolved.verifierTimeoutMs;
    return deadlines
      .race(Promise.resolve(heard as PromiseLike<void>), timeoutMs, () => new VerifierTimeoutError(`verifier "${verifier.name}" onResponse timed out after ${timeoutMs} ms`))
      .then(undefined, (error: unknown) => onError(error, verifier, decision.reference));
  }

  /** True when the verifier at `i` ran for this request and wants to hear how it ended. */
  const listensAt = (session: Session, i: number): boolean => verifiers[i]!.onResponse !== undefined && session.outcomes[i] !== undefined;

  /** The verifiers that ran for a request and want to hear how it ended. */
  const listeners = (session: Session): Verifier[] => verifiers.filter((_, i) => listensAt(session, i));

  /** `listeners(session).length > 0` without the array: asked once per request by the adapters. */
  function hasListener(session: Session): boolean {
    for (let i = 0; i < verifiers.length; i++) if (listensAt(session, i)) return true;
    return false;
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
    checkNow,
    notify: notifyFinal,
    ownerOf: (value) => ShieldDecision.sessionOf(value)?.shield,
    parseRouteOptions: (route, where) => routes.parse(route, where),
    respond(decision, request) {
      // The adapter answers the denial now: no handler runs, so no status will tell a waiting verifier how it ended.
      if (hasOutcomeListeners && !decision.allowed) void self.reportOutcome(decision, 'refused');
      const response = problemResponse(decision, codeTable, problemType, problemDetails);
      if (!resolved.onDeny) return response;
      try {
        return usableDenyResponse(resolved.onDeny(decision, request, response), response);
      } catch {
        return response;
      }
    },
    async reportOutcome(decision, outcome) {
      const session = ShieldDecision.sessionOf(decision);
      if (!session || session.outcomeTaken) return;
      // Anything else is ignored (not thrown: adapters do not await this), so it cannot take the status's place.
      if (!isRequestOutcome(outcome)) return;
      session.outcomeTaken = true;
      // Side by side, each within its verifier's deadline: one listener that never settles must neither hang the caller
      // (`await reportLoginOutcome`) nor keep the outcome from the others (the credential verifier's counters).
      await Promise.all(listeners(session).map((verifier) => tell(verifier, session, outcome, decision)));
    },
    wantsOutcome(decision) {
      if (!hasOutcomeListeners) return false;
      const session = ShieldDecision.sessionOf(decision);
      return session !== undefined && !session.outcomeTaken && hasListener(session);
    },
  };
  for (const [key, api] of apis) {
    if (key in self) throw new ShieldConfigError([{ path: `modules.${key}`, message: 'a module API cannot take the name of a shield property' }]);
    Object.defineProperty(self, key, { value: api, enumerable: true });
  }
  return self;
}

const NO_RESULTS: readonly VerifierResult[] = Object.freeze([]);
const DONE: Promise<void> = Promise.resolve();

/** Ends a verifier's timing: its duration since `started`, and the pass's clock moved to now. */
function lap(pass: Pass, started: number): number {
  pass.clock = performance.now();
  return pass.clock - started;
}

/**
 * The time a verifier took when its outcome was computed by an earlier check of the same request: read from that
 * decision's result (every decision of a session lists every outcome it had), so no per-request array is kept.
 */
function previousDuration(previous: Decision | undefined, verifier: string): number {
  for (const earlier of previous?.results ?? NO_RESULTS) if (earlier.verifier === verifier) return earlier.durationMs ?? 0;
  return 0;
}
