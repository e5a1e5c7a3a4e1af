/**
 * Channel integrity: SPKI pins, pin configurations for the mobile pinning libraries, signed dynamic pin sets and
 * pin-failure reports. The app side (verifying a pin set, never-brick rules) is in `mobile-api-shield/client`.
 */
export { computePins, fetchServedChain, parseCertificates, pinsOfChain, spkiPin, PinInputError } from './compute-pins.js';
export type { CertificatePin, ChainRole, ComputePinsOptions } from './compute-pins.js';
export { formatPins, PIN_FORMATS } from './formats.js';
export type { FormatPinsOptions, FormattedPins, PinFormat } from './formats.js';
export { validatePinConfig, assertPinConfig, PinValidationError } from './validate-pins.js';
export type { HostPinConfig, PinFinding, PinValidation, ValidatePinsOptions } from './validate-pins.js';
export { MAX_PINSET_LIFETIME_SECONDS, PINSET_JWS_TYPE, pinSetPayloadSchema } from './pinset-payload.js';
export type { PinSetHost, PinSetPayload } from './pinset-payload.js';
export { importSigningKey, signPinSet } from './sign-pinset.js';
export type { PinSetSigningKey, ImportedSigningKey } from './sign-pinset.js';
export { createPinSetPublisher } from './publisher.js';
export { PinSetRefreshError } from './published-state.js';
export type { PinSetPublisher, PinSetPublisherOptions, PinSetUpdate, SignedPinSet, PinSetResponse } from './publisher.js';
export { diffPinSets, formatPinSetDiff } from './diff-pinsets.js';
export type { PinSetDiff, HostPinDiff } from './diff-pinsets.js';
export { createPinReportEndpoint } from './report-endpoint.js';
export type { PinFailureEvent, PinReportEndpoint, PinReportMetrics, PinReportOptions } from './report-endpoint.js';
export { pinFailureReportSchema } from './report-schema.js';
export type { PinFailureReport } from './report-schema.js';
