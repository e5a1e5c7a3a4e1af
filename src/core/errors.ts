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

/** A short, secret-free description of an error for the Decision (class and code, never the message body). */
export function errorDetail(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.name} ${code}` : `${error.name}: ${error.message.slice(0, 120)}`;
  }
  return 'non-error thrown';
}
