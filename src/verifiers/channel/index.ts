/**
 * The channel verifier: ties the signed pin set to every API call. The attestation service puts the app's current
 * pin-set version in a token claim; a request from an app still holding a set older than `minPinSetVersion` (the
 * one that revoked a compromised key) is refused with `channel_stale_pins`, so a rotation after a compromise takes
 * effect at once, not only at the app's next pin-set fetch.
 */
import type { Verifier, VerifierContext, VerifierOutcome } from '../../core/verifier.js';
import { PASS } from '../../core/outcome.js';
import type { ResolvedChannelOptions } from './options.js';

export { channelOptionsSchema, type ChannelOptions, type ResolvedChannelOptions } from './options.js';

/** Name of the channel verifier in Decision results and per-route `verifiers` modes. */
export const CHANNEL_VERIFIER = 'channel';

const NO_TOKEN: VerifierOutcome = Object.freeze({ outcome: 'skip', detail: 'no verified attestation token on this route' });

/** Builds the channel verifier from validated options. */
export function createChannelVerifier(options: ResolvedChannelOptions): Verifier {
  const { claim, allowMissingClaim } = options;
  const minimum = options.minPinSetVersion;
  const missing: VerifierOutcome = Object.freeze({ outcome: 'deny', code: 'channel_stale_pins', detail: `no usable "${claim}" claim` });
  return {
    name: CHANNEL_VERIFIER,
    stage: 'headers',
    ...(options.mode ? { mode: options.mode } : {}),
    verify(ctx: VerifierContext): VerifierOutcome {
      // Whether a token is required is the token verifier's decision; without one there is no claim to read.
      const claims = ctx.attestation?.claims;
      if (!claims) return NO_TOKEN;
      const min = typeof minimum === 'function' ? minimum() : minimum;
      // A minimum that is not a number is a misconfiguration: throw, so the core fails closed (shield_unavailable).
      if (!Number.isSafeInteger(min) || min < 0) throw new TypeError('channel.minPinSetVersion did not give a non-negative integer');
      const value = claims[claim];
      if (value === undefined && allowMissingClaim) return PASS;
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) return missing;
      if (value < min) return { outcome: 'deny', code: 'channel_stale_pins', detail: `pin set ${value} older than ${min}` };
      return PASS;
    },
  };
}
