import type { ShieldRequest } from './request.js';

/** The request as `onDecision` sees it: enough to log and correlate, with every credential and proof masked. */
export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  /** The socket address the adapter saw (the Decision has the resolved client IP). */
  readonly ip: string;
  /** Headers with the values of sensitive ones replaced by `[redacted]`. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Headers that carry credentials or single-use proofs in any deployment. */
export const ALWAYS_REDACTED = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'approov-token',
  'x-firebase-appcheck',
  'x-attestation-token',
  'x-play-integrity',
  'x-app-attest-assertion',
] as const;

const REDACTED = '[redacted]';

/**
 * Builds the logged view of a request: no body and no query (either may hold a password or a token), sensitive
 * headers masked. Runs only when an `onDecision` hook is configured.
 */
export function redactRequest(request: ShieldRequest, sensitive: ReadonlySet<string>): LoggedRequest {
  const headers: Record<string, string | string[] | undefined> = {};
  for (const name of Object.keys(request.headers)) {
    headers[name] = sensitive.has(name) ? REDACTED : request.headers[name];
  }
  return { method: request.method, path: request.path, ip: request.ip, headers };
}
