/**
 * Calling the application's hooks (`onDecision`, `onError`, `onEvent`, `claimsCheck`, `onDeny`...) so that nothing
 * they do can break a request or the process. A `try` around the call catches a synchronous throw only: a hook
 * written `async` returns a promise, and its rejection (a log sink down) would otherwise be unhandled, which ends a
 * Node process by default.
 */
import type { ProblemResponse } from './problem.js';
import { HEADER_NAME_PATTERN } from './schemas.js';

const ignore = (): void => undefined;

/** Handles the rejection of a promise a hook returned (nothing is awaited: hooks are not waited for). */
export function ignoreHookResult(result: unknown): void {
  if (typeof result === 'object' && result !== null && typeof (result as PromiseLike<unknown>).then === 'function') {
    Promise.resolve(result as PromiseLike<unknown>).then(ignore, ignore);
  }
}

/**
 * Calls an application hook when it is set, with one or two arguments: a throw, or a rejection of the promise it
 * returns, is swallowed (hooks are never waited for, and a failing one must not fail the request or the answer).
 */
export function callHook<A>(hook: ((a: A) => unknown) | undefined, a: A): void;
export function callHook<A, B>(hook: ((a: A, b: B) => unknown) | undefined, a: A, b: B): void;
export function callHook(hook: ((...args: unknown[]) => unknown) | undefined, a: unknown, b?: unknown): void {
  if (hook === undefined) return;
  try {
    ignoreHookResult(arguments.length > 2 ? hook(a, b) : hook(a));
  } catch {
    // see above
  }
}

/** A field value Node's `validateHeaderValue` writes: no CR, LF, NUL or other control character but tab. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * What `onDeny` returned, when it is a response the adapters can write: an object (not a promise) with an integer
 * error `status` (400-599), header names and string values Node can write, and a body `JSON.stringify` turns into a
 * string. Anything else answers with the default problem response, so a hook returning the wrong thing never turns a
 * denial into a 500 or a framework's own error page (nor, without a body, into Koa's 204).
 */
export function usableDenyResponse(value: unknown, fallback: ProblemResponse): ProblemResponse {
  if (value === undefined || value === null) return fallback;
  ignoreHookResult(value);
  if (typeof value !== 'object' || typeof (value as PromiseLike<unknown>).then === 'function') return fallback;
  const { status, headers, body } = value as Partial<ProblemResponse>;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) return fallback;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return fallback;
  for (const name of Object.keys(headers)) {
    const field = headers[name];
    if (typeof field !== 'string' || !HEADER_NAME_PATTERN.test(name.toLowerCase()) || !HEADER_VALUE.test(field)) return fallback;
  }
  try {
    // The adapters serialise the body as they write it: a BigInt, a cycle or a throwing getter would throw there.
    if (typeof JSON.stringify(body) !== 'string') return fallback;
  } catch {
    return fallback;
  }
  return value as ProblemResponse;
}
