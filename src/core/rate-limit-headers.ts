/**
 * The IETF `RateLimit` / `RateLimit-Policy` response fields (draft-ietf-httpapi-ratelimit-headers, structured-field
 * form, as express-rate-limit's `draft-8` and @fastify/rate-limit send them). A verifier that refuses because a quota
 * is spent may describe the quota; the problem response then carries both fields next to `Retry-After`.
 */

/** A spent quota, described for the `RateLimit` / `RateLimit-Policy` fields. */
export interface RateLimitInfo {
  /** Policy name (a token: letters, digits, `-`), e.g. `ip` or `username-ip`. */
  readonly policy: string;
  /** Quota units allowed per window (`q`). */
  readonly limit: number;
  /** Window length in seconds (`w`). */
  readonly windowSeconds: number;
  /** Units left (`r`); 0 for a refusal. */
  readonly remaining: number;
  /** Seconds until the quota resets (`t`). */
  readonly resetSeconds: number;
}

const POLICY_NAME = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
const count = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 1e12;

/** Why `value` is not a {@link RateLimitInfo}, or undefined when it is one. */
export function rateLimitProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'rateLimit must be an object';
  const v = value as Record<string, unknown>;
  if (typeof v.policy !== 'string' || !POLICY_NAME.test(v.policy)) return 'rateLimit.policy must be a short token';
  if (!count(v.limit) || !count(v.windowSeconds) || !count(v.remaining) || !count(v.resetSeconds)) {
    return 'rateLimit.limit, windowSeconds, remaining and resetSeconds must be non-negative integers';
  }
  return undefined;
}

/** Adds `ratelimit-policy` and `ratelimit` to `headers`. */
export function addRateLimitHeaders(headers: Record<string, string>, info: RateLimitInfo): void {
  headers['ratelimit-policy'] = `"${info.policy}";q=${info.limit};w=${info.windowSeconds}`;
  headers['ratelimit'] = `"${info.policy}";r=${info.remaining};t=${info.resetSeconds}`;
}
