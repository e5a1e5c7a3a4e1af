import * as z from 'zod/mini';
import { clientIpOptionsSchema } from './client-ip.js';
import { PROBLEM_TYPE_BASE, problemTypeBaseProblem } from './codes.js';
import { routeKeyProblem } from './route-table.js';
import { headerNameSchema, storeSchema } from './schemas.js';
import { ENGLISH } from './zod-locale.js';
import type { Decision } from './decision.js';
import { ShieldConfigError } from './errors.js';
import type { VerifierModule } from './module.js';
import type { ProblemResponse } from './problem.js';
import type { LoggedRequest } from './redact.js';
import type { ShieldRequest } from './request.js';
import type { RouteOptions } from './route-options.js';
import type { Verifier } from './verifier.js';

const modeSchema = z.enum(['enforce', 'monitor']);
const fn = <T>(what: string) => z.custom<T>((v) => typeof v === 'function', `${what} must be a function`);

const routePattern = z.string().check(z.superRefine((key, ctx) => {
  const problem = routeKeyProblem(key);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `route key "${key}": ${problem}` });
}));

const problemTypeBaseSchema = z.string().check(z.superRefine((base, ctx) => {
  const problem = problemTypeBaseProblem(base);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
}));

/** The largest `verifierTimeoutMs`: a shield's default deadline for a pending verify. */
const MAX_VERIFIER_TIMEOUT_MS = 60_000;

/**
 * The largest `timeoutMs` a verifier may declare. Above the shield default's maximum because a verifier's deadline
 * may wrap an inner one of the same range plus slack (the token verifier: `jwksTimeoutMs` + 1 s).
 */
const MAX_OWN_TIMEOUT_MS = 2 * MAX_VERIFIER_TIMEOUT_MS;

/** The Verifier members that are functions when present (`verify` is required, checked apart). */
const OPTIONAL_METHODS = ['wantsRawBody', 'appliesTo', 'checkRouteOptions', 'sensitiveHeaders', 'onResponse'] as const;

/**
 * Why `value` is not a {@link Verifier}, or undefined when it is one. Checked once at `createShield` for every
 * verifier, plain or built by a module: the loop trusts these fields per request, and a wrong one fails silently
 * there (`mode: 'block'` reads as monitor, so fails open; `timeoutMs: Infinity` or `'100'` never times out).
 */
export function verifierProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'must be a verifier object { name, verify(ctx) }';
  const v = value as Record<string, unknown>;
  if (typeof v.name !== 'string') return 'must be a verifier object { name, verify(ctx) }';
  const named = `verifier ${JSON.stringify(v.name.slice(0, 64))}`;
  if (typeof v.verify !== 'function') return `${named}: verify must be a function`;
  for (const method of OPTIONAL_METHODS) {
    if (v[method] !== undefined && typeof v[method] !== 'function') return `${named}: ${method} must be a function`;
  }
  if (v.mode !== undefined && v.mode !== 'enforce' && v.mode !== 'monitor') return `${named}: mode must be 'enforce' or 'monitor'`;
  if (v.stage !== undefined && v.stage !== 'headers' && v.stage !== 'body') return `${named}: stage must be 'headers' or 'body'`;
  if (v.failOpen !== undefined && typeof v.failOpen !== 'boolean') return `${named}: failOpen must be a boolean`;
  if (v.modeFollows !== undefined && typeof v.modeFollows !== 'string') return `${named}: modeFollows must be a verifier name`;
  const t = v.timeoutMs;
  if (t !== undefined && !(typeof t === 'number' && Number.isInteger(t) && t > 0 && t <= MAX_OWN_TIMEOUT_MS)) {
    return `${named}: timeoutMs must be an integer of milliseconds from 1 to ${MAX_OWN_TIMEOUT_MS}`;
  }
  return undefined;
}

const verifierSchema = z.custom<Verifier>().check(
  z.superRefine((value, ctx) => {
    const problem = verifierProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  }),
);

const moduleSchema = z.custom<VerifierModule>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as VerifierModule).key === 'string' &&
    typeof (v as VerifierModule).create === 'function' &&
    isZodSchema((v as VerifierModule).configSchema),
  'must be a verifier module { key, configSchema, create(config, deps) }',
);

