import { defineVerifierModule } from '../../core/module.js';
import { payloadRouteOptionsSchema, payloadShieldOptionsSchema, type PayloadRouteOptions, type PayloadShieldOptions } from './options.js';
import { createPayloadShieldVerifier } from './verifier.js';

declare module '../../core/module.js' {
  interface ShieldModuleConfigs {
    /** The payload shield (limits, schemas, injection detection, virtual patches). */
    payload?: PayloadShieldOptions;
  }
}

declare module '../../core/route-options.js' {
  interface RouteOptions {
    /** Payload-shield options for this route (limits, schemas, exclusions, patches), or `false` to skip it. */
    payload?: PayloadRouteOptions | false;
  }
}

/** Service integrity: the payload shield in front of the handlers. */
export const payloadModule = defineVerifierModule<PayloadShieldOptions>({
  key: 'payload',
  order: 400,
  configSchema: payloadShieldOptionsSchema,
  routeSchema: payloadRouteOptionsSchema,
  create: (config) => createPayloadShieldVerifier(config),
});
