/**
 * The pin-failure report formats `POST /pinning/report` accepts: TrustKit's JSON report and the HPKP report of
 * RFC 7469 §3 (which TrustKit's extends). Every field is type- and size-checked; unknown fields are dropped.
 */
import { z } from 'zod';

const PEM_CERT = /^\s*-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----\s*$/;
/** `pin-sha256="base64"` as HPKP and TrustKit write known pins. */
const KNOWN_PIN = /^pin-sha256="([A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=)"$/;
const HOST = /^[A-Za-z0-9.-]{1,253}$/;

const shortText = z.string().max(256);
const pemChain = z.array(z.string().max(16_384).regex(PEM_CERT, 'must be a PEM certificate')).max(10);

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
  'date-time': shortText.optional(),
  hostname: z.string().regex(HOST, 'must be a host name'),
  port: z.number().int().min(0).max(65_535).optional(),
  'noted-hostname': z.string().regex(HOST, 'must be a host name').optional(),
  'include-subdomains': z.boolean().optional(),
  'effective-expiration-date': shortText.optional(),
  'served-certificate-chain': pemChain.optional(),
  'validated-certificate-chain': pemChain.optional(),
  'known-pins': z.array(z.string().max(128).regex(KNOWN_PIN, 'must be pin-sha256="<base64>"')).max(32),
  'app-bundle-id': shortText.optional(),
  'app-version': shortText.optional(),
  'app-vendor-id': shortText.optional(),
  'app-platform': shortText.optional(),
  'app-platform-version': shortText.optional(),
  'trustkit-version': shortText.optional(),
  'enforce-pinning': z.boolean().optional(),
  'validation-result': z.number().int().min(0).max(255).optional(),
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
