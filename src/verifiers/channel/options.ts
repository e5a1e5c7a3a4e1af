import * as z from 'zod/mini';

/** Options of the channel verifier (`channel` in the shield config). */
export interface ChannelOptions {
  /**
   * The lowest pin-set version a client may hold: the version that revoked a compromised key. A number, or a
   * function read on every request (pass `() => publisher.minPinSetVersion()` to follow the publisher).
   */
  minPinSetVersion: number | (() => number);
  /** The attestation-token claim holding the client's pin-set version. Default `psv`. */
  claim?: string;
  /**
   * Accept a token that carries no pin-set version claim (an attestation service not yet sending it). Default
   * false: a token without the claim is refused like a stale one.
   */
  allowMissingClaim?: boolean;
  /** This verifier's mode. Default: the shield's. */
  mode?: 'enforce' | 'monitor';
}

/** Schema of the `channel` option. */
export const channelOptionsSchema = z.strictObject({
    minPinSetVersion: z.union([
      z.number().check(z.int(), z.nonnegative(), z.maximum(Number.MAX_SAFE_INTEGER)),
      z.custom<() => number>((v) => typeof v === 'function', 'must be a number or a function returning one'),
    ]),
    claim: z._default(z.string().check(z.minLength(1), z.maxLength(64)), 'psv'),
    allowMissingClaim: z._default(z.boolean(), false),
    mode: z.optional(z.enum(['enforce', 'monitor'])),
  });

/** The `channel` option after validation and defaults. */
export type ResolvedChannelOptions = z.output<typeof channelOptionsSchema>;