/** The engine's own options, shared by every shield whatever its modules. */
const baseShape = {
  /** Global mode; routes and verifiers may override it. */
  mode: z._default(modeSchema, 'enforce'),
  /** Client IP resolution: `trustProxy`, `ipv4Prefix`, `ipv6Prefix`, `proxyHeader`. */
  ...clientIpOptionsSchema.shape,
  /** Shared state for replay, counters and lockouts. Default: an in-process MemoryStore. */
  store: z.optional(storeSchema),
  /** Your own verifier modules, run with the built-in ones in `order` (see `VerifierModule`). */
  modules: z._default(z.array(moduleSchema), []),
  /** Plain verifier objects, run after every module in the given order (route options cannot reach them). */
  verifiers: z._default(z.array(verifierSchema), []),
  /** A verifier still pending after this many ms counts as an error (fail closed unless it fails open). */
  verifierTimeoutMs: z._default(z.number().check(z.int(), z.positive(), z.maximum(MAX_VERIFIER_TIMEOUT_MS)), 3_000),
  /**
   * Called once per request with the final decision (allowed or not), for logging and metrics. It never sees a
   * token or secret: the request view has no body or query, and credential and proof headers are masked.
   */
  onDecision: z.optional(fn<(decision: Decision, request: LoggedRequest) => void>('onDecision')),
  /**
   * Time each verifier into `decision.results[].durationMs`. Default: on when `onDecision` is set (the hook that reads
   * them), off otherwise, which saves the clock reads (about one per verifier that runs) on every request.
   */
  timings: z.optional(z.boolean()),
  /** More header names to mask in what `onDecision` sees (credentials and proof headers are always masked). */
  redactHeaders: z._default(z.array(headerNameSchema), []),
  /**
   * More header names `onDecision` may show in clear, on top of the default allow-list (content and protocol
   * metadata, forwarding and tracing headers). Every other header is masked. A header a verifier reads as a
   * credential or binding input stays masked whatever this says.
   */
  logHeaders: z._default(z.array(headerNameSchema), []),
  /** Shapes the denial response; return undefined to keep the default problem+json. */
  onDeny: z.optional(fn<(decision: Decision, request: ShieldRequest, response: ProblemResponse) => ProblemResponse | undefined>(
    'onDeny',
  )),
  /**
   * Where the `type` URI of every denial points: `<base><code>.md` (the shipped `docs/problems/` pages), or the base
   * with `{code}` replaced. An absolute https URL; the default is the repository's `docs/problems/` on GitHub.
   */
  problemTypeBase: z._default(problemTypeBaseSchema, PROBLEM_TYPE_BASE),
  /** Told about verifier errors and timeouts (which deny as `shield_unavailable` unless failing open). */
  onError: z.optional(fn<(error: unknown, info: { verifier: string; reference: string }) => void>('onError')),
};

const baseConfigSchema = z.object(baseShape);

/** The engine's options as users write them (the composition root adds one section per module). */
export type BaseShieldConfig = Omit<z.input<typeof baseConfigSchema>, 'modules'> & {
  /** Your own verifier modules (see `VerifierModule`). */
  modules?: readonly VerifierModule[];
  /** Route table: `'METHOD /path/:param'` → route options, or `false` to exempt the route. */
  routes?: Record<string, RouteOptions | false>;
};

/** What the engine is given: its own options plus one section per module, each validated by its module's schema. */
export type ShieldConfig = BaseShieldConfig & { readonly [moduleKey: string]: unknown };

/** The configuration after validation and defaults; module sections hold what each module's schema produced. */
export type ResolvedShieldConfig = z.output<typeof baseConfigSchema> & {
  routes?: Record<string, RouteOptions | false>;
} & Readonly<Record<string, unknown>>;

/** The config and route-option schemas of one set of modules. */
export interface ComposedSchemas {
  readonly config: z.ZodMiniType;
  readonly route: z.ZodMiniType;
}

/**
 * Composes the shield's config and route-option schemas from the engine's own options and each module's sections,
 * so a module's options are validated exactly like the built-in ones (unknown keys are errors everywhere).
 */
