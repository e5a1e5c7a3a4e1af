import { z } from 'zod';

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
export const channelOptionsSchema = z
  .object({
    minPinSetVersion: z.union([
      z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
      z.custom<() => number>((v) => typeof v === 'function', 'must be a number or a function returning one'),
    ]),
    claim: z.string().min(1).max(64).default('psv'),
    allowMissingClaim: z.boolean().default(false),
    mode: z.enum(['enforce', 'monitor']).optional(),
  })
  .strict();

/** The `channel` option after validation and defaults. */
export type ResolvedChannelOptions = z.output<typeof channelOptionsSchema>;
