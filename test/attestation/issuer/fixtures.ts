/**
 * Shared setup for the attestation-service tests: a service for one Android and one iOS app, built on the
 * simulators of `mobile-api-shield/testing`, and platform attesters for the client that use them.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createAttestationService, type AttestationServiceOptions } from '../../../src/attestation/issuer/index.js';
import type { AppAttestAttester, PlayIntegrityAttester } from '../../../src/client/index.js';
import type { Store } from '../../../src/stores/store.js';
import {
  createAppAttestSimulator,
  createPlayIntegritySimulator,
  type PlayVerdictOptions,
  type SimulatedAppAttestDevice,
} from '../../../src/testing/index.js';

export const PACKAGE = 'com.example.bank';
export const TEAM_ID = 'ABCDE12345';
export const BUNDLE_ID = 'com.example.bank';
export const ISSUER = 'https://attest.example.com';
export const AUDIENCE = 'bank-api';

export const play = createPlayIntegritySimulator(PACKAGE);
export const apple = createAppAttestSimulator({ teamId: TEAM_ID, bundleId: BUNDLE_ID });

/** A fresh EC P-256 signing key. */
export function signingKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
}

export const KEY_A = signingKey();

/** A service for the test apps on `store`; `overrides` replace any option. */
export function testService(store: Store, overrides: Partial<AttestationServiceOptions> = {}) {
  return createAttestationService({
    signingKeys: [{ kid: 'key-a', privateKey: KEY_A }],
    issuer: ISSUER,
    audience: AUDIENCE,
    android: play.options,
    ios: { teamId: TEAM_ID, bundleId: BUNDLE_ID, environment: 'production', trustAnchor: apple.trustAnchor },
    store,
    ...overrides,
  });
}

/**
 * The body of `POST /attest/android`: `clientData` with `fields` (a challenge and any binding, pin-set version or
 * installation id), and a Play token whose standard request hash (or classic nonce, with `classic`) is its hash.
 */
export async function androidTokenBody(
  fields: Record<string, unknown>,
  verdict: Partial<PlayVerdictOptions> = {},
  classic = false,
): Promise<{ integrityToken: string; clientData: string }> {
  const clientData = JSON.stringify(fields);
  const hash = createHash('sha256').update(clientData).digest('base64url');
  const integrityToken = await play.token({ ...verdict, ...(classic ? { nonce: hash } : { requestHash: hash }) });
  return { integrityToken, clientData };
}

/** An Android app on a phone whose Play Integrity verdict is `verdict` (genuine by default). */
export function androidApp(verdict: Partial<PlayVerdictOptions> = {}, installationId = 'install-0001'): PlayIntegrityAttester {
  return {
    platform: 'android',
    installationId,
    requestIntegrityToken: (requestHash) => play.token({ ...verdict, requestHash }),
  };
}

/** An iOS app on a simulated iPhone. */
export function iosApp(device: SimulatedAppAttestDevice = apple.device()): AppAttestAttester & { device: SimulatedAppAttestDevice } {
  return {
    platform: 'ios',
    device,
    generateKey: async () => device.keyId,
    attestKey: (_keyId, hash) => device.attestKey(hash),
    generateAssertion: (_keyId, hash) => device.generateAssertion(hash),
  };
}
