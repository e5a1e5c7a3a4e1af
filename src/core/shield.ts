import { randomUUID } from 'node:crypto';
import { MemoryStore } from '../stores/memory.js';
import { parseBody } from './body.js';
import type { Store } from '../stores/store.js';
import { createCredentialAbuseVerifier } from '../verifiers/credential-abuse/index.js';
import { createDeviceRiskVerifier, DEVICE_RISK_MEMO_KEY, type DeviceRiskMemo } from '../verifiers/device-risk/verifier.js';
import { createPayloadShieldVerifier } from '../verifiers/payload-shield/verifier.js';
import { createTokenVerifier } from '../verifiers/token/token-verifier.js';
import { createClientIpResolver, type ClientIpResolver } from './client-ip.js';
import { SHIELD_CODES } from './codes.js';
import { parseShieldConfig, type ResolvedShieldConfig, type ShieldConfig } from './config.js';
import type { Decision, VerifierResult } from './decision.js';
import { ShieldConfigError, ShieldDenyError } from './errors.js';
import { problemResponse, type ProblemResponse } from './problem.js';
import type { ShieldRequest } from './request.js';
import type { Mode, ResolvedRouteOptions, RouteOptions } from './route-options.js';
import { RouteTable } from './route-table.js';
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
  /** The most body bytes the shield reads when it has to read the body itself. */
  readonly bodyLimitBytes: number;
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
  /** When the shield read and parsed the body itself: the parsed value, for the adapter to hand to the app. */
  parsedBody(decision: Decision): { value: unknown } | undefined;
}

/** Per-request state kept between the stages and re-checks of one request; hidden on the Decision. */
interface Session {
  /** The shield that made the decision, so `reportLoginOutcome` needs nothing but the decision. */
  readonly shield: Shield;
  readonly ctx: Context;
  readonly done: Map<Verifier, { routeValue: unknown; outcome: VerifierOutcome | Failure }>;
  readonly applied: Set<Verifier>;
  body: { value: unknown } | undefined;
  bodyReadByShield: boolean;
  outcomeTaken: boolean;
}

interface Failure {
  readonly outcome: 'error';
  readonly error: unknown;
}

const SESSION = Symbol('mobile-api-shield.session');
const DEFAULT_BODY_LIMIT = 1_048_576;
const EMPTY_ROUTE: ResolvedRouteOptions = Object.freeze({});
const DISABLED = false as const;

/** Keys of RouteOptions that hold option objects merged one level deep. */
function mergeRoute(base: ResolvedRouteOptions, over: RouteOptions): ResolvedRouteOptions {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prior = merged[key];
    merged[key] =
      isPlainObject(prior) && isPlainObject(value) ? { ...prior, ...value } : value;
  }
  return Object.freeze(merged) as ResolvedRouteOptions;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

class Context implements VerifierContext {
  attestation: Attestation | undefined = undefined;
  readonly memo = new Map<string, unknown>();
  route: ResolvedRouteOptions;
  request: ShieldRequest;
  readonly ip: string;
  readonly fromTrustedProxy: boolean;
  readonly now: number;
  /** Set by the shield before body-stage verifiers run. */
  session!: Session;

  constructor(request: ShieldRequest, route: ResolvedRouteOptions, ip: string, fromTrustedProxy: boolean, now: number) {
    this.request = request;
    this.route = route;
    this.ip = ip;
    this.fromTrustedProxy = fromTrustedProxy;
    this.now = now;
  }

