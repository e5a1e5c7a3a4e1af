/**
 * The stable denial codes of mobile-api-shield and their HTTP statuses.
 *
 * Codes are part of the public API: clients and dashboards key on them, so a code is never renamed or reused.
 * Titles are deliberately generic; they tell the client what class of problem it hit, never why precisely.
 */
export const SHIELD_CODES = {
  token_missing: { status: 401, title: 'Attestation token required' },
  token_invalid: { status: 401, title: 'Attestation token invalid' },
  token_expired: { status: 401, title: 'Attestation token expired' },
  token_replayed: { status: 401, title: 'Attestation token already used' },
  token_binding_mismatch: { status: 401, title: 'Attestation token not bound to this request' },
  shield_unavailable: { status: 503, title: 'Request could not be verified' },
  login_locked: { status: 429, title: 'Too many attempts' },
  credential_abuse: { status: 429, title: 'Too many attempts' },
  password_breached: { status: 422, title: 'Password appears in a known data breach' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  payload_malformed: { status: 400, title: 'Malformed request' },
  payload_invalid: { status: 422, title: 'Request failed validation' },
  payload_attack: { status: 403, title: 'Request blocked' },
  device_untrusted: { status: 403, title: 'Device not trusted' },
  device_step_up: { status: 403, title: 'Additional verification required' },
  request_target_ambiguous: { status: 400, title: 'Malformed request' },
  channel_stale_pins: { status: 403, title: 'Pin set out of date' },
  content_digest_invalid: { status: 400, title: 'Malformed request' },
} as const satisfies Record<string, { status: number; title: string }>;

/** A stable denial code (see the README's error code table). */
export type ShieldCode = keyof typeof SHIELD_CODES;

/** A denial code: a built-in one, or one a verifier module declared in its `codes`. */
export type DenyCode = ShieldCode | (string & NonNullable<unknown>);

/** Status and title of each code a shield knows: the built-in ones plus those its modules declared. */
export type CodeTable = Readonly<Record<string, { readonly status: number; readonly title: string }>>;

/** Base of the RFC 9457 `type` URI; the code is appended so each code has its own type. */
export const PROBLEM_TYPE_BASE = 'https://mobile-api-shield.dev/problems/';
