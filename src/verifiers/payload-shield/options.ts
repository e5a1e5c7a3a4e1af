/**
 * Options of the payload shield (`payload` in the shield config, `payload` in route options) and their zod/mini
 * schema. Route options are merged over the global ones and compiled once per distinct route-options object.
 */
import * as z from 'zod/mini';
import { DEFAULT_LIMITS, type PayloadLimits } from './limits.js';
import { unsafeRegexReason } from './safe-regex.js';
import { standardSchemaProblem, type StandardSchemaV1 } from './standard-schema.js';
import { CATEGORIES, type Category } from './types.js';

/** What a category does when one of its rules matches. */
export type CategoryMode = 'enforce' | 'monitor' | 'off';

/** Turns rules or categories off for some locations (and optionally only on some routes). */
export interface PayloadExclusion {
  /** Rule ids to turn off (e.g. `xss-event-handler`). */
  rules?: readonly string[];
  /** Categories to turn off. With neither `rules` nor `categories`, every detection rule is off there. */
  categories?: readonly Category[];
  /** Locations (`body.html`, `body.items[*].note`, `query.q`, `header.referer`, `trailer.x-note`); omitted = everywhere. */
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
  /**
   * Where the value is: `body.user.role`, `query.id`, `header.x-foo`, `trailer.x-foo` (a trailer field after a chunked
   * body), `params.id`, `cookie.session`, `path`. `[*]`/`*` wildcards.
   */
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
   * passes unless what was inspected already scored a deny; the pass detail says the inspection was incomplete). With
   * `'allow'` the rest of the request is still walked for the structural limits (depth, keys, array and string
   * length), which deny whatever the budget.
   */
  budgetExhausted?: 'deny' | 'allow';
  /** Rounds of URL/entity/escape decoding. Default 3. */
  decodeRounds?: number;
  /**
   * Deny `__proto__` / `constructor` / `prototype` keys anywhere (default `true`). `'except-schema-property-names'`
   * is for routes that accept JSON Schema documents: it allows such a key where it names a property (below
   * `properties`, `$defs`... with a value made only of schema keywords or a boolean). Only for handlers that do not
   * deep-merge the body: a naive merge of `{"properties": {"__proto__": {"default": 1}}}` into an object that has
   * `properties` sets `Object.prototype.default`.
   */
  prototypePollution?: boolean | 'except-schema-property-names';
  /**
   * Schema for the parsed body: any Standard Schema v1 validator (zod >= 4 classic or mini, valibot, arktype...);
   * failure → 422 `payload_invalid` with issue paths only. Usually set per route.
   */
  body?: StandardSchemaV1;
  /** Schema for the parsed query object (Standard Schema v1). */
  query?: StandardSchemaV1;
  /** Schema for the route params (Standard Schema v1). */
  params?: StandardSchemaV1;
}

/** Per-route payload options: the same fields, merged over the global ones (limits and categories key by key). */
export type PayloadRouteOptions = PayloadShieldOptions;

const categoryModeSchema = z.enum(['enforce', 'monitor', 'off']);
const categorySchema = z.enum(CATEGORIES);
const routePathSchema = z.string().check(z.minLength(1), z.startsWith('/'));
const methodSchema = z.string().check(z.regex(/^[A-Z]+$/, 'upper-case HTTP method'));
const targetSchema = z.string().check(z.regex(/^(?:body|query|header|trailer|cookie|params|path)(?:$|[.[])/, 'starts with body, query, header, trailer, cookie, params or path'));

const standardSchema = z.custom<StandardSchemaV1>().check(
  z.superRefine((value, ctx) => {
    const problem = standardSchemaProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  }),
);

const safeRegexSchema = z.custom<RegExp>((v) => v instanceof RegExp).check(z.superRefine((regex, ctx) => {
  const reason = unsafeRegexReason(regex);
  if (reason) ctx.addIssue({ code: 'custom', message: `unsafe regular expression: ${reason}` });
}));

const matcherSchema = z.union([
  z.string().check(z.minLength(1)),
  safeRegexSchema,
  z.custom<(value: unknown) => boolean>((v) => typeof v === 'function', 'a function'),
]);

const limitsSchema = z.partial(z.strictObject({
    maxBodyBytes: z.number().check(z.int(), z.positive()),
    maxDepth: z.number().check(z.int(), z.positive()),
    maxKeys: z.number().check(z.int(), z.positive()),
    maxArrayLength: z.number().check(z.int(), z.positive()),
    maxStringLength: z.number().check(z.int(), z.positive()),
    maxInspectBytes: z.number().check(z.int(), z.positive()),
    maxInspectMillis: z.number().check(z.positive(), z.maximum(60_000)),
    maxUrlLength: z.number().check(z.int(), z.positive()),
    maxHeaderCount: z.number().check(z.int(), z.positive()),
    maxHeaderBytes: z.number().check(z.int(), z.positive()),
    maxQueryParams: z.number().check(z.int(), z.positive()),
    maxParamRepeats: z.number().check(z.int(), z.positive()),
  }));

/** Exclusion schema. */
export const payloadExclusionSchema = z.strictObject({
    rules: z.optional(z.array(z.string().check(z.minLength(1)))),
    categories: z.optional(z.array(categorySchema)),
    targets: z.optional(z.array(targetSchema)),
    method: z.optional(methodSchema),
    path: z.optional(routePathSchema),
  });

/** Virtual patch schema. */
export const virtualPatchSchema = z.strictObject({
    id: z.string().check(z.minLength(1), z.maxLength(100)),
    method: z.optional(methodSchema),
    path: z.optional(routePathSchema),
    target: z.optional(targetSchema),
    match: matcherSchema,
    action: z.optional(z.enum(['deny', 'monitor'])),
    severity: z.optional(z.number().check(z.positive(), z.maximum(100))),
  });

/** zod/mini schema of `PayloadShieldOptions` (mounted at the shield config key `payload`, and per route). */
export const payloadShieldOptionsSchema = z.strictObject({
    limits: z.optional(limitsSchema),
    paranoia: z.optional(z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)])),
    threshold: z.optional(z.number().check(z.positive(), z.maximum(1000))),
    categories: z.optional(z.partialRecord(categorySchema, categoryModeSchema)),
    exclusions: z.optional(z.array(payloadExclusionSchema)),
    virtualPatches: z.optional(z.array(virtualPatchSchema)),
    headers: z.optional(z.array(z.string().check(z.minLength(1), z.regex(/^[a-z0-9-]+$/, 'lower-case header name')))),
    inspectAllHeaders: z.optional(z.boolean()),
    ignoreHeaders: z.optional(z.array(z.string().check(z.minLength(1), z.regex(/^[a-z0-9-]+$/, 'lower-case header name')))),
    scanAllHeadersForLookups: z.optional(z.boolean()),
    cookies: z.optional(z.boolean()),
    contentTypes: z.optional(z.array(z.string().check(z.minLength(3), z.includes('/')))),
    budgetExhausted: z.optional(z.enum(['deny', 'allow'])),
    decodeRounds: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(5))),
    prototypePollution: z.optional(z.union([z.boolean(), z.literal('except-schema-property-names')])),
    body: z.optional(standardSchema),
    query: z.optional(standardSchema),
    params: z.optional(standardSchema),
  });

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
