import type { TokenOptions } from '../verifiers/token/config.js';

/** Options of the Approov preset; anything else of `TokenOptions` may be overridden too. */
export type ApproovOptions = { secret: string | Uint8Array } & Partial<Omit<TokenOptions, 'secret' | 'publicKey' | 'jwks' | 'jwksUrl'>>;

/**
 * Token options for Approov: header `approov-token`, HS256 with the base64 secret Approov hands out
 * (`approov secret -get base64`), and token binding: the `pay` claim is base64 SHA-256 of the `Authorization`
 * header. Turn binding off per route (`token: { binding: false }`) where no Authorization header exists yet.
 */
export function approov(options: ApproovOptions): TokenOptions {
  return {
    provider: 'approov',
    header: 'approov-token',
    algorithms: ['HS256'],
    binding: { claim: 'pay', headers: ['authorization'] },
    ...options,
  };
}
