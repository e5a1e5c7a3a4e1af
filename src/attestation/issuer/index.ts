/**
 * The self-hosted attestation service: Play Integrity / App Attest evidence in, short-lived ES256 tokens out.
 */
export { createAttestationService, ATTESTATION_SERVICE_CODES, type AttestationService, type IssuedToken } from './service.js';
export { ATTESTATION_SERVICE_CLAIMS, type IssuedDeviceVerdict, type IssuedTokenClaims } from './claims.js';
export type { AttestationServiceOptions, AttestationPolicy, AttestationServiceEvent } from './options.js';
export type { SigningKeyInput, PublishedJwk } from './key-ring.js';
