import { defineVerifierModule } from '../../core/module.js';
import { createChannelVerifier } from './index.js';
import { channelOptionsSchema, type ResolvedChannelOptions } from './options.js';

/** Channel integrity: requests from apps holding a pin set older than the one that revoked a key are refused. */
export const channelModule = defineVerifierModule<ResolvedChannelOptions>({
  key: 'channel',
  order: 150, // right after the token: it reads the token's pin-set version claim
  configSchema: channelOptionsSchema,
  create: (config) => createChannelVerifier(config),
});
