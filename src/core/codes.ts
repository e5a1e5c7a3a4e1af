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

/** A stable denial code (see docs/problems/, one page per code). */
export type ShieldCode = keyof typeof SHIELD_CODES;

/** A denial code: a built-in one, or one a verifier module declared in its `codes`. */
export type DenyCode = ShieldCode | (string & NonNullable<unknown>);

/** Status and title of each code a shield knows: the built-in ones plus those its modules declared. */
export type CodeTable = Readonly<Record<string, { readonly status: number; readonly title: string }>>;

/**
 * Default base of the RFC 9457 `type` URI: the repository's page for each code (`docs/problems/<code>.md`), so a
 * `type` resolves to a page that says what the code means, what the client should do and what the operator checks.
 */
export const PROBLEM_TYPE_BASE = 'https://github.com/mobile-api-shield/mobile-api-shield/blob/main/docs/problems/';

/** The placeholder a `problemTypeBase` may hold to put the code somewhere other than the end. */
const CODE_PLACEHOLDER = '{code}';

/**
 * Builds the function that turns a code into its problem `type` URI, once per shield (never per request): with a
 * `{code}` placeholder the code replaces it (`https://docs.example.com/errors/{code}.html`); otherwise the page name
 * `<code>.md` is appended to the base, which is how the shipped `docs/problems/` pages are named.
 */
export function problemTypeOf(base: string = PROBLEM_TYPE_BASE): (code: string) => string {
  const at = base.indexOf(CODE_PLACEHOLDER);
  if (at === -1) return (code) => `${base}${code}.md`;
  const head = base.slice(0, at);
  const tail = base.slice(at + CODE_PLACEHOLDER.length);
  return (code) => head + code + tail;
}

/** The `type` URI of a code under the default base (endpoints and `problemResponse` without a shield). */
export const defaultProblemType = problemTypeOf();

/**
 * Why `base` cannot be a problem `type` base, or undefined when it can: an absolute `https:` URL without
 * credentials, query or fragment, holding `{code}` at most once (a base with neither `{code}` nor a final `/`
 * would glue the code onto the last path segment).
 */
export function problemTypeBaseProblem(base: string): string | undefined {
  let url: URL;
  try {
    url = new URL(base.replace(CODE_PLACEHOLDER, 'code'));
  } catch {
    return 'must be an absolute https URL';
  }
  if (url.protocol !== 'https:') return 'must be an absolute https URL';
  if (url.username !== '' || url.password !== '') return 'must not hold credentials';
  if (url.search !== '' || url.hash !== '') return 'must not have a query or fragment';
  const count = base.split(CODE_PLACEHOLDER).length - 1;
  if (count > 1) return 'may hold {code} once';
  if (count === 0 && !base.endsWith('/')) return 'must end with "/" or hold {code}';
  return undefined;
}
