import { defineVerifierModule } from '../../core/module.js';
import { payloadRouteOptionsSchema, payloadShieldOptionsSchema, type PayloadRouteOptions, type PayloadShieldOptions } from './options.js';
import { createPayloadShieldVerifier } from './verifier.js';

/** Service integrity: the payload shield in front of the handlers. */
export const payloadModule = defineVerifierModule<PayloadShieldOptions>({
  key: 'payload',
  order: 400,
  configSchema: payloadShieldOptionsSchema,
  routeSchema: payloadRouteOptionsSchema,
  create: (config) => createPayloadShieldVerifier(config),
});
