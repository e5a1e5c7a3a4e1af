/**
 * mobile-api-shield: protect the API of a mobile app. Build a shield with `createShield(config)` and mount it with
 * an adapter (`mobile-api-shield/express`, `/koa`, `/fastify`).
 */
export { createShield, shieldConfigSchema, BUILT_IN_MODULES } from './shield.js';
export { reportLoginOutcome } from './core/shield.js';
export type { Shield, ShieldConfig, RouteOptions, Decision, BuiltInModuleConfigs, BuiltInModuleApis } from './shield.js';
export type { CheckOptions, CheckStage } from './core/shield.js';
export type { BaseShieldConfig, ResolvedShieldConfig } from './core/config.js';
export { defineVerifierModule } from './core/module.js';
export type { VerifierModule, ModuleDeps, ModuleCode, ModuleInstance } from './core/module.js';
export type { VerifierResult } from './core/decision.js';
export type { ShieldRequest } from './core/request.js';
export type { LoggedRequest } from './core/redact.js';
export type { Verifier, VerifierContext, VerifierOutcome, RequestOutcome, Attestation, AttestationClaims, CacheLookup } from './core/verifier.js';
export type { Mode } from './core/route-options.js';
export { SHIELD_CODES, PROBLEM_TYPE_BASE } from './core/codes.js';
export type { ShieldCode, DenyCode } from './core/codes.js';
export { ShieldConfigError, ShieldDenyError } from './core/errors.js';
export { problemResponse } from './core/problem.js';
export type { ProblemBody, ProblemResponse } from './core/problem.js';
export type { RateLimitInfo } from './core/rate-limit-headers.js';
export type { TokenOptions } from './verifiers/token/config.js';
export type { TokenRouteOptions, TokenBindingOptions } from './verifiers/token/options.js';
export { approov } from './attestation/approov.js';
export type { ApproovOptions } from './attestation/approov.js';
export { firebaseAppCheck, FIREBASE_APP_CHECK_JWKS_URL } from './attestation/firebase-app-check.js';
export type { FirebaseAppCheckOptions } from './attestation/firebase-app-check.js';
export type { Store } from './stores/store.js';
export { MemoryStore } from './stores/memory.js';
export { timedStore } from './stores/timed-store.js';
export type { StoreOperationName, StoreOperationListener } from './stores/timed-store.js';
export type { ClientIpOptions, ClientIpResolver, ResolvedClientIp } from './core/client-ip.js';
export { createClientIpResolver } from './core/client-ip.js';

// Device and app integrity.
export { createDeviceRiskVerifier, deviceRiskOptionsSchema, DEVICE_HEADERS, requestBinding } from './verifiers/device-risk/index.js';
export { ASSERTION_CHALLENGE_PREFIX, PLATFORM_MISMATCH } from './verifiers/device-risk/index.js';
export type {
  DeviceRiskOptions,
  DeviceRouteOptions,
  DeviceRiskMemo,
  DeviceVerdict,
  DeviceSignal,
  PolicyDecision,
  PolicyAction,
} from './verifiers/device-risk/index.js';
export {
  APPLE_APP_ATTESTATION_ROOT_CA_PEM,
  AppAttestError,
  createAppAttestRegistry,
  createAttestationChallenges,
  verifyAppAssertion,
  verifyAppAttestation,
} from './attestation/app-attest/index.js';
export type {
  AppAttestEnvironment,
  AppAttestFailureReason,
  AppAttestRegistry,
  AppAttestRegistryOptions,
  AttestationChallenges,
} from './attestation/app-attest/index.js';
export { createPlayIntegrityVerifier, PlayIntegrityError, verifyPlayIntegrityToken } from './attestation/play-integrity/index.js';
export type {
  PlayIntegrityFailureReason,
  PlayIntegrityOptions,
  PlayIntegrityVerifier,
  VerifiedPlayIntegrity,
} from './attestation/play-integrity/index.js';

// Credential integrity.
export { createCredentialAbuseVerifier, credentialAbuseOptionsSchema, CREDENTIAL_DEFAULTS } from './verifiers/credential-abuse/index.js';
export type { CredentialAbuseOptions, CredentialRouteOptions, BreachedPasswordOptions } from './verifiers/credential-abuse/index.js';
export type {
  CredentialCounterName,
  CredentialResetResult,
  CredentialResetTarget,
  CredentialsApi,
} from './verifiers/credential-abuse/index.js';

// Service integrity.
export { createPayloadShieldVerifier, payloadShieldOptionsSchema, inspectPayload, RULE_CATALOGUE, DEFAULT_LIMITS } from './verifiers/payload-shield/index.js';
export type {
  PayloadShieldOptions,
  PayloadRouteOptions,
  PayloadExclusion,
  VirtualPatch,
  PatchMatcher,
  CategoryMode,
  PayloadVerdict,
  Category,
  PayloadLimits,
  StandardSchemaV1,
  StandardSchemaProps,
  StandardSchemaResult,
  StandardSchemaIssue,
} from './verifiers/payload-shield/index.js';
export { BodyError, readRawBody } from './core/body.js';
export { parseBody } from './shield.js';
export { endpointProblem, serveEndpoint, DEFAULT_ENDPOINT_BODY_LIMIT } from './core/endpoints.js';
export type { Endpoints, EndpointRoute, EndpointRequest, EndpointResponse, EndpointMethod } from './core/endpoints.js';

// Attestation service (self-hosted token issuer).
export { createAttestationService, ATTESTATION_SERVICE_CODES, ATTESTATION_SERVICE_CLAIMS } from './attestation/issuer/index.js';
export type {
  AttestationService,
  AttestationServiceOptions,
  AttestationPolicy,
  AttestationServiceEvent,
  IssuedToken,
  IssuedDeviceVerdict,
  IssuedTokenClaims,
  SigningKeyInput,
  PublishedJwk,
} from './attestation/issuer/index.js';

// Channel integrity (pins, signed pin sets, pin-failure reports, channel.minPinSetVersion).
export * from './channel/index.js';
export { createChannelVerifier, channelOptionsSchema } from './verifiers/channel/index.js';
export type { ChannelOptions } from './verifiers/channel/index.js';
