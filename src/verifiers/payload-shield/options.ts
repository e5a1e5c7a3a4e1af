/**
 * Options of the payload shield (`payload` in the shield config, `payload` in route options) and their zod v4
 * schema. Route options are merged over the global ones and compiled once per distinct route-options object.
 */
import { z } from 'zod';
import { DEFAULT_LIMITS, type PayloadLimits } from './limits.js';
import { unsafeRegexReason } from './safe-regex.js';
import { CATEGORIES, type Category } from './types.js';

/** What a category does when one of its rules matches. */
export type CategoryMode = 'enforce' | 'monitor' | 'off';

/** Turns rules or categories off for some locations (and optionally only on some routes). */
export interface PayloadExclusion {
  /** Rule ids to turn off (e.g. `xss-event-handler`). */
  rules?: readonly string[];
  /** Categories to turn off. With neither `rules` nor `categories`, every detection rule is off there. */
  categories?: readonly Category[];
  /** Locations (`body.html`, `body.items[*].note`, `query.q`, `header.referer`); omitted = everywhere. */
  targets?: readonly string[];
  /** Only for this method (upper case). */
  method?: string;
  /** Only for this path: exact, or a prefix ending in `*` (`/cms/*`). */
  path?: string;
}

/** How a virtual patch or custom rule matches a value. */
export type PatchMatcher = string | RegExp | ((value: unknown) => boolean);

/**
 * A virtual patch: shields one known vulnerability until the code is fixed. Without `target` it is a custom rule
 * that runs on every inspected string value.
 */
export interface VirtualPatch {
  /** Stable id, reported in decisions (e.g. `vp-2024-role-escalation`). */
  id: string;
  /** Only for this method (upper case). */
  method?: string;
  /** Only for this path: exact, or a prefix ending in `*`. */
  path?: string;
  /** Where the value is: `body.user.role`, `query.id`, `header.x-foo`, `params.id`, `cookie.session`, `path`. `[*]`/`*` wildcards. */
  target?: string;
  /**
   * A string matches case-insensitively as a substring of the (decoded) value; a RegExp must pass the safe-regex
   * check and sees at most 4 KiB; a function receives the value (any JSON type) and returns true to match.
   */
  match: PatchMatcher;
  /** `deny` (default) adds `severity` to the score; `monitor` only records the match. */
  action?: 'deny' | 'monitor';
  /** Score added on a match. Default 5 (critical: one match denies at the default threshold). */
  severity?: number;
}

/** Global options of the payload shield. */
export interface PayloadShieldOptions {
  /** Structural limits (defaults: docs/payload-shield.md). */
  limits?: Partial<PayloadLimits>;
  /** 1 (default, near-zero false positives) to 4; higher levels add weaker signals. */
  paranoia?: 1 | 2 | 3 | 4;
  /** Anomaly score at which a request is denied. Default 5 (one critical match). */
  threshold?: number;
  /** Per-category mode. Default `enforce` for every category. */
  categories?: Partial<Record<Category, CategoryMode>>;
  /** Exclusions (tuning for false positives). */
  exclusions?: readonly PayloadExclusion[];
  /** Virtual patches and custom rules. */
  virtualPatches?: readonly VirtualPatch[];
  /**
   * Extra request headers (lower case) whose detector results are cached, besides user-agent, referer and
   * x-forwarded-host; with `inspectAllHeaders: false`, the only headers every detector reads.
   */
  headers?: readonly string[];
  /** Inspect every request header (except the never-inspected ones and `ignoreHeaders`) with every detector. Default true. */
  inspectAllHeaders?: boolean;
  /** Headers (lower case) never inspected, added to the built-in list (credentials, attestation tokens, cookie, framing). */
  ignoreHeaders?: readonly string[];
  /** With `inspectAllHeaders: false`: still inspect every other header for Log4Shell lookups and CRLF. Default true. */
  scanAllHeadersForLookups?: boolean;
  /** Inspect cookie names and values. Default true. */
  cookies?: boolean;
  /** Allowed body media types (`application/json`, `application/*+json`...); omitted = any. Others → 415. */
  contentTypes?: readonly string[];
  /**
   * What happens when the inspection budget (`limits.maxInspectBytes`, `limits.maxInspectMillis`) runs out before the
   * whole request was inspected: `deny` (default, fail closed: 413 `payload_too_large`) or `allow` (the request
   * passes unless what was inspected already scored a deny; the pass detail says the inspection was incomplete).
   */
  budgetExhausted?: 'deny' | 'allow';
  /** Rounds of URL/entity/escape decoding. Default 3. */
  decodeRounds?: number;
  /** Deny `__proto__` / `constructor` / `prototype` keys anywhere. Default true. */
  prototypePollution?: boolean;
  /** Schema for the parsed body; failure → 422 `payload_invalid` with issue paths only. Usually set per route. */
  body?: z.ZodType;
  /** Schema for the parsed query object. */
  query?: z.ZodType;
  /** Schema for the route params. */
  params?: z.ZodType;
}

