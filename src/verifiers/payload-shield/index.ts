/**
 * The payload shield: an in-process web application firewall for JSON APIs (structural limits, schemas,
 * prototype pollution, injection detectors with anomaly scoring, exclusions, virtual patches).
 */
export { createPayloadShieldVerifier, PAYLOAD_SHIELD_NAME } from './verifier.js';
export {
  payloadShieldOptionsSchema,
  payloadRouteOptionsSchema,
  payloadExclusionSchema,
  virtualPatchSchema,
  mergePayloadOptions,
  type PayloadShieldOptions,
  type PayloadRouteOptions,
  type PayloadExclusion,
  type VirtualPatch,
  type PatchMatcher,
  type CategoryMode,
} from './options.js';
export { inspectPayload, inspectRequestHead, describeVerdict, type PayloadRequest, type PayloadVerdict } from './inspect.js';
export { compilePayloadOptions, DEFAULT_INSPECTED_HEADERS, NEVER_INSPECTED_HEADERS, type CompiledPayloadOptions } from './compile.js';
export { DEFAULT_LIMITS, type PayloadLimits } from './limits.js';
export { CATEGORIES, SEVERITY, type Category, type LocatedHit, type RuleHit } from './types.js';
export { parseQueryString, type ParsedQuery } from './query-parser.js';
export { normalise } from './normalise.js';
export { RULE_CATALOGUE } from './rules.js';
export type { StandardSchemaV1, StandardSchemaProps, StandardSchemaResult, StandardSchemaIssue } from './standard-schema.js';
