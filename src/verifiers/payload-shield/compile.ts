/**
 * Turns validated options into the structures the hot path uses: limits with defaults, the active detectors,
 * category modes, compiled exclusions and patches, the header allow-list. Done once per distinct options object.
 */
import { LRUCache } from 'lru-cache';
import { BUILTIN_DETECTORS, WEAK_SIGNALS } from './detectors.js';
import { compileExclusions, type ExclusionSet } from './exclusions.js';
import type { PayloadLimits } from './limits.js';
import { resolveLimits, type CategoryMode, type PayloadShieldOptions } from './options.js';
import type { StandardSchemaProps } from './standard-schema.js';
import { CATEGORIES, type Category, type Detector, type RuleHit } from './types.js';
import { compilePatches, type CompiledPatch } from './virtual-patches.js';
import { DEFAULT_DECODE_ROUNDS } from './normalise.js';
import { PlainValues } from './plain-values.js';

/** With `inspectAllHeaders: false`, these (plus `headers`) are the only headers every detector reads. */
export const DEFAULT_INSPECTED_HEADERS: readonly string[] = ['user-agent', 'referer', 'x-forwarded-host'];

/**
 * Headers a client repeats with the same value on every request: their detector results are cached (LRU), so
 * inspecting every header costs one lookup for these. Per-request values (request ids, trace ids) are not cached:
 * they would only evict the others.
 */
const CACHED_HEADERS: readonly string[] = [
  'user-agent', 'referer', 'x-forwarded-host', 'accept', 'accept-language', 'accept-encoding', 'content-type', 'origin',
  'host', 'x-app-version', 'x-device-model', 'x-platform', 'x-client-version', 'sec-ch-ua', 'sec-ch-ua-platform',
  'sec-ch-ua-mobile', 'sec-fetch-site', 'sec-fetch-mode', 'sec-fetch-dest', 'cache-control', 'pragma', 'dnt', 'via',
];

/**
 * Headers never inspected: credentials and attestation proofs (opaque by design, and never to be copied into a
 * detector's working strings), the cookie header (parsed and inspected cookie by cookie instead), and framing
 * headers the HTTP parser already validated. Add your own with `ignoreHeaders` (e.g. a custom token header).
 */
export const NEVER_INSPECTED_HEADERS: readonly string[] = [
  'authorization', 'proxy-authorization', 'cookie', 'x-api-key', 'x-attestation-token', 'approov-token',
  'x-firebase-appcheck', 'x-play-integrity', 'x-app-attest-assertion', 'content-length', 'transfer-encoding',
  'connection', 'x-hub-signature', 'x-hub-signature-256',
];

/** Options in their run-time form. */
export interface CompiledPayloadOptions {
  readonly limits: PayloadLimits;
  readonly paranoia: number;
  readonly threshold: number;
  readonly modes: Readonly<Record<Category, CategoryMode>>;
  /** Detectors whose category is not `off`. */
  readonly detectors: readonly Detector[];
  readonly exclusions: ExclusionSet;
  /** Patches with a target. */
  readonly targetedPatches: readonly CompiledPatch[];
  /** Patches without a target (custom rules on every string). */
  readonly customRules: readonly CompiledPatch[];
  /**
   * True when a `params` schema, patch target or exclusion target names route parameters: a check before routing
   * (Express, Koa) then asks the router for their names (see unrouted-params.ts).
   */
  readonly namesParams: boolean;
  readonly headers: ReadonlySet<string>;
  /** Headers whose detector results go through `headerVerdicts`. */
  readonly cachedHeaders: ReadonlySet<string>;
  /** Inspect every header not in `ignoredHeaders` with every detector (default true). */
  readonly inspectAllHeaders: boolean;
  readonly ignoredHeaders: ReadonlySet<string>;
  /**
   * Detectors that also read plain values (see `PLAIN_CLASSES`): bare commands, session parameter names, scanners,
   * hosts under URL-named parameters, class names under type keys...
   */
  readonly plainDetectors: readonly Detector[];
  /**
   * Scans every value (class mask, word groups), tells the plain ones, and whether a plain detector's
   * `readsPlainValues` claims one; the plain values none claims skip detection.
   */
  readonly plainValues: PlainValues;
  readonly scanAllHeadersForLookups: boolean;
  readonly cookies: boolean;
  readonly contentTypes: readonly string[] | undefined;
  readonly decodeRounds: number;
  /** Fail closed (`deny`) or open (`allow`) when the inspection budget runs out. */
  readonly budgetExhausted: 'deny' | 'allow';
  readonly prototypePollution: boolean;
  /** Allow a pollution key that names a JSON Schema property (`prototypePollution: 'except-schema-property-names'`). */
  readonly schemaPropertyNames: boolean;
  /** The route schemas' Standard Schema interfaces (`schema['~standard']`), read once here rather than per request. */
  readonly schemas: { readonly body?: StandardSchemaProps; readonly query?: StandardSchemaProps; readonly params?: StandardSchemaProps };
  /**
   * Detector results for recent header values (`name\0value` → hits). Clients send the same User-Agent and
   * Referer over and over; a bounded LRU saves re-running every detector on them. Exclusions and modes are applied
   * when the hits are recorded, so cached entries stay valid for every request.
   */
  readonly headerVerdicts: LRUCache<string, readonly RuleHit[]>;
  /**
   * In front of `headerVerdicts`: the last value seen per cached header name and its hits. A client repeats its
   * headers verbatim, and comparing with the last value costs less than building the LRU key and looking it up.
   * One entry per name in `cachedHeaders`.
   */
  readonly lastHeaderVerdicts: Map<string, LastVerdict>;
  /** The last request path inspected with the full detector set, and its hits (traffic repeats a few routes). */
  readonly lastPathVerdict: { last: LastVerdict | undefined };
  /**
   * Body keys whose inspection as a key found nothing (plain, no encoding, not a pollution vector, no plain-value
   * detector fired), mapped to what a value below them needs of the key (`QuietKey`): that outcome depends on the key's
   * text and these options alone, and an API's bodies repeat the same keys, so a key found here skips the detector
   * pass (budget, limits and custom rules still apply). Bounded: emptied when it reaches `QUIET_KEYS_MAX` entries;
   * keys over `QUIET_KEY_MAX_LENGTH` characters are never added.
   */
  readonly quietBodyKeys: Map<string, QuietKey>;
}

