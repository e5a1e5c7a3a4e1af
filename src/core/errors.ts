import type { ShieldCode } from './codes.js';

/** Thrown by `createShield` when the configuration is invalid; the message names every bad option path and why. */
export class ShieldConfigError extends Error {
  /** One entry per problem: the option path (`token.secret`) and what is wrong with it. */
  readonly issues: readonly { path: string; message: string }[];

  constructor(issues: readonly { path: string; message: string }[]) {
    super(
      `Invalid mobile-api-shield configuration:\n${issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n')}`,
    );
    this.name = 'ShieldConfigError';
    this.issues = issues;
  }
}

/**
 * Thrown from inside a verifier (or from the body reader) to deny with a specific code instead of counting as an
 * error; e.g. an oversized body is `payload_too_large`, not `shield_unavailable`.
 */
export class ShieldDenyError extends Error {
  readonly code: ShieldCode;
  constructor(code: ShieldCode, message?: string) {
    super(message ?? code);
    this.name = 'ShieldDenyError';
    this.code = code;
  }
}

/** The code a `ShieldDenyError` (or `BodyError`, its subclass) denies with, instead of failing as an error. */
export function denyCodeOf(error: unknown): ShieldCode | undefined {
  return error instanceof ShieldDenyError ? error.code : undefined;
}

/**
 * A short, secret-free description of an error for the Decision: its class and code, never the message, which may
 * quote a URL with its password, a header or a token (fetch's errors quote the URL whole). `onError` receives the
 * error itself.
 */
export function errorDetail(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const name = typeof error.name === 'string' ? error.name.slice(0, 64) : 'Error';
    return typeof code === 'string' ? `${name} ${code.slice(0, 64)}` : name;
  }
  return 'non-error thrown';
}

/**
 * A verifier (or its `onResponse`) still pending at its deadline: its own class, so `onError` and the
 * `error.type` of the OpenTelemetry error counter tell a timeout from the verifier's own failures.
 */
export class VerifierTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VerifierTimeoutError';
  }
}
