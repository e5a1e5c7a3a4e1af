/**
 * The synthetic App Attest CA these tests use, shipped as `mobile-api-shield/testing` (src/testing/app-attest.ts);
 * re-exported under the names the tests were written with.
 */
export {
  AppAttestTestCa as FakeAppleCa,
  appAttestDeviceKey as deviceKey,
  appAttestAssertion as assert,
  ec,
  issue,
  type AppAttestDeviceKey as FakeDeviceKey,
  type AppAttestAttestOptions as AttestOptions,
  type CertSpec,
} from '../../../src/testing/app-attest.js';