/** Per-route payload options: the same fields, merged over the global ones (limits and categories key by key). */
export type PayloadRouteOptions = PayloadShieldOptions;

const categoryModeSchema = z.enum(['enforce', 'monitor', 'off']);
const categorySchema = z.enum(CATEGORIES);
const routePathSchema = z.string().min(1).startsWith('/');
const methodSchema = z.string().regex(/^[A-Z]+$/, 'upper-case HTTP method');
const targetSchema = z.string().regex(/^(?:body|query|header|cookie|params|path)(?:$|[.[])/, 'starts with body, query, header, cookie, params or path');

const zodTypeSchema = z.custom<z.ZodType>((v) => v instanceof z.ZodType, 'a zod schema');

const safeRegexSchema = z.custom<RegExp>((v) => v instanceof RegExp).superRefine((regex, ctx) => {
  const reason = unsafeRegexReason(regex);
  if (reason) ctx.addIssue({ code: 'custom', message: `unsafe regular expression: ${reason}` });
});

const matcherSchema = z.union([
  z.string().min(1),
  safeRegexSchema,
  z.custom<(value: unknown) => boolean>((v) => typeof v === 'function', 'a function'),
]);

const limitsSchema = z
  .object({
    maxBodyBytes: z.number().int().positive(),
    maxDepth: z.number().int().positive(),
    maxKeys: z.number().int().positive(),
    maxArrayLength: z.number().int().positive(),
    maxStringLength: z.number().int().positive(),
    maxInspectBytes: z.number().int().positive(),
    maxInspectMillis: z.number().positive().max(60_000),
    maxUrlLength: z.number().int().positive(),
    maxHeaderCount: z.number().int().positive(),
    maxHeaderBytes: z.number().int().positive(),
    maxQueryParams: z.number().int().positive(),
    maxParamRepeats: z.number().int().positive(),
  })
  .partial()
  .strict();

/** Exclusion schema. */
export const payloadExclusionSchema = z
  .object({
    rules: z.array(z.string().min(1)).optional(),
    categories: z.array(categorySchema).optional(),
    targets: z.array(targetSchema).optional(),
    method: methodSchema.optional(),
    path: routePathSchema.optional(),
  })
  .strict();

/** Virtual patch schema. */
export const virtualPatchSchema = z
  .object({
    id: z.string().min(1).max(100),
    method: methodSchema.optional(),
    path: routePathSchema.optional(),
    target: targetSchema.optional(),
    match: matcherSchema,
    action: z.enum(['deny', 'monitor']).optional(),
    severity: z.number().positive().max(100).optional(),
  })
  .strict();

/** zod v4 schema of `PayloadShieldOptions` (mounted at the shield config key `payload`, and per route). */
export const payloadShieldOptionsSchema = z
  .object({
    limits: limitsSchema.optional(),
    paranoia: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]).optional(),
    threshold: z.number().positive().max(1000).optional(),
    categories: z.partialRecord(categorySchema, categoryModeSchema).optional(),
    exclusions: z.array(payloadExclusionSchema).optional(),
    virtualPatches: z.array(virtualPatchSchema).optional(),
    headers: z.array(z.string().min(1).regex(/^[a-z0-9-]+$/, 'lower-case header name')).optional(),
    inspectAllHeaders: z.boolean().optional(),
    ignoreHeaders: z.array(z.string().min(1).regex(/^[a-z0-9-]+$/, 'lower-case header name')).optional(),
    scanAllHeadersForLookups: z.boolean().optional(),
    cookies: z.boolean().optional(),
    contentTypes: z.array(z.string().min(3).includes('/')).optional(),
    budgetExhausted: z.enum(['deny', 'allow']).optional(),
    decodeRounds: z.number().int().min(1).max(5).optional(),
    prototypePollution: z.boolean().optional(),
    body: zodTypeSchema.optional(),
    query: zodTypeSchema.optional(),
    params: zodTypeSchema.optional(),
  })
  .strict();

/** Same schema for route options (`RouteOptions.payload`), which may also be `false` to skip the shield. */
export const payloadRouteOptionsSchema = z.union([payloadShieldOptionsSchema, z.literal(false)]);

/** Merges route options over global ones: scalars replace, limits/categories merge key by key, lists concatenate. */
export function mergePayloadOptions(base: PayloadShieldOptions, route: PayloadRouteOptions): PayloadShieldOptions {
  return {
    ...base,
    ...route,
    limits: { ...base.limits, ...route.limits },
    categories: { ...base.categories, ...route.categories },
    exclusions: [...(base.exclusions ?? []), ...(route.exclusions ?? [])],
    virtualPatches: [...(base.virtualPatches ?? []), ...(route.virtualPatches ?? [])],
    headers: [...new Set([...(base.headers ?? []), ...(route.headers ?? [])])],
    ignoreHeaders: [...new Set([...(base.ignoreHeaders ?? []), ...(route.ignoreHeaders ?? [])])],
  };
}

/** Limits with defaults applied. */
export function resolveLimits(limits: Partial<PayloadLimits> | undefined): PayloadLimits {
  return { ...DEFAULT_LIMITS, ...limits };
}
