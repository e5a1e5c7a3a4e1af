import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwksCache,
  type CompactJWSHeaderParameters,
  type CryptoKey,
  type ExportedJWKSCache,
  type FlattenedJWSInput,
  type JWTVerifyGetKey,
} from 'jose';
import { candidateKeys } from './candidate-keys.js';

/** A remote JWK set: the key function for `jwtVerify` and the identity of the set in use. */
export interface RemoteKeySet {
  readonly key: JWTVerifyGetKey;
  /** The fetched set while it is fresh; past its max age a value no cached verification holds. */
  generation(): unknown;
}

/** Options of a remote JWK set (the token options' `jwks*` ones). */
export interface RemoteKeySetOptions {
  readonly timeoutMs: number;
  readonly cooldownMs: number;
  readonly cacheMaxAgeMs: number;
}

/** The generation of a remote key set due for a fetch: never one a cached verification holds. */
const STALE_REMOTE_KEYS = Symbol('stale-remote-keys');

/**
 * Answers of jose's lookup in a set it holds (not failures to fetch one): passed on as they are. No matching key is a
 * denial; several are tried by the verifier; an algorithm no JWK set supports is a denial.
 */
const LOOKUP_CODES = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS', 'ERR_JOSE_NOT_SUPPORTED']);

/**
 * Thrown by a remote set's key function when the endpoint is failing and only the last fetched set, past its max
 * age, has keys for the token (each may have been withdrawn since). The verifier still verifies the token with
 * `candidates`: what refuses it (no candidate verifying its signature, its claims) refuses it whatever the current
 * set holds; a token that passes is undecided, and `undecided` (the fetch error) is the verifier's answer.
 */
export class StaleKeys extends Error {
  constructor(
    readonly candidates: readonly CryptoKey[],
    readonly undecided: unknown,
  ) {
    super('only a JWK set past its max age has keys for this token', { cause: undecided });
    this.name = 'StaleKeys';
  }
}

/**
 * jose's remote JWK set, with fetches also rate-limited after a failure. jose's cooldown runs from the last
 * successful fetch only: with the endpoint down, every token naming an unknown kid (or every token, once the set
 * is past its max age) would fetch again, and each failure would be "cannot decide", which `failOpen` passes.
 *
 * Here, for `cooldownMs` after a failed fetch no fetch is made, and a failed fetch (or one skipped) leaves the
 * decision to the last fetched set: a kid/alg it has no key for is refused (`JWKSNoMatchingKey`); a matching key is
 * used while that set is fresh (within `cacheMaxAgeMs`). When no set was ever fetched the key set is unavailable
 * (the fetch error, or an Error saying so); when the matching keys are in a set past its max age, {@link StaleKeys}
 * hands them to the verifier, which refuses what they refuse and leaves the rest undecided.
 */
export function createRemoteKeySet(url: URL, options: RemoteKeySetOptions): RemoteKeySet {
  // jose writes each fetched key set into this object: its `jwks` is a new object per fetch and the same between
  // fetches, where `remote.jwks()` answers a fresh copy on every call (a generation that never matched).
  const fetched: Partial<ExportedJWKSCache> = {};
  const remote = createRemoteJWKSet(url, {
    timeoutDuration: options.timeoutMs,
    cooldownDuration: options.cooldownMs,
    cacheMaxAge: options.cacheMaxAgeMs,
    [jwksCache]: fetched as ExportedJWKSCache,
  });
  let failedAt = Number.NEGATIVE_INFINITY;
  /** A lookup in the last fetched set that never fetches, built once per set, when a fetch failed. */
  let last: { readonly jwks: unknown; readonly lookup: ReturnType<typeof createLocalJWKSet> } | undefined;

  async function fromLastSet(header: CompactJWSHeaderParameters, token: FlattenedJWSInput, cause: unknown): Promise<CryptoKey> {
    const unavailable = () =>
      cause ?? new Error('JWKS unavailable: its last fetch failed less than jwksCooldownMs ago and no fresh key set matches');
    const jwks = fetched.jwks;
    if (jwks === undefined) throw unavailable();
    if (last?.jwks !== jwks) last = { jwks, lookup: createLocalJWKSet(jwks) };
    // No key for this kid/alg in the last known set: refused (thrown). Several: tried by the verifier while fresh.
    if (remote.fresh) return last.lookup(header, token);
    let candidates: CryptoKey[];
    try {
      candidates = [await last.lookup(header, token)];
    } catch (error) {
      // A token without kid (or a shared one) against several stale keys: each is tried, or a forgery signed by any
      // other key would be left undecided (which `failOpen` passes). More than the verifier tries: refused as there.
      if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
      candidates = await candidateKeys(error);
    }
    throw new StaleKeys(candidates, unavailable());
  }

  const key: JWTVerifyGetKey = async (header, token) => {
    if (Date.now() < failedAt + options.cooldownMs) return fromLastSet(header, token, undefined);
    try {
      return await remote(header, token);
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && LOOKUP_CODES.has(code)) throw error;
      failedAt = Date.now();
      return fromLastSet(header, token, error);
    }
  };
  // Past the max age the set is due for a fetch, which only a verification makes: no cached one counts.
  return { key, generation: () => (remote.fresh ? fetched.jwks : STALE_REMOTE_KEYS) };
}
