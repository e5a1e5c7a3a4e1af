/**
 * Device and app integrity: the normalised verdict, its sources, and the policy engine behind the `device-risk`
 * verifier.
 */
export {
  createDeviceRiskVerifier,
  DEVICE_HEADERS,
  DEVICE_RISK_MEMO_KEY,
  type DeviceRiskMemo,
} from './verifier.js';
export {
  deviceRiskOptionsSchema,
  deviceRouteOptionsSchema,
  policyOverrideSchema,
  type DeviceRiskOptions,
  type ResolvedDeviceRiskOptions,
} from './options.js';
export {
  compilePolicy,
  evaluatePolicy,
  describeDecision,
  DEFAULT_ACTIONS,
  DEFAULT_WEIGHTS,
  DEFAULT_THRESHOLDS,
  type CompiledPolicy,
  type DeviceRouteOptions,
  type MinAppVersion,
  type PolicyDecision,
  type PolicyOptions,
  type PolicyOverride,
  type PolicyReason,
  type PolicyThresholds,
} from './policy.js';
export {
  ACTIONS,
  DERIVED_CONDITIONS,
  DEVICE_SIGNALS,
  type Condition,
  type DerivedCondition,
  type DeviceSignal,
  type PolicyAction,
} from './signals.js';
export {
  addAttested,
  addSelfReported,
  emptyVerdict,
  PLATFORM_MISMATCH,
  type AndroidIntegrity,
  type AppleFacts,
  type AttestedContribution,
  type DevicePlatform,
  type DeviceVerdict,
  type SelfReportedContribution,
  type VerdictSource,
  type VerdictTrust,
} from './verdict.js';
export {
  requestBinding,
  DEFAULT_BINDING_FORMAT,
  UnbindableRequestError,
  type BindingFormat,
  type BindingVersion,
  type RequestBinding,
} from './request-binding.js';
export {
  ASSERTION_CHALLENGE_PREFIX,
  compileAssertionFreshness,
  type AssertionFreshness,
  type AssertionFreshnessOptions,
  type FreshnessCheck,
} from './assertion-freshness.js';
export { createCountryLookup, type CountryOptions, type CountryResolver } from './country.js';
export { CidrTrie } from './cidr-trie.js';
export { compileIpReputation, type IpListOptions, type IpReputation, type IpReputationOptions } from './ip-reputation.js';
export { compareAppVersions } from './app-version.js';
export { compileClaimMapping, type ClaimSignalRule, type TokenClaimMapping } from './sources/token-claims.js';
export { playIntegrityContribution } from './sources/play-integrity.js';
export { appAttestContribution } from './sources/app-attest.js';
export { parseSelfReportedSignals } from './sources/self-reported.js';
