/**
 * Play Integrity test keys and tokens, now shipped as `mobile-api-shield/testing` (src/testing/play-integrity.ts);
 * re-exported under the names these tests were written with, plus their fixed genuine verdict.
 */
import type { PlayIntegrityPayload } from '../../../src/attestation/play-integrity/index.js';
import { playIntegrityVerdict, TEST_CERTIFICATE_DIGEST } from '../../../src/testing/play-integrity.js';

export {
  playIntegrityTestKeys as playKeys,
  playIntegrityToken as playToken,
  type PlayIntegrityTestKeys as PlayKeys,
} from '../../../src/testing/play-integrity.js';

export const PACKAGE = 'com.example.bank';
/** Base64url SHA-256 of a made-up signing certificate, as Google reports it. */
export const CERT_DIGEST = TEST_CERTIFICATE_DIGEST;

/** A genuine verdict in Google's documented shape (strings where Google sends strings). */
export function genuinePayload(now: number, binding: { nonce?: string; requestHash?: string }): PlayIntegrityPayload {
  return playIntegrityVerdict({ packageName: PACKAGE, ...binding, timestampMillis: now - 1_000, versionCode: 420 });
}