  body(): Promise<unknown> {
    const state = this.session.body;
    return state ? Promise.resolve(state.value) : Promise.resolve(undefined);
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
  if (resolved.device) build('device', () => createDeviceRiskVerifier(resolved.device!, { store }));
  if (resolved.credentials) build('credentials', () => createCredentialAbuseVerifier(resolved.credentials!, { store, ipResolver }));
  if (resolved.payload) build('payload', () => createPayloadShieldVerifier(resolved.payload));
  verifiers.push(...resolved.verifiers);
  const bodyLimitBytes = DEFAULT_BODY_LIMIT;

  const tableResolved = new Map<unknown, ResolvedRouteOptions | typeof DISABLED>();
  const mergedByRoute = new WeakMap<object, Map<unknown, ResolvedRouteOptions>>();

  function resolveRoute(request: ShieldRequest, route: RouteOptions | false | undefined): ResolvedRouteOptions | false {
    const entry = table.match(request.method, request.path);
    if (route === false) return DISABLED;
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

  async function runVerifier(verifier: Verifier, ctx: Context, reference: string): Promise<VerifierOutcome | Failure> {
    try {
      const result = verifier.verify(ctx);
      if (!(result instanceof Promise)) return result;
      const timeoutMs = verifier.timeoutMs ?? resolved.verifierTimeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`verifier "${verifier.name}" timed out after ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        return await Promise.race([result, timeout]);
      } finally {
        clearTimeout(timer);
      }
    } catch (error) {
      const denyCode = denyCodeOf(error);
      if (denyCode) return { outcome: 'deny', code: denyCode, detail: (error as Error).message };
      try {
        resolved.onError?.(error, { verifier: verifier.name, reference });
      } catch {
        // A failing error hook must not turn into a failing request.
      }
      return { outcome: 'error', error };
    }
  }

  async function loadBody(session: Session): Promise<VerifierOutcome | undefined> {
    if (session.body) return undefined;
    const request = session.ctx.request;
    if (request.body !== undefined || !request.readBody) {
      session.body = { value: request.body };
      return undefined;
    }
    try {
      const raw = await request.readBody(bodyLimitBytes);
      const contentType = request.headers['content-type'];
      session.body = {
        value: raw === undefined ? undefined : parseBody(raw, typeof contentType === 'string' ? contentType : undefined),
      };
      session.bodyReadByShield = true;
      return undefined;
    } catch (error) {
      const code = denyCodeOf(error);
      session.body = { value: undefined };
      return { outcome: 'deny', code: code ?? 'payload_malformed', detail: 'body could not be read' };
    }
  }

  async function check(request: ShieldRequest, route?: RouteOptions | false, options?: CheckOptions): Promise<Decision> {
    const stage = options?.stage ?? 'all';
    const previous = options?.previous ? (options.previous as DecisionWithSession)[SESSION] : undefined;
    const reference = options?.previous?.reference ?? randomUUID();
    const routeOptions = resolveRoute(request, route);
    const client = previous ? undefined : ipResolver.resolve(request.ip, request.headers);
    const ip = previous?.ctx.ip ?? (client as { ip: string }).ip;
    if (routeOptions === DISABLED) {
      return finish(request, { allowed: true, reference, mode: resolved.mode, ip, results: [], complete: true }, undefined, options?.notify);
    }
    const session: Session = previous ?? {
      shield: self,
      ctx: new Context(request, routeOptions, ip, client?.fromTrustedProxy === true, Date.now()),
      done: new Map(),
      applied: new Set(),
      body: undefined,
      bodyReadByShield: false,
      outcomeTaken: false,
    };
    const ctx = session.ctx;
    ctx.session = session;
    ctx.route = routeOptions;
    ctx.request = request;
    const results: VerifierResult[] = [];
    let denied: { outcome: VerifierOutcome & { outcome: 'deny' }; mode: Mode } | undefined;
    let monitored: (VerifierOutcome & { outcome: 'deny' }) | undefined;
    let pending = false;

    for (const verifier of verifiers) {
      const mode = modeFor(verifier, routeOptions);
      if (mode === 'off' || (verifier.appliesTo && !verifier.appliesTo(routeOptions, request))) {
        results.push({ verifier: verifier.name, outcome: 'skip', mode: mode === 'off' ? resolved.mode : mode });
        continue;
      }
      const bodyStage = verifier.stage === 'body';
      if (bodyStage && stage === 'headers') {
        pending = true;
        continue;
      }
      const routeValue = (routeOptions as Record<string, unknown>)[routeKeyOf(verifier)];
      const prior = session.done.get(verifier);
      let outcome: VerifierOutcome | Failure;
      if (prior && prior.routeValue === routeValue) {
        outcome = prior.outcome;
      } else {
        if (bodyStage && !session.body) {
          const bodyDenied = await loadBody(session);
          if (bodyDenied) {
            outcome = bodyDenied;
            session.done.set(verifier, { routeValue, outcome });
            session.applied.add(verifier);
            results.push(toResult(verifier, outcome, 'enforce'));
            // Enforced whatever the mode: a body that could not be read cannot be handed to the application either.
            denied = { outcome: bodyDenied as VerifierOutcome & { outcome: 'deny' }, mode: 'enforce' };
            break;
          }
        }
        outcome = await runVerifier(verifier, ctx, reference);
        session.done.set(verifier, { routeValue, outcome });
      }
      session.applied.add(verifier);
      let effective: VerifierOutcome | undefined = outcome.outcome === 'error' ? undefined : outcome;
      if (outcome.outcome === 'error') {
        const failOpen = verifier.failOpen === true;
        results.push({
          verifier: verifier.name,
          outcome: 'error',
          detail: errorDetail(outcome.error),
          mode,
          ...(failOpen ? {} : { code: 'shield_unavailable' as const }),
        });
        if (failOpen) continue;
        effective = { outcome: 'deny', code: 'shield_unavailable', detail: `verifier "${verifier.name}" failed` };
      } else {
        results.push(toResult(verifier, outcome, mode));
      }
      if (effective && effective.outcome === 'deny') {
        if (mode === 'enforce') {
          denied = { outcome: effective, mode };
          break;
        }
        monitored ??= effective;
      }
    }

    const routeMode = routeOptions.mode ?? resolved.mode;
    const complete = !pending || denied !== undefined;
    const base = { reference, mode: routeMode, ip, results, complete };
    let decision: Decision;
    if (denied) {
      const { code, retryAfter } = denied.outcome;
      decision = { allowed: false, status: SHIELD_CODES[code].status, code, ...base, ...(retryAfter !== undefined ? { retryAfter } : {}), ...attestationOf(ctx) };
    } else if (monitored) {
      decision = { allowed: true, status: SHIELD_CODES[monitored.code].status, code: monitored.code, ...base, ...attestationOf(ctx) };
    } else {
      decision = { allowed: true, ...base, ...attestationOf(ctx) };
    }
    return finish(request, decision, session, options?.notify);
  }

  function finish(request: ShieldRequest, decision: Decision, session: Session | undefined, notify = true): Decision {
    if (session) Object.defineProperty(decision, SESSION, { value: session, enumerable: false });
    if (notify) notifyDecision(decision, request);
    return decision;
  }

  function notifyDecision(decision: Decision, request: ShieldRequest): void {
    if (!decision.complete || !resolved.onDecision) return;
    try {
      resolved.onDecision(decision, request);
    } catch {
      // Logging must never break a request.
    }
  }

  const self: Shield = {
    config: resolved,
    store,
    bodyLimitBytes,
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
      const session = (decision as DecisionWithSession)[SESSION];
      if (!session || session.outcomeTaken) return;
      session.outcomeTaken = true;
      for (const verifier of session.applied) {
        if (!verifier.onResponse) continue;
        try {
          await verifier.onResponse(session.ctx, outcome);
        } catch (error) {
          try {
            resolved.onError?.(error, { verifier: verifier.name, reference: decision.reference });
          } catch {
            // ignore: see onDecision
          }
        }
      }
    },
    wantsOutcome(decision) {
      const session = (decision as DecisionWithSession)[SESSION];
      if (!session || session.outcomeTaken) return false;
      for (const verifier of session.applied) if (verifier.onResponse) return true;
      return false;
    },
    parsedBody(decision) {
      const session = (decision as DecisionWithSession)[SESSION];
      return session?.bodyReadByShield ? session.body : undefined;
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
  const decision = findDecision(target);
  const session = decision ? (decision as DecisionWithSession)[SESSION] : undefined;
  if (!decision || !session) return Promise.resolve();
  return session.shield.reportOutcome(decision, outcome);
}

function findDecision(target: unknown): Decision | undefined {
  if (typeof target !== 'object' || target === null) return undefined;
  if (SESSION in target) return target as unknown as Decision;
  const direct = (target as { shield?: unknown }).shield;
  if (typeof direct === 'object' && direct !== null && SESSION in direct) return direct as unknown as Decision;
  const state = (target as { state?: { shield?: unknown } }).state?.shield;
  if (typeof state === 'object' && state !== null && SESSION in state) return state as unknown as Decision;
  return undefined;
}

type DecisionWithSession = Decision & { [SESSION]?: Session };

/** The RouteOptions key a verifier reads: a change there means the verifier must run again for a re-check. */
function routeKeyOf(verifier: Verifier): string {
  switch (verifier.name) {
    case 'payload-shield':
      return 'payload';
    case 'credential-abuse':
      return 'credentials';
    case 'device-risk':
      return 'device';
    default:
      return verifier.name;
  }
}

function toResult(verifier: Verifier, outcome: VerifierOutcome, mode: Mode): VerifierResult {
  if (outcome.outcome === 'deny') {
    return { verifier: verifier.name, outcome: 'deny', code: outcome.code, mode, ...(outcome.detail ? { detail: outcome.detail } : {}) };
  }
  return { verifier: verifier.name, outcome: outcome.outcome, mode, ...(outcome.detail ? { detail: outcome.detail } : {}) };
}

const NO_EXTRAS = Object.freeze({});

/** What verifiers found that the Decision exposes: the verified attestation and the device verdict. */
function attestationOf(ctx: Context): { attestation?: Attestation; device?: DeviceRiskMemo } {
  const device = ctx.memo.get(DEVICE_RISK_MEMO_KEY) as DeviceRiskMemo | undefined;
  if (device) return ctx.attestation ? { attestation: ctx.attestation, device } : { device };
  return ctx.attestation ? { attestation: ctx.attestation } : NO_EXTRAS;
}

function denyCodeOf(error: unknown): keyof typeof SHIELD_CODES | undefined {
  if (error instanceof ShieldDenyError) return error.code;
  const code = (error as { code?: unknown; name?: unknown } | null)?.code;
  if ((error as { name?: unknown } | null)?.name === 'BodyError' && typeof code === 'string' && code in SHIELD_CODES) {
    return code as keyof typeof SHIELD_CODES;
  }
  return undefined;
}

/** A short, secret-free description of an error for the Decision (class and code, never the message body). */
function errorDetail(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.name} ${code}` : `${error.name}: ${error.message.slice(0, 120)}`;
  }
  return 'non-error thrown';
}
