import * as z from 'zod/mini';
import type { Store } from './store.js';

const STORE_METHODS = ['setIfAbsent', 'get', 'delete', 'increment', 'addToSet', 'setIfGreater'] as const;

/** Accepts any object implementing the `Store` interface (duck-typed: users bring their own stores). */
export const storeSchema = z.custom<Store>(
  (v: unknown) =>
    typeof v === 'object' &&
    v !== null &&
    STORE_METHODS.every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
  `must implement the Store interface (${STORE_METHODS.join(', ')})`,
);

/** An RFC 9110 token in lower case: a header name as Node presents it. */
export const HEADER_NAME_PATTERN = /^[!#$%&'*+.^_`|~0-9a-z-]{1,128}$/;

/** A lower-case HTTP header name, as Node presents them. */
export const headerNameSchema = z.string().check(z.regex(HEADER_NAME_PATTERN, 'must be a lower-case HTTP header name'));

const PLAIN_HTTP_URL = 'must be an http(s) URL without credentials (user:password@)';

/** True for an `http:`/`https:` URL (a string or a `URL`) without `user:password@`. */
function isPlainHttpUrl(v: unknown): boolean {
  let url: URL | undefined;
  try {
    url = typeof v === 'string' ? new URL(v) : v instanceof URL ? v : undefined;
  } catch {
    return false;
  }
  return url !== undefined && (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '';
}

/**
 * An `http:` or `https:` URL, as a string or a `URL`, without `user:password@`: fetch refuses such a URL with an error
 * quoting it whole, which would carry the password into decisions and logs. The message never quotes the value.
 */
export const httpUrlSchema = z.custom<string | URL>(isPlainHttpUrl, PLAIN_HTTP_URL);

/** `httpUrlSchema` for options typed as a string. */
export const httpUrlStringSchema = z.string().check(z.refine(isPlainHttpUrl, PLAIN_HTTP_URL));