export function composeSchemas(modules: readonly VerifierModule[]): ComposedSchemas {
  const routeShape: Record<string, z.core.$ZodType> = {
    mode: z.optional(modeSchema),
    verifiers: z.optional(z.record(z.string().check(z.minLength(1)), z.enum(['enforce', 'monitor', 'off']))),
  };
  const configShape: Record<string, z.core.$ZodType> = { ...baseShape };
  for (const module of modules) {
    configShape[module.key] = z.optional(module.configSchema);
    routeShape[module.key] = z.optional(module.routeSchema ? z.union([module.routeSchema, z.literal(false)]) : z.literal(false));
  }
  const route = z.strictObject(routeShape);
  configShape.routes = z.optional(z.record(routePattern, z.union([route, z.literal(false)])));
  return { config: z.strictObject(configShape), route };
}

/**
 * True for a zod 4 schema, classic or mini (both carry `_zod`), which a module's schemas must be: they are composed
 * into the shield's own schema.
 */
export function isZodSchema(value: unknown): value is z.core.$ZodType {
  return typeof value === 'object' && value !== null && typeof (value as { _zod?: unknown })._zod === 'object';
}

/** Validates a config, throwing `ShieldConfigError` that names every bad path. */
export function parseShieldConfig(config: unknown, schemas: ComposedSchemas): ResolvedShieldConfig {
  const result = schemas.config.safeParse(config, ENGLISH);
  if (!result.success) throw new ShieldConfigError(formatIssues(result.error.issues));
  return result.data as ResolvedShieldConfig;
}

/** Validates adapter-level route options (at middleware construction, not per request). */
export function parseRouteOptions(route: unknown, where: string, schemas: ComposedSchemas): RouteOptions | false {
  if (route === false) return false;
  const result = schemas.route.safeParse(route ?? {}, ENGLISH);
  if (!result.success) {
    throw new ShieldConfigError(
      formatIssues(result.error.issues).map((i) => ({ path: i.path ? `${where}.${i.path}` : where, message: i.message })),
    );
  }
  return route as RouteOptions;
}

/**
 * Throws `ShieldConfigError` for route options naming a verifier the shield does not run (`verifiers: { tokn: ... }`)
 * or that a verifier's `checkRouteOptions` refuses; returns them otherwise.
 */
export function checkRouteOptionsWith<R extends RouteOptions | false>(verifiers: readonly Verifier[], route: R, where: string): R {
  if (route === false) return route;
  // A misspelt name (`tokn`, `device` for `device-risk`) would leave the route under the mode it meant to change.
  for (const name of Object.keys(route.verifiers ?? {})) {
    if (!verifiers.some((v) => v.name === name || v.modeFollows === name)) {
      const names = [...new Set(verifiers.map((v) => v.name))].join(', ') || 'none';
      throw new ShieldConfigError([{ path: `${where}.verifiers.${name}`, message: `no verifier of this shield is named ${JSON.stringify(name)} (it runs: ${names})` }]);
    }
  }
  for (const verifier of verifiers) {
    const problem = verifier.checkRouteOptions?.(route);
    if (problem !== undefined) throw new ShieldConfigError([{ path: where, message: problem }]);
  }
  return route;
}

function formatIssues(issues: readonly z.core.$ZodIssue[]): { path: string; message: string }[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'invalid_union' && 'errors' in issue && issue.errors.length > 0) {
      // Report the branch that got furthest rather than zod's generic "invalid input".
      const best = [...issue.errors].sort((a, b) => maxDepth(b) - maxDepth(a))[0] ?? [];
      const nested = formatIssues(best.map((i) => ({ ...i, path: [...issue.path, ...i.path] })));
      if (nested.length > 0) return nested;
    }
    if (issue.code === 'invalid_key' && issue.issues.length > 0) {
      // A bad record key (a route key): say what is wrong with it rather than zod's "Invalid key in record".
      return issue.issues.map((i) => ({ path: issue.path.map(String).join('.'), message: i.message }));
    }
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({ path: [...issue.path, k].map(String).join('.'), message: 'unknown option' }));
    }
    return [{ path: issue.path.map(String).join('.'), message: issue.message }];
  });
}

function maxDepth(issues: readonly z.core.$ZodIssue[]): number {
  return issues.reduce((m, i) => Math.max(m, i.path.length + (i.code === 'invalid_type' ? 0 : 1)), 0);
}
