import { randomBytes } from 'node:crypto';
import type { Store } from '../../stores/store.js';

/** Options of {@link createAttestationChallenges}. */
export interface AttestationChallengeOptions {
  store: Store;
  /** How long an issued challenge may be used. Default 5 minutes. */
  ttlMs?: number;
  /** Store key prefix. Default `appattest:chal:`. */
  keyPrefix?: string;
}

/**
 * One-time challenges for App Attest registration: the server issues one, the app passes SHA-256 of it to
 * `attestKey`, and the server consumes it before `register`. Without a fresh server challenge an attestation could
 * be replayed from another device or session.
 */
export interface AttestationChallenges {
  /** A new random challenge (base64url, 32 bytes of entropy), valid for `ttlMs`. */
  issue(): Promise<string>;
  /**
   * Resolves true exactly once for an issued, unexpired challenge: concurrent consumers race on an atomic
   * `setIfAbsent`, so only one registration can use it. Unknown or reused challenges resolve false.
   */
  consume(challenge: string): Promise<boolean>;
}

/** Builds the challenge issuer over a {@link Store}. */
export function createAttestationChallenges(options: AttestationChallengeOptions): AttestationChallenges {
  const ttlMs = options.ttlMs ?? 300_000;
  const prefix = options.keyPrefix ?? 'appattest:chal:';
  return {
    async issue() {
      const challenge = randomBytes(32).toString('base64url');
      if (!(await options.store.setIfAbsent(`${prefix}issued:${challenge}`, '1', ttlMs))) {
        throw new Error('challenge collision'); // 2^-256: a broken RNG or store, not a client error
      }
      return challenge;
    },
    async consume(challenge) {
      if (typeof challenge !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) return false;
      // Only the value issue() wrote counts: a store answering null (or anything else) for a missing key must not
      // make every well-formed string a challenge the service issued.
      if ((await options.store.get(`${prefix}issued:${challenge}`)) !== '1') return false;
      // Marking it used is the atomic step; the issued record then simply expires.
      return options.store.setIfAbsent(`${prefix}used:${challenge}`, '1', ttlMs);
    },
  };
}
