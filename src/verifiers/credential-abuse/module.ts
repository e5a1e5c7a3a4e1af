import { defineVerifierModule } from '../../core/module.js';
import { buildCredentialAbuse } from './index.js';
import { credentialAbuseOptionsSchema, credentialRouteOptionsSchema, type CredentialAbuseOptions, type CredentialRouteOptions } from './options.js';

/** Credential integrity: counters, lockouts and budgets on login routes. */
export const credentialsModule = defineVerifierModule<CredentialAbuseOptions>({
  key: 'credentials',
  order: 300,
  configSchema: credentialAbuseOptionsSchema,
  routeSchema: credentialRouteOptionsSchema,
  // `{ verifiers, api }`: the shield carries the support API at `shield.credentials` (reset).
  create: (config, { store, ipResolver, config: shield }) => {
    const { verifier, api } = buildCredentialAbuse(config, {
      store,
      ipResolver,
      // A refused login binding reads `token_invalid` too when the token verifier hides its reasons.
      genericTokenErrors: (shield.token as { genericErrors?: unknown } | undefined)?.genericErrors === true,
    });
    return { verifiers: verifier, api };
  },
});
