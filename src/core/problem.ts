import { PROBLEM_TYPE_BASE, SHIELD_CODES, type ShieldCode } from './codes.js';
import type { Decision } from './decision.js';

/** An RFC 9457 problem details body as the shield sends it: nothing in it helps an attacker. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: ShieldCode | string;
  reference: string;
  [extension: string]: unknown;
}

/** What an adapter writes for a denial: status, headers and an `application/problem+json` body. */
export interface ProblemResponse {
  status: number;
  headers: Record<string, string>;
  body: ProblemBody;
}

/** The default denial response for a decision (which must carry a code). */
export function problemResponse(decision: Decision): ProblemResponse {
  const code = decision.code ?? 'shield_unavailable';
  const known = SHIELD_CODES[code];
  const status = decision.status ?? known.status;
  const headers: Record<string, string> = {
    'content-type': 'application/problem+json',
    'cache-control': 'no-store',
  };
  if (decision.retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(decision.retryAfter)));
  return {
    status,
    headers,
    body: { type: PROBLEM_TYPE_BASE + code, title: known.title, status, code, reference: decision.reference },
  };
}
