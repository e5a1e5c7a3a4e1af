/**
 * The synthetic App Attest CA these tests use, now shipped as `mobile-api-shield/testing` (src/testing/app-attest.ts);
 * re-exported under the names the tests were written with.
 */
export {
  AppAttestTestCa as FakeAppleCa,
  appAttestDeviceKey as deviceKey,
  appAttestAssertion as assert,
  type AppAttestDeviceKey as FakeDeviceKey,
  type AppAttestAttestOptions as AttestOptions,
} from '../../../src/testing/app-attest.js';
