import { defineVerifierModule } from '../../core/module.js';
import { tokenOptionsSchema, tokenRouteOptionsSchema, type ResolvedTokenOptions, type TokenOptions } from './config.js';
import type { TokenRouteOptions } from './options.js';
import { createTokenVerifier } from './token-verifier.js';

declare module '../../core/module.js' {
  interface ShieldModuleConfigs {
    /** The attestation-token verifier. Omit it to run without token checks. */
    token?: TokenOptions;
  }
}

declare module '../../core/route-options.js' {
  interface RouteOptions {
    /** Token options for this route, or `false` to skip the token verifier here. */
    token?: TokenRouteOptions | false;
  }
}

/** App integrity: the attestation token, checked before anything else. */
export const tokenModule = defineVerifierModule<ResolvedTokenOptions>({
  key: 'token',
  order: 100,
  configSchema: tokenOptionsSchema,
  routeSchema: tokenRouteOptionsSchema,
  sensitiveHeaders: (config) => [config.header, ...(config.binding ? (config.binding.headers ?? []) : [])],
  create: (config, { store }) => createTokenVerifier(config, { store }),
});
