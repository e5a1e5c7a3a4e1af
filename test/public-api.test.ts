/**
 * The package root's public API: every exported value and its kind. A removed or changed export breaks users; add
 * new ones here on purpose (and to CHANGELOG).
 */
import { describe, expect, it } from 'vitest';
import * as root from '../src/index.js';

const EXPORTED: readonly [string, string][] = [
  ['APPLE_APP_ATTESTATION_ROOT_CA_PEM', 'string'],
  ['AppAttestError', 'function'],
  ['BUILT_IN_MODULES', 'object'],
  ['BodyError', 'function'],
  ['CREDENTIAL_DEFAULTS', 'object'],
  ['DEFAULT_LIMITS', 'object'],
  ['DEVICE_HEADERS', 'object'],
  ['FIREBASE_APP_CHECK_JWKS_URL', 'string'],
  ['MemoryStore', 'function'],
  ['PROBLEM_TYPE_BASE', 'string'],
  ['PlayIntegrityError', 'function'],
  ['RULE_CATALOGUE', 'object'],
  ['SHIELD_CODES', 'object'],
  ['ShieldConfigError', 'function'],
  ['ShieldDenyError', 'function'],
  ['approov', 'function'],
  ['createAppAttestRegistry', 'function'],
  ['createAttestationChallenges', 'function'],
  ['createClientIpResolver', 'function'],
  ['createCredentialAbuseVerifier', 'function'],
  ['createDeviceRiskVerifier', 'function'],
  ['createPayloadShieldVerifier', 'function'],
  ['createPlayIntegrityVerifier', 'function'],
  ['createShield', 'function'],
  ['credentialAbuseOptionsSchema', 'object'],
  ['defineVerifierModule', 'function'],
  ['deviceRiskOptionsSchema', 'object'],
  ['firebaseAppCheck', 'function'],
  ['inspectPayload', 'function'],
  ['parseBody', 'function'],
  ['payloadShieldOptionsSchema', 'object'],
  ['problemResponse', 'function'],
  ['readRawBody', 'function'],
  ['reportLoginOutcome', 'function'],
  ['requestBinding', 'function'],
  ['shieldConfigSchema', 'object'],
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
