/** Test helpers for applications protected by mobile-api-shield. */
export { createTestAttester } from './test-attester.js';
export type { TestAttester, TestAttesterOptions, MintOptions } from './test-attester.js';
export { createPlayIntegritySimulator, playIntegrityTestKeys, playIntegrityToken, playIntegrityVerdict, TEST_CERTIFICATE_DIGEST } from './play-integrity.js';
export type { PlayIntegritySimulator, PlayIntegrityTestKeys, PlayVerdictOptions } from './play-integrity.js';
export { createAppAttestSimulator, AppAttestTestCa, appAttestDeviceKey, appAttestAssertion } from './app-attest.js';
export type {
  AppAttestSimulator,
  AppAttestSimulatorOptions,
  SimulatedAppAttestDevice,
  AppAttestDeviceKey,
  AppAttestAttestOptions,
  AppAttestAssertOptions,
} from './app-attest.js';

export { storeContract } from './store-contract.js';
export type { StoreContractOptions, TestDeclarer } from './store-contract.js';
