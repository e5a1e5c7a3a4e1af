import type { ShieldRequest } from '../../core/request.js';
import { HEADER_NAME_PATTERN } from '../../core/schemas.js';

/**
 * Where a login route's username (or another credential field) is read from: `'body.email'` (a dotted path into
 * the parsed body), `'header.x-user'` (a lower-case header name), or a function of the request and parsed body.
 */
export type FieldSource = string | ((request: ShieldRequest, body: unknown) => string | undefined);

/**
 * A field source compiled once into a reader; reading never throws. It yields the field's string, `undefined` when
 * the field is absent, or `null` when it is present but not one string (a number, an array, an object, `null`, a
 * repeated header): such a value is refused, never skipped, because applications coerce it (`String(['alice'])`
 * is `'alice'`) and a skipped username would escape its lock.
 */
export type FieldReader = (request: ShieldRequest, body: unknown) => string | undefined | null;

const MAX_PATH_SEGMENTS = 8;

/** Why a field source string is invalid, or undefined when it is valid. */
export function fieldSourceProblem(source: string): string | undefined {
  const dot = source.indexOf('.');
  const kind = dot === -1 ? source : source.slice(0, dot);
  const rest = dot === -1 ? '' : source.slice(dot + 1);
  if (kind === 'body') {
    const segments = rest.split('.');
    if (rest.length === 0 || segments.some((s) => s.length === 0)) return 'must be "body.<field>[.<field>...]"';
    if (segments.length > MAX_PATH_SEGMENTS) return `at most ${MAX_PATH_SEGMENTS} path segments`;
    if (segments.some((s) => s === '__proto__' || s === 'constructor' || s === 'prototype')) {
      return 'must not name __proto__, constructor or prototype';
    }
    return undefined;
  }
  if (kind === 'header') {
    return HEADER_NAME_PATTERN.test(rest) ? undefined : 'must be "header.<lower-case header name>"';
  }
  return 'must start with "body." or "header." (or be a function)';
}

/** Compiles a field source once (at construction or first use of a route), so reading is a few property loads. */
export function compileFieldSource(source: FieldSource): FieldReader {
  if (typeof source === 'function') {
    return (request, body) => {
      try {
        const value: unknown = source(request, body);
        return value === undefined || typeof value === 'string' ? value : null;
      } catch {
        // A throwing user function (`body.email.trim()` on `["victim"]`) cannot say which account is tried: the
        // login is refused as malformed, never counted under the shared "no username" key instead of the account's.
        return null;
      }
    };
  }
  const problem = fieldSourceProblem(source);
  if (problem !== undefined) throw new TypeError(`field source ${JSON.stringify(source)} ${problem}`);
  const dot = source.indexOf('.');
  const rest = source.slice(dot + 1);
  if (source.startsWith('header.')) {
    return (request) => {
      const value = request.headers[rest];
      // Sent twice: which one the application reads is its business, so neither is trusted. Node joins a repeated
      // custom header into one string (`a, a`), which only the raw header lines tell apart from one value.
      if (value === undefined) return value;
      return typeof value === 'string' && !sentTwice(request.rawHeaders, rest) ? value : null;
    };
  }
  const path = rest.split('.');
  return (_request, body) => {
    let current: unknown = body;
    for (const segment of path) {
      // Own properties only: a body can never reach Object.prototype through the path.
      if (typeof current !== 'object' || current === null || Array.isArray(current)) {
        return current === undefined ? undefined : null;
      }
      if (!Object.hasOwn(current, segment)) return undefined;
      current = (current as Record<string, unknown>)[segment];
    }
    return current === undefined || typeof current === 'string' ? current : null;
  };
}

/** True when the raw header lines hold `name` (lower case) more than once. */
function sentTwice(rawHeaders: readonly string[] | undefined, name: string): boolean {
  if (rawHeaders === undefined) return false;
  let seen = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const line = rawHeaders[i]!;
    if (line.length === name.length && line.toLowerCase() === name && ++seen > 1) return true;
  }
  return false;
}
