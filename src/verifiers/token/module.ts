import { defineVerifierModule } from '../../core/module.js';
import { tokenOptionsSchema, tokenRouteOptionsSchema, type ResolvedTokenOptions, type TokenOptions } from './config.js';
import type { TokenRouteOptions } from './options.js';
import { createTokenVerifier } from './token-verifier.js';

/** App integrity: the attestation token, checked before anything else. */
export const tokenModule = defineVerifierModule<ResolvedTokenOptions>({
  key: 'token',
  order: 100,
  configSchema: tokenOptionsSchema,
  routeSchema: tokenRouteOptionsSchema,
  sensitiveHeaders: (config) => [config.header, ...(config.binding ? (config.binding.headers ?? []) : [])],
  create: (config, { store }) => createTokenVerifier(config, { store }),
});
