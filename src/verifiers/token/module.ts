import { defineVerifierModule } from '../../core/module.js';
import { tokenOptionsSchema, tokenRouteOptionsSchema, type ResolvedTokenOptions, type TokenOptions } from './config.js';
import type { TokenRouteOptions } from './options.js';
import { createTokenVerifier } from './token-verifier.js';
import { createTokenBodyDigestVerifier } from './body-digest.js';
import { contentDigestBound } from './binding.js';

/** App integrity: the attestation token, checked before anything else. */
export const tokenModule = defineVerifierModule<ResolvedTokenOptions>({
  key: 'token',
  order: 100,
  configSchema: tokenOptionsSchema,
  routeSchema: tokenRouteOptionsSchema,
  // A client that forgot the token learns where to send it (the header name is public: the app sends it anyway).
  problemDetails: (config) => ({ token_missing: `send the attestation token in the "${config.header}" header` }),
  sensitiveHeaders: (config) => [config.header, ...(config.binding ? (config.binding.headers ?? []) : [])],
  create: (config, { store, config: shieldConfig }) => {
    // Its body-stage half, when some binding lists `content-digest`: that header is checked against the body.
    const bodyDigest = contentDigestBound(config.binding, shieldConfig['routes']);
    const token = createTokenVerifier(config, { store, bodyDigestChecked: bodyDigest });
    return bodyDigest ? [token, createTokenBodyDigestVerifier(config)] : [token];
  },
});
