/**
 * The package root's public API: every exported value and its kind. A removed or changed export breaks users; add
 * new ones here on purpose (and to CHANGELOG).
 */
import { describe, expect, it } from 'vitest';
import * as root from '../src/index.js';

const EXPORTED: readonly [string, string][] = [
  ['APPLE_APP_ATTESTATION_ROOT_CA_PEM', 'string'],
  ['ASSERTION_CHALLENGE_PREFIX', 'string'],
  ['ATTESTATION_SERVICE_CLAIMS', 'object'],
  ['ATTESTATION_SERVICE_CODES', 'object'],
  ['AppAttestError', 'function'],
  ['BUILT_IN_MODULES', 'object'],
  ['BodyError', 'function'],
  ['CREDENTIAL_DEFAULTS', 'object'],
  ['DEFAULT_ENDPOINT_BODY_LIMIT', 'number'],
  ['DEFAULT_LIMITS', 'object'],
  ['DEVICE_HEADERS', 'object'],
  ['FIREBASE_APP_CHECK_JWKS_URL', 'string'],
  ['MAX_PINSET_LIFETIME_SECONDS', 'number'],
  ['MemoryStore', 'function'],
  ['PINSET_JWS_TYPE', 'string'],
  ['PIN_FORMATS', 'object'],
  ['PLATFORM_MISMATCH', 'string'],
  ['PROBLEM_TYPE_BASE', 'string'],
  ['PinInputError', 'function'],
  ['PinSetRefreshError', 'function'],
  ['PinValidationError', 'function'],
  ['PlayIntegrityError', 'function'],
  ['RULE_CATALOGUE', 'object'],
  ['SHIELD_CODES', 'object'],
  ['ShieldConfigError', 'function'],
  ['ShieldDenyError', 'function'],
  ['approov', 'function'],
  ['assertPinConfig', 'function'],
  ['channelOptionsSchema', 'object'],
  ['computePins', 'function'],
  ['createAppAttestRegistry', 'function'],
  ['createAttestationChallenges', 'function'],
  ['createAttestationService', 'function'],
  ['createChannelVerifier', 'function'],
  ['createClientIpResolver', 'function'],
  ['createCredentialAbuseVerifier', 'function'],
  ['createDeviceRiskVerifier', 'function'],
  ['createPayloadShieldVerifier', 'function'],
  ['createPinReportEndpoint', 'function'],
  ['createPinSetPublisher', 'function'],
  ['createPlayIntegrityVerifier', 'function'],
  ['createShield', 'function'],
  ['credentialAbuseOptionsSchema', 'object'],
  ['defineVerifierModule', 'function'],
  ['deviceRiskOptionsSchema', 'object'],
  ['diffPinSets', 'function'],
  ['endpointProblem', 'function'],
  ['fetchServedChain', 'function'],
  ['firebaseAppCheck', 'function'],
  ['formatPinSetDiff', 'function'],
  ['formatPins', 'function'],
  ['importSigningKey', 'function'],
  ['inspectPayload', 'function'],
  ['parseBody', 'function'],
  ['parseCertificates', 'function'],
  ['payloadShieldOptionsSchema', 'object'],
  ['pinFailureReportSchema', 'object'],
  ['pinSetPayloadSchema', 'object'],
  ['pinsOfChain', 'function'],
  ['problemResponse', 'function'],
  ['readRawBody', 'function'],
  ['reportLoginOutcome', 'function'],
  ['requestBinding', 'function'],
  ['serveEndpoint', 'function'],
  ['shieldConfigSchema', 'object'],
  ['signPinSet', 'function'],
  ['spkiPin', 'function'],
  ['timedStore', 'function'],
  ['validatePinConfig', 'function'],
  ['verifyAppAssertion', 'function'],
  ['verifyAppAttestation', 'function'],
  ['verifyPlayIntegrityToken', 'function'],
];

describe('package root exports', () => {
  it('exports exactly the pinned names, each of the pinned kind', () => {
    const actual = Object.keys(root)
      .sort()
      .map((name) => [name, typeof (root as Record<string, unknown>)[name]]);
    expect(actual).toEqual(EXPORTED);
  });
});
