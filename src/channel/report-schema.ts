/**
 * The pin-failure report formats `POST /pinning/report` accepts: TrustKit's JSON report and the HPKP report of
 * RFC 7469 §3 (which TrustKit's extends). Every field is type- and size-checked; unknown fields are dropped.
 */
import * as z from 'zod/mini';

const PEM_CERT = /^\s*-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----\s*$/;
/** `pin-sha256="base64"` as HPKP and TrustKit write known pins. */
const KNOWN_PIN = /^pin-sha256="([A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=)"$/;
const HOST = /^[A-Za-z0-9.-]{1,253}$/;

/**
 * No control character (C0, DEL, C1) in the free-text fields: they reach `onPinFailure`, and from there logs and
 * alerts, where a CR/LF in an `app-bundle-id` forges a log line and an ESC rewrites a terminal. No pinning library
 * sends one in these fields.
 */
const NO_CONTROL = /^[^\u0000-\u001f\u007f-\u009f]*$/;
const shortText = z.string().check(z.maxLength(256), z.regex(NO_CONTROL, 'must not hold control characters'));
const pemChain = z.array(z.string().check(z.maxLength(16_384), z.regex(PEM_CERT, 'must be a PEM certificate'))).check(z.maxLength(10));

/** TrustKit's `TSKTrustEvaluationResult`, by its integer value. */
export const TRUSTKIT_VALIDATION_RESULTS = [
  'success',
  'no_matching_pin',
  'invalid_certificate_chain',
  'invalid_parameters',
  'user_defined_trust_anchor',
  'spki_hash_failed',
] as const;

/** The schema of one report (both formats; TrustKit adds the `app-*` fields and `validation-result`). */
export const pinFailureReportSchema = z.object({
  'date-time': z.optional(shortText),
  hostname: z.string().check(z.regex(HOST, 'must be a host name')),
  port: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(65_535))),
  'noted-hostname': z.optional(z.string().check(z.regex(HOST, 'must be a host name'))),
  'include-subdomains': z.optional(z.boolean()),
  'effective-expiration-date': z.optional(shortText),
  'served-certificate-chain': z.optional(pemChain),
  'validated-certificate-chain': z.optional(pemChain),
  'known-pins': z.array(z.string().check(z.maxLength(128), z.regex(KNOWN_PIN, 'must be pin-sha256="<base64>"'))).check(z.maxLength(32)),
  'app-bundle-id': z.optional(shortText),
  'app-version': z.optional(shortText),
  'app-vendor-id': z.optional(shortText),
  'app-platform': z.optional(shortText),
  'app-platform-version': z.optional(shortText),
  'trustkit-version': z.optional(shortText),
  'enforce-pinning': z.optional(z.boolean()),
  'validation-result': z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(255))),
});

/** A report after schema checking. */
export type PinFailureReport = z.output<typeof pinFailureReportSchema>;

/** The base64 pin inside `pin-sha256="..."`. */
export function knownPinValue(entry: string): string {
  return (KNOWN_PIN.exec(entry)?.[1] as string | undefined) ?? '';
}

/** TrustKit's numeric validation result as a name (`unknown_<n>` for values it may add later). */
export function validationResultName(value: number | undefined): string {
  if (value === undefined) return 'pin_validation_failed';
  return TRUSTKIT_VALIDATION_RESULTS[value] ?? `unknown_${value}`;
}
