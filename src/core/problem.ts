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
 * `typeOf` builds the `type` URI (the shield passes the one its `problemTypeBase` configures).
 */
export function problemResponse(
  decision: Decision,
  codes: CodeTable = SHIELD_CODES,
  typeOf: (code: string) => string = defaultProblemType,
): ProblemResponse {
  const code = decision.code ?? 'shield_unavailable';
  const known = codes[code] ?? SHIELD_CODES.shield_unavailable;
  const status = decision.status ?? known.status;
  const headers: Record<string, string> = {
    'content-type': 'application/problem+json',
    'cache-control': 'no-store',
  };
  if (decision.retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(decision.retryAfter)));
  if (decision.rateLimit !== undefined) addRateLimitHeaders(headers, decision.rateLimit);
  return {
    status,
    headers,
    body: { type: typeOf(code), title: known.title, status, code, reference: decision.reference },
  };
}
