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
