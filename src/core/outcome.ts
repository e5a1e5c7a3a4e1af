import { SHIELD_CODES, type CodeTable } from './codes.js';
import type { RequestOutcome, VerifierOutcome } from './verifier.js';
import { rateLimitProblem } from './rate-limit-headers.js';

/** The plain pass (no detail, no cache answer): one frozen object every verifier can return, allocated once. */
export const PASS: VerifierOutcome = Object.freeze({ outcome: 'pass' });

/**
 * A verifier returned something that is not an outcome. The core treats it as the verifier failing to decide
 * (`shield_unavailable`, reported to `onError`), never as a pass: a custom verifier returning `false`, `'deny'` or
 * `{ allowed: false }` must not let the request through.
 */
export class InvalidVerifierOutcomeError extends Error {
  constructor(verifier: string, reason: string) {
    super(`verifier "${verifier}" returned an invalid outcome: ${reason}`);
    this.name = 'InvalidVerifierOutcomeError';
  }
}

function isKnownCode(code: unknown, codes: CodeTable): code is string {
  return typeof code === 'string' && Object.hasOwn(codes, code);
}

/**
 * Why `value` is not a {@link VerifierOutcome}, or undefined when it is one: `{ outcome: 'pass' | 'skip' }`, or
 * `{ outcome: 'deny', code }` with a known code (built in, or declared by a module in `codes`); `detail` a string, `cache` `'hit'` or `'miss'` and `retryAfter` a
 * positive finite number when present. Exact strings only (`'DENY'` is not an outcome), so a typo can never read as a pass.
 */
export function outcomeProblem(value: unknown, codes: CodeTable = SHIELD_CODES): string | undefined {
  if (typeof value !== 'object' || value === null) return `expected an object, got ${value === null ? 'null' : typeof value}`;
  const { outcome, detail, cache } = value as { outcome?: unknown; detail?: unknown; cache?: unknown };
  if (detail !== undefined && typeof detail !== 'string') return 'detail must be a string';
  if (cache !== undefined && cache !== 'hit' && cache !== 'miss') return "cache must be 'hit' or 'miss'";
  if (outcome === 'pass' || outcome === 'skip') return undefined;
  if (outcome !== 'deny') {
    return typeof outcome === 'string' ? `unknown outcome ${JSON.stringify(outcome.slice(0, 32))}` : 'no outcome';
  }
  const { code, retryAfter } = value as { code?: unknown; retryAfter?: unknown };
  if (!isKnownCode(code, codes)) return typeof code === 'string' ? `unknown deny code ${JSON.stringify(code.slice(0, 48))}` : 'deny without a code';
  if (retryAfter !== undefined && !(typeof retryAfter === 'number' && Number.isFinite(retryAfter) && retryAfter > 0)) {
    return 'retryAfter must be a positive number of seconds';
  }
  const { rateLimit } = value as { rateLimit?: unknown };
  if (rateLimit !== undefined) return rateLimitProblem(rateLimit);
  return undefined;
}

/** `value` itself when it is a valid outcome, otherwise an {@link InvalidVerifierOutcomeError} to fail with. */
export function checkOutcome(value: unknown, verifier: string, codes: CodeTable = SHIELD_CODES): VerifierOutcome | InvalidVerifierOutcomeError {
  const problem = outcomeProblem(value, codes);
  return problem === undefined ? (value as VerifierOutcome) : new InvalidVerifierOutcomeError(verifier, problem);
}

/** True for what a request can end with (`RequestOutcome`): a status Node can send (100-999), `success`, `failure` or `refused`. */
export function isRequestOutcome(value: unknown): value is RequestOutcome {
  return value === 'success' || value === 'failure' || value === 'refused' || (typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 999);
}
