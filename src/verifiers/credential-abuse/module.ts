import { defineVerifierModule } from '../../core/module.js';
import { createCredentialAbuseVerifier } from './index.js';
import { credentialAbuseOptionsSchema, credentialRouteOptionsSchema, type CredentialAbuseOptions, type CredentialRouteOptions } from './options.js';

declare module '../../core/module.js' {
  interface ShieldModuleConfigs {
    /** Credential-stuffing defence on login routes. */
    credentials?: CredentialAbuseOptions;
  }
}

declare module '../../core/route-options.js' {
  interface RouteOptions {
    /** Credential-abuse options: `{ login: { username: 'body.email' } }` makes this a login route. */
    credentials?: CredentialRouteOptions | false;
  }
}

/** Credential integrity: counters, lockouts and budgets on login routes. */
export const credentialsModule = defineVerifierModule<CredentialAbuseOptions>({
  key: 'credentials',
  order: 300,
  configSchema: credentialAbuseOptionsSchema,
  routeSchema: credentialRouteOptionsSchema,
  create: (config, { store, ipResolver }) => createCredentialAbuseVerifier(config, { store, ipResolver }),
});
