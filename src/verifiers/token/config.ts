import { KeyObject } from 'node:crypto';
import * as z from 'zod/mini';
import { headerNameSchema, httpUrlSchema, storeSchema } from '../../core/schemas.js';
import type { TokenBindingOptions } from './options.js';
import { toSeconds } from './seconds.js';

const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
const ASYMMETRIC_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
] as const;

/** JWS algorithms the token verifier accepts; `none` is not among them and cannot be configured. */
export type TokenAlgorithm = (typeof HMAC_ALGORITHMS)[number] | (typeof ASYMMETRIC_ALGORITHMS)[number];

/** True for the HMAC algorithms, which need a shared secret rather than a public key. */
export function isHmacAlgorithm(alg: string): boolean {
  return (HMAC_ALGORITHMS as readonly string[]).includes(alg);
}

/** A public JSON Web Key, as in a JWK set. */
export interface PublicJwk {
  kty: string;
  kid?: string;
  alg?: string;
  use?: string;
  [parameter: string]: unknown;
}

const jwkSchema = z.custom<PublicJwk>(
  (v) => typeof v === 'object' && v !== null && typeof (v as { kty?: unknown }).kty === 'string',
  'must be a JWK object with a "kty"',
);
const headerName = headerNameSchema;

const bindingSchema = z.strictObject({
    claim: z.optional(z.string().check(z.minLength(1))),
    headers: z.optional(z.array(headerName).check(z.minLength(1))),
    allowMissingClaim: z.optional(z.boolean()),
  });

/** Per-route token options (see `TokenRouteOptions`). */
export const tokenRouteOptionsSchema = z.strictObject({
    binding: z.optional(z.union([bindingSchema, z.literal(false)])),
    replay: z.optional(z.boolean()),
  });

const secondsOrSpan = z.union([z.number().check(z.nonnegative()), z.string().check(z.regex(/^\d+(\.\d+)?\s*(s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hr|hrs|hour|hours|d|day|days)$/i, 'must be a number of seconds or a span like "5m"'))]);

/**
 * Most clock skew `clockTolerance` may absorb, in seconds: the attestation service's own `clockSkew` maximum. Beyond
 * that a tolerance no longer covers skew but lengthens every token's life (`'30d'` made five-minute tokens good for a
 * month, replayable long after the issuer meant them to die).
 */
const MAX_CLOCK_TOLERANCE_SECONDS = 3_600;
const clockToleranceSchema = secondsOrSpan.check(
  z.refine((v) => toSeconds(v) <= MAX_CLOCK_TOLERANCE_SECONDS, `must be at most ${MAX_CLOCK_TOLERANCE_SECONDS} seconds ("1h")`),
);

/**
 * Options of the attestation-token verifier (`token: {...}` in the shield config). Exactly one key source:
 * `secret`, `publicKey`, `jwks` or `jwksUrl`.
 */
