/**
 * Google Play Integrity: local verification of integrity tokens (JWE A256KW/A256GCM around an ES256 JWS), or of
 * verdicts decoded by Google's endpoint through an injected decoder.
 */
export {
  createPlayIntegrityVerifier,
  verifyPlayIntegrityToken,
  type PlayIntegrityOptions,
  type PlayIntegrityBinding,
  type PlayIntegrityDecoder,
  type PlayIntegrityVerifier,
  type VerifiedPlayIntegrity,
} from './verifier.js';
export { checkRequestDetails, checkVerdict, normaliseDigest, riskyAppsDetected, type PlayIntegrityRequirements } from './checks.js';
export { PlayIntegrityError, type PlayIntegrityFailureReason } from './errors.js';
export {
  DEVICE_LEVELS,
  impliedLevels,
  isDeviceLevel,
  meetsLevel,
  type DeviceLevel,
  type PlayIntegrityPayload,
} from './payload.js';
