import type { TokenOptions } from '../verifiers/token/config.js';

type KeySourceName = 'secret' | 'publicKey' | 'jwks' | 'jwksUrl';
type OneKeySource<K extends KeySourceName> = Required<Pick<TokenOptions, K>> & { [O in Exclude<KeySourceName, K>]?: never };

/**
 * Options of the Approov preset: exactly one key source, Approov's default HS256 `secret` or an asymmetric key set
 * (`publicKey`, `jwks`, or `jwksUrl`); anything else of `TokenOptions` may be overridden too.
 */
export type ApproovOptions = (OneKeySource<'secret'> | OneKeySource<'publicKey'> | OneKeySource<'jwks'> | OneKeySource<'jwksUrl'>) &
  Partial<Omit<TokenOptions, KeySourceName>>;

/** Algorithms Approov signs with under an asymmetric key set (`approov keyset`); never HMAC, so no key confusion. */
const ASYMMETRIC_ALGORITHMS: NonNullable<TokenOptions['algorithms']> = [
  'ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
];

/**
 * Token options for Approov: header `approov-token`, HS256 with the base64 secret Approov hands out
 * (`approov secret -get base64`) or, with an asymmetric key set, the public key / JWK set Approov publishes for the
 * API domain (its asymmetric algorithms only), and token binding: the `pay` claim is base64 SHA-256 of the
 * `Authorization` header. Turn binding off per route (`token: { binding: false }`) where no Authorization header
 * exists yet. An option given as `undefined` keeps the preset's value (binding stays on).
 */
export function approov(options: ApproovOptions): TokenOptions {
  const symmetric = options.secret !== undefined;
  // An option given as `undefined` (`binding: cond ? {...} : undefined`) keeps the preset's value: spread as it is,
  // it would replace it with nothing, and the schema's default would turn binding off.
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  return {
    provider: 'approov',
    header: 'approov-token',
    algorithms: symmetric ? ['HS256'] : ASYMMETRIC_ALGORITHMS,
    binding: { claim: 'pay', headers: ['authorization'] },
    ...given,
  } as TokenOptions;
}