/** What a value below a quiet body key needs of the key, found with it (see `quietBodyKeys`). */
export interface QuietKey {
  /** The key in lower case: the name its values are inspected under. */
  readonly lower: string;
  /** Whether a plain value under this name is claimed by its name alone (`PlainValues.claimsName`). */
  readonly nameClaims: boolean;
}

/** Bounds of `quietBodyKeys`: at most this many keys of at most this length (a few hundred KiB at most). */
export const QUIET_KEYS_MAX = 4096;
export const QUIET_KEY_MAX_LENGTH = 64;

/** A value and the hits every applicable detector found in it (before modes and exclusions, like `headerVerdicts`). */
export interface LastVerdict {
  readonly raw: string;
  readonly hits: readonly RuleHit[];
}

/** Header values longer than this are not cached (bounds the cache's memory: 1000 × 1 KiB). */
export const HEADER_CACHE_MAX_VALUE = 1024;

/** Compiles options (already validated by `payloadShieldOptionsSchema`). */
export function compilePayloadOptions(options: PayloadShieldOptions): CompiledPayloadOptions {
  const modes = {} as Record<Category, CategoryMode>;
  for (const category of CATEGORIES) modes[category] = options.categories?.[category] ?? 'enforce';
  const paranoia = options.paranoia ?? 1;
  const detectors = BUILTIN_DETECTORS.filter((d) => modes[d.category] !== 'off');
  if (paranoia >= 2) detectors.push(WEAK_SIGNALS);
  const patches = compilePatches(options.virtualPatches);
  const schemas: CompiledPayloadOptions['schemas'] = {
    ...(options.body ? { body: options.body['~standard'] } : {}),
    ...(options.query ? { query: options.query['~standard'] } : {}),
    ...(options.params ? { params: options.params['~standard'] } : {}),
  };
  return {
    limits: resolveLimits(options.limits),
    paranoia,
    threshold: options.threshold ?? 5,
    modes,
    detectors,
    exclusions: compileExclusions(options.exclusions),
    targetedPatches: patches.filter((p) => p.target !== undefined),
    customRules: modes.custom === 'off' ? [] : patches.filter((p) => p.target === undefined),
    namesParams:
      schemas.params !== undefined ||
      patches.some((p) => p.target?.root === 'params') ||
      (options.exclusions ?? []).some((e) => (e.targets ?? []).some((t) => t === 'params' || t.startsWith('params.') || t.startsWith('params['))),
    headers: new Set([...DEFAULT_INSPECTED_HEADERS, ...(options.headers ?? [])]),
    cachedHeaders: new Set([...CACHED_HEADERS, ...(options.headers ?? [])]),
    inspectAllHeaders: options.inspectAllHeaders ?? true,
    ignoredHeaders: new Set([...NEVER_INSPECTED_HEADERS, ...(options.ignoreHeaders ?? [])]),
    plainDetectors: detectors.filter((d) => d.readsPlainValues !== undefined),
    plainValues: new PlainValues(detectors),
    scanAllHeadersForLookups: options.scanAllHeadersForLookups ?? true,
    cookies: options.cookies ?? true,
    contentTypes: options.contentTypes?.map((t) => t.toLowerCase()),
    decodeRounds: options.decodeRounds ?? DEFAULT_DECODE_ROUNDS,
    budgetExhausted: options.budgetExhausted ?? 'deny',
    prototypePollution: options.prototypePollution !== false,
    schemaPropertyNames: options.prototypePollution === 'except-schema-property-names',
    schemas,
    headerVerdicts: new LRUCache<string, readonly RuleHit[]>({ max: 1000 }),
    lastHeaderVerdicts: new Map(),
    lastPathVerdict: { last: undefined },
    quietBodyKeys: new Map(),
  };
}
