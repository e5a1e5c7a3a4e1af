import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  flattenedVerify,
  jwksCache,
  type CompactJWSHeaderParameters,
  type CryptoKey,
  type ExportedJWKSCache,
  type FlattenedJWSInput,
  type JWTVerifyGetKey,
} from 'jose';

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
 * jose's remote JWK set, with fetches also rate-limited after a failure. jose's cooldown runs from the last
 * successful fetch only: with the endpoint down, every token naming an unknown kid (or every token, once the set
 * is past its max age) would fetch again, and each failure would be "cannot decide", which `failOpen` passes.
 *
 * Here, for `cooldownMs` after a failed fetch no fetch is made, and a failed fetch (or one skipped) leaves the
 * decision to the last fetched set: a kid/alg it has no key for is refused (`JWKSNoMatchingKey`); a matching key is
 * used while that set is fresh (within `cacheMaxAgeMs`). Only when no set was ever fetched, or the matching key is
 * in a set past its max age, is the key set unavailable (the fetch error, or an Error saying so); a token whose
 * signature that stale key does not verify is still refused (a forgery naming a known kid).
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
    const jwks = fetched.jwks;
    if (jwks !== undefined) {
      if (last?.jwks !== jwks) last = { jwks, lookup: createLocalJWKSet(jwks) };
      try {
        const key = await last.lookup(header, token);
        if (remote.fresh) return key;
        // Past its max age the key may have been withdrawn: it cannot admit a token (below: cannot decide), but a
        // signature it does not verify is a forgery whatever the current set holds, refused even with `failOpen`.
        await flattenedVerify(token, key);
      } catch (error) {
        // No key for this kid/alg in the last known set: refused. Several candidates: tried while the set is fresh.
        if (!(error instanceof errors.JWKSMultipleMatchingKeys) || remote.fresh) throw error;
      }
    }
    throw cause ?? new Error('JWKS unavailable: its last fetch failed less than jwksCooldownMs ago and no fresh key set matches');
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