export const tokenOptionsSchema = z.strictObject({
    /** Name for the Decision's `attestation.provider`. */
    provider: z._default(z.string().check(z.minLength(1)), 'custom'),
    header: z._default(headerName, 'x-attestation-token'),
    scheme: z.optional(z.string().check(z.minLength(1), z.regex(/^[A-Za-z][A-Za-z0-9._~+/-]*$/, 'must be an auth scheme token like "Bearer"'))),
    secret: z.optional(z.union([z.string().check(z.minLength(1)), z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'must be a Uint8Array')])),
    /**
     * PEM, JWK or KeyObject. A JWK is used only as it declares: `use` other than `sig`, or `key_ops` without
     * `verify`, is a configuration error, and a declared `alg` is the only algorithm it verifies.
     */
    publicKey: z.optional(z.union([z.string().check(z.minLength(1)), jwkSchema, z.custom<KeyObject>((v) => v instanceof KeyObject, 'must be a KeyObject')])),
    jwks: z.optional(z.object({ keys: z.array(jwkSchema).check(z.minLength(1)) })),
    jwksUrl: z.optional(httpUrlSchema),
    jwksTimeoutMs: z._default(z.number().check(z.int(), z.positive(), z.maximum(60_000)), 2_000),
    /**
     * After a successful JWKS fetch, how long before a token naming an unknown `kid` prompts another (jose's
     * cooldown); after a failed fetch, how long no fetch is made at all. When a fetch failed or is held back, the last
     * fetched set decides: a kid it lacks is `token_invalid` (even with `failOpen`), a matching key verifies while
     * the set is within `jwksCacheMaxAgeMs`; without a usable set the verifier cannot decide (`shield_unavailable`,
     * or a pass with `failOpen`). Default 30000.
     */
    jwksCooldownMs: z._default(z.number().check(z.int(), z.nonnegative(), z.maximum(3_600_000)), 30_000),
    jwksCacheMaxAgeMs: z._default(z.number().check(z.int(), z.positive(), z.maximum(86_400_000)), 600_000),
    algorithms: z.optional(z.array(z.enum([...HMAC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS])).check(z.minLength(1))),
    issuer: z.optional(z.union([z.string().check(z.minLength(1)), z.array(z.string().check(z.minLength(1))).check(z.minLength(1))])),
    audience: z.optional(z.union([z.string().check(z.minLength(1)), z.array(z.string().check(z.minLength(1))).check(z.minLength(1))])),
    subject: z.optional(z.string().check(z.minLength(1))),
    clockTolerance: z._default(clockToleranceSchema, 0),
    maxTokenAge: z.optional(secondsOrSpan),
    requiredClaims: z._default(z.array(z.string().check(z.minLength(1))), ['exp']),
    /**
     * Extra claim check run once per distinct token, synchronously: return `true` or nothing to accept, a reason
     * string (or `false`) to reject. Any other answer (a Promise from an async function, `null`, a number) rejects.
     */
    claimsCheck: z.optional(
      z.custom<(claims: Readonly<Record<string, unknown>>) => boolean | string | undefined>(
        (v) => typeof v === 'function',
        'must be a function',
      )),
    /** Required `typ` protected-header parameter (e.g. `JWT`), checked by jose. */
    typ: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
    /**
     * Single use decided by the token's issuer (e.g. Firebase App Check limited-use tokens): called once per request
     * for a verified token where replay protection applies, instead of the jti store; resolve true when this is the
     * token's first use, false when it was already consumed. A rejection means "cannot decide" (fail closed).
     */
    consume: z.optional(
      z.custom<(token: string, claims: Readonly<Record<string, unknown>>) => Promise<boolean>>(
        (v) => typeof v === 'function',
        'must be a function',
      )),
    binding: z._default(z.union([bindingSchema, z.literal(false)]), false),
    /**
     * Single use by `jti`: `true` (records in the shield's store), `{ store }` (in that store), or `{ maxEntries }` (in
     * a MemoryStore of their own that holds that many, so no other counter's keys can evict them).
     */
    replay: z._default(
      z.union([
        z.boolean(),
        z
          .strictObject({ store: z.optional(storeSchema), maxEntries: z.optional(z.number().check(z.int(), z.positive())) })
          .check(z.refine((r) => r.store === undefined || r.maxEntries === undefined, { message: 'give replay.store or replay.maxEntries, not both (maxEntries sizes a MemoryStore of its own)' })),
      ]),
      false,
    ),
    maxTokenBytes: z._default(z.number().check(z.int(), z.positive(), z.maximum(65_536)), 8_192),
    verifiedCacheSize: z._default(z.number().check(z.int(), z.nonnegative(), z.maximum(10_000_000)), 10_000),
    mode: z.optional(z.enum(['enforce', 'monitor'])),
    failOpen: z._default(z.boolean(), false),
    /**
     * Answer every refused token with `token_invalid`, never `token_expired`, `token_replayed` or
     * `token_binding_mismatch`, which tell whoever holds a stolen token that its signature is genuine. The precise
     * reason stays in the Decision's `detail` (server-side). `token_missing` is unchanged. Default false.
     */
    genericErrors: z._default(z.boolean(), false),
  }).check(z.superRefine((o, ctx) => {
    const sources = (['secret', 'publicKey', 'jwks', 'jwksUrl'] as const).filter((k) => o[k] !== undefined);
    if (sources.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message:
          sources.length === 0
            ? 'needs exactly one key source: secret, publicKey, jwks or jwksUrl'
            : `needs exactly one key source, got ${sources.join(' and ')}`,
      });
      return;
    }
    if (o.algorithms) {
      const hmac = o.secret !== undefined;
      const wrong = o.algorithms.filter((a) => isHmacAlgorithm(a) !== hmac);
      if (wrong.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['algorithms'],
          message: hmac
            ? `a secret only verifies HMAC algorithms (HS256/384/512), not ${wrong.join(', ')}`
            : `a public key or JWK set never verifies HMAC algorithms (${wrong.join(', ')}): that would allow key confusion`,
        });
      }
    }
  }));

/** Token verifier options as the user writes them. */
export type TokenOptions = z.input<typeof tokenOptionsSchema>;
/** Token verifier options after validation and defaults. */
export type ResolvedTokenOptions = z.output<typeof tokenOptionsSchema>;
export type { TokenBindingOptions };
