import { createHash } from 'node:crypto';
import { createAttestationChallenges, type AttestationChallenges } from '../../attestation/app-attest/challenges.js';
import { headerValue, type ShieldRequest } from '../../core/request.js';
import type { Store } from '../../stores/store.js';

/** Store prefix of assertion challenges; issue them with `createAttestationChallenges({ store, keyPrefix: this })`. */
export const ASSERTION_CHALLENGE_PREFIX = 'appattest:assert-chal:';

/** How an App Attest assertion proves it was made now, beyond its counter. */
export interface AssertionFreshnessOptions {
  /** One-time server challenge in the signed client data (Apple's assertion step 6). */
  challenge?: boolean | { keyPrefix?: string | undefined; ttlMs?: number | undefined } | undefined;
  /** Without a challenge: a signed timestamp (epoch ms) no older than this. */
  maxAgeMs?: number | undefined;
  /** Tolerated clock difference for timestamps in the future. Default 30 000 ms. */
  clockSkewMs?: number | undefined;
}

/** The client-data hashes to check an assertion against, or why the request cannot carry a fresh one. */
export type FreshnessCheck =
  | { readonly hashes: Buffer[]; readonly challenge?: string }
  | { readonly failure: 'challenge_missing' | 'timestamp_missing' | 'stale_assertion' | 'future_assertion' };

/** Freshness of App Attest assertions, compiled once. */
export interface AssertionFreshness {
  /**
   * Extends each canonical client data string with the freshness line the app signed (`\n<challenge>` or
   * `\n<timestamp>`) and hashes it; counter-only mode returns the canonical digests unchanged.
   */
  check(request: ShieldRequest, now: number, canonical: ReadonlyArray<{ clientData: string; digest: Buffer }>): FreshnessCheck;
  /** Spends the challenge once a signature over it verified: true exactly once per issued, unexpired challenge. */
  consume(challenge: string): Promise<boolean>;
}

/** A challenge as `createAttestationChallenges` issues it: 32 random bytes, base64url. */
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const TIMESTAMP = /^\d{1,15}$/;

/** Compiles the freshness mode; `headers` are the challenge and timestamp header names. */
export function compileAssertionFreshness(
  options: AssertionFreshnessOptions,
  store: Store,
  headers: { challenge: string; timestamp: string },
): AssertionFreshness {
  const challengeOptions = options.challenge === true ? {} : options.challenge || undefined;
  const challenges: AttestationChallenges | undefined = challengeOptions
    ? createAttestationChallenges({
        store,
        keyPrefix: challengeOptions.keyPrefix ?? ASSERTION_CHALLENGE_PREFIX,
        ...(challengeOptions.ttlMs !== undefined ? { ttlMs: challengeOptions.ttlMs } : {}),
      })
    : undefined;
  const maxAgeMs = options.maxAgeMs;
  const skew = options.clockSkewMs ?? 30_000;
  const extend = (canonical: ReadonlyArray<{ clientData: string }>, line: string): Buffer[] =>
    canonical.map((c) => createHash('sha256').update(`${c.clientData}\n${line}`, 'utf8').digest());

  return {
    check(request, now, canonical) {
      if (challenges) {
        const challenge = headerValue(request, headers.challenge);
        if (challenge === undefined || !CHALLENGE.test(challenge)) return { failure: 'challenge_missing' };
        return { hashes: extend(canonical, challenge), challenge };
      }
      if (maxAgeMs !== undefined) {
        const stamp = headerValue(request, headers.timestamp);
        if (stamp === undefined || !TIMESTAMP.test(stamp)) return { failure: 'timestamp_missing' };
        const at = Number(stamp);
        // Checked before the signature so a stale assertion never spends the key's counter.
        if (now - at > maxAgeMs) return { failure: 'stale_assertion' };
        if (at - now > skew) return { failure: 'future_assertion' };
        return { hashes: extend(canonical, stamp) };
      }
      return { hashes: canonical.map((c) => c.digest) };
    },
    async consume(challenge) {
      return challenges ? challenges.consume(challenge) : true;
    },
  };
}
