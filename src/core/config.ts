import { z } from 'zod';
import { credentialAbuseOptionsSchema, credentialRouteOptionsSchema } from '../verifiers/credential-abuse/options.js';
import { deviceRiskOptionsSchema, deviceRouteOptionsSchema } from '../verifiers/device-risk/options.js';
import { payloadRouteOptionsSchema, payloadShieldOptionsSchema } from '../verifiers/payload-shield/options.js';
import { tokenOptionsSchema, tokenRouteOptionsSchema } from '../verifiers/token/config.js';
import { channelOptionsSchema } from '../verifiers/channel/options.js';
import { clientIpOptionsSchema } from './client-ip.js';
import { routeKeyProblem } from './route-table.js';
import { headerNameSchema, storeSchema } from './schemas.js';
import type { Decision } from './decision.js';
import { ShieldConfigError } from './errors.js';
import type { ProblemResponse } from './problem.js';
import type { LoggedRequest } from './redact.js';
import type { ShieldRequest } from './request.js';
import type { RouteOptions } from './route-options.js';
import type { Verifier } from './verifier.js';

const modeSchema = z.enum(['enforce', 'monitor']);
const fn = <T>(what: string) => z.custom<T>((v) => typeof v === 'function', `${what} must be a function`);

/** Schema of per-route options, shared by the `routes` table and the adapters' route arguments. */
export const routeOptionsSchema = z
  .object({
    mode: modeSchema.optional(),
    verifiers: z.record(z.string().min(1), z.enum(['enforce', 'monitor', 'off'])).optional(),
    token: z.union([tokenRouteOptionsSchema, z.literal(false)]).optional(),
    device: z.union([deviceRouteOptionsSchema, z.literal(false)]).optional(),
    credentials: credentialRouteOptionsSchema.optional(),
    payload: payloadRouteOptionsSchema.optional(),
  })
  .strict();

const routePattern = z.string().superRefine((key, ctx) => {
  const problem = routeKeyProblem(key);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `route key "${key}": ${problem}` });
});

const verifierSchema = z.custom<Verifier>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as Verifier).name === 'string' &&
    typeof (v as Verifier).verify === 'function',
  'must be a verifier object { name, verify(ctx) }',
);

/** The shield configuration schema; `createShield` validates against it once, at construction. */
export const shieldConfigSchema = z
  .object({
    /** Global mode; routes and verifiers may override it. */
    mode: modeSchema.default('enforce'),
    /** The attestation-token verifier. Omit it to run without token checks. */
    token: tokenOptionsSchema.optional(),
    /** Channel integrity: refuse tokens whose pin-set version claim is older than `minPinSetVersion`. */
    channel: channelOptionsSchema.optional(),
    /** Device and app integrity (Play Integrity, App Attest, token claims) and the device policy. */
    device: deviceRiskOptionsSchema.optional(),
    /** Credential-stuffing defence on login routes. */
    credentials: credentialAbuseOptionsSchema.optional(),
    /** The payload shield (limits, schemas, injection detection, virtual patches). */
    payload: payloadShieldOptionsSchema.optional(),
    /** Client IP resolution: `trustProxy`, `ipv4Prefix`, `ipv6Prefix`, `proxyHeader`. */
    ...clientIpOptionsSchema.shape,
    /** Route table: `'METHOD /path/:param'` → route options, or `false` to exempt the route. */
    routes: z
      .record(routePattern, z.union([routeOptionsSchema, z.literal(false)]))
      .optional(),
    /** Shared state for replay, counters and lockouts. Default: an in-process MemoryStore. */
    store: storeSchema.optional(),
    /** Extra verifiers, run after the built-in ones in the given order. */
    verifiers: z.array(verifierSchema).default([]),
    /** A verifier still pending after this many ms counts as an error (fail closed unless it fails open). */
    verifierTimeoutMs: z.number().int().positive().max(60_000).default(3_000),
    /**
     * Called once per request with the final decision (allowed or not), for logging and metrics. It never sees a
     * token or secret: the request view has no body or query, and credential and proof headers are masked.
     */
    onDecision: fn<(decision: Decision, request: LoggedRequest) => void>('onDecision').optional(),
    /** More header names to mask in what `onDecision` sees (credentials and proof headers are always masked). */
    redactHeaders: z.array(headerNameSchema).default([]),
    /**
     * More header names `onDecision` may show in clear, on top of the default allow-list (content and protocol
     * metadata, forwarding and tracing headers). Every other header is masked. A header a verifier reads as a
     * credential or binding input stays masked whatever this says.
     */
    logHeaders: z.array(headerNameSchema).default([]),
    /** Shapes the denial response; return undefined to keep the default problem+json. */
    onDeny: fn<(decision: Decision, request: ShieldRequest, response: ProblemResponse) => ProblemResponse | undefined>(
      'onDeny',
    ).optional(),
    /** Told about verifier errors and timeouts (which deny as `shield_unavailable` unless failing open). */
    onError: fn<(error: unknown, info: { verifier: string; reference: string }) => void>('onError').optional(),
  })
  .strict();

/** The shield configuration as users write it. */
export type ShieldConfig = Omit<z.input<typeof shieldConfigSchema>, 'routes'> & {
  routes?: Record<string, RouteOptions | false>;
};
/** The configuration after validation and defaults. */
export type ResolvedShieldConfig = z.output<typeof shieldConfigSchema>;

/** Validates a config, throwing `ShieldConfigError` that names every bad path. */
export function parseShieldConfig(config: unknown): ResolvedShieldConfig {
  const result = shieldConfigSchema.safeParse(config);
  if (!result.success) throw new ShieldConfigError(formatIssues(result.error.issues));
  return result.data;
}

/** Validates adapter-level route options (at middleware construction, not per request). */
export function parseRouteOptions(route: unknown, where: string): RouteOptions | false {
  if (route === false) return false;
  const result = routeOptionsSchema.safeParse(route ?? {});
  if (!result.success) {
    throw new ShieldConfigError(
      formatIssues(result.error.issues).map((i) => ({ path: i.path ? `${where}.${i.path}` : where, message: i.message })),
    );
  }
  return route as RouteOptions;
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
