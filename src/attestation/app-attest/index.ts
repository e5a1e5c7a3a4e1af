/**
 * Apple App Attest: attestation (key registration) and assertion (per-request) verification.
 */
export { APPLE_APP_ATTESTATION_ROOT_CA_PEM, APPLE_APP_ATTESTATION_ROOT_CA_SHA256 } from './apple-root-ca.js';
export { verifyAppAttestation, type AppAttestationInput, type VerifiedAppAttestation } from './attestation.js';
export { verifyAppAssertion, type AppAssertionInput, type VerifiedAppAssertion } from './assertion.js';
export {
  createAppAttestRegistry,
  type AppAttestRegistry,
  type AppAttestRegistryOptions,
  type AppAttestRegistrationInput,
  type AppAttestAssertionCheck,
  type StoredAppAttestKey,
} from './registry.js';
export { AppAttestError, type AppAttestFailureReason } from './errors.js';
export { AAGUID, type AppAttestEnvironment } from './environment.js';
export { parseAuthenticatorData, type AuthenticatorData } from './authenticator-data.js';
export {
  createAttestationChallenges,
  type AttestationChallenges,
  type AttestationChallengeOptions,
} from './challenges.js';
export { APPLE_ROOT_CA_G3_PEM, APPLE_ROOT_CA_G3_SHA256 } from './apple-root-ca-g3.js';
export {
  verifyAppAttestReceipt,
  type AppAttestReceiptInput,
  type AppAttestReceiptType,
  type VerifiedAppAttestReceipt,
} from './receipt.js';
export {
  APP_ATTEST_RISK_URLS,
  AppAttestRiskError,
  refreshAppAttestRisk,
  type AppAttestRiskRefresh,
  type AppAttestRiskRefreshOptions,
  type DeviceCheckCredentials,
} from './fraud-risk.js';
export { readExtensions, type AppAttestExtensions, type AppAttestValidationCategory } from './extensions.js';
export { MAC_FULL_SECURITY_ACL, readMacAccessControl, type MacAccessControl } from './mac-access-control.js';
export type { StoredAppAttestReceipt } from './registry.js';
