import { defaultProblemType, SHIELD_CODES, type CodeTable, type DenyCode } from './codes.js';
import type { Decision } from './decision.js';
import { addRateLimitHeaders } from './rate-limit-headers.js';

/** An RFC 9457 problem details body as the shield sends it: nothing in it helps an attacker. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: DenyCode;
  reference: string;
  /** Client-safe help for some codes (`token_missing` names the header to send), from the modules' `problemDetails`. */
  detail?: string;
  [extension: string]: unknown;
}

/** What an adapter writes for a denial: status, headers and an `application/problem+json` body. */
export interface ProblemResponse {
  status: number;
  headers: Record<string, string>;
  body: ProblemBody;
}

/**
 * The default denial response for a decision (which must carry a code); `codes` adds the modules' own codes and
 * `typeOf` builds the `type` URI (the shield passes the one its `problemTypeBase` configures); `details` gives some
 * codes a client-safe `detail` (the modules' `problemDetails`).
 */
export function problemResponse(
  decision: Decision,
  codes: CodeTable = SHIELD_CODES,
  typeOf: (code: string) => string = defaultProblemType,
  details: Readonly<Record<string, string>> = NO_DETAILS,
): ProblemResponse {
  const code = decision.code ?? 'shield_unavailable';
  // Own entries only: an inherited name ('constructor', 'toString') is no code, and its lookup no status or detail.
  const known = Object.hasOwn(codes, code) ? codes[code]! : SHIELD_CODES.shield_unavailable;
  const status = decision.status ?? known.status;
  const headers: Record<string, string> = {
    'content-type': 'application/problem+json',
    'cache-control': 'no-store',
  };
  if (decision.retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(decision.retryAfter)));
  if (decision.rateLimit !== undefined) addRateLimitHeaders(headers, decision.rateLimit);
  const body: ProblemBody = { type: typeOf(code), title: known.title, status, code, reference: decision.reference };
  const detail = Object.hasOwn(details, code) ? details[code] : undefined;
  if (detail !== undefined) body.detail = detail;
  return { status, headers, body };
}

const NO_DETAILS: Readonly<Record<string, string>> = Object.freeze({});
