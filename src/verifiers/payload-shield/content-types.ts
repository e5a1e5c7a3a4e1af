/** Request parts the payload shield reads before its walk: the body's media type against the allowed ones, a header. */

/** True when the media type `type` matches one of `allowed` (exact, `*\/*`, or one `*` wildcard: `application/*+json`). */
export function contentTypeAllowed(type: string, allowed: readonly string[]): boolean {
  for (const pattern of allowed) {
    if (pattern === type || pattern === '*/*') return true;
    const star = pattern.indexOf('*');
    if (star !== -1 && type.startsWith(pattern.slice(0, star)) && type.endsWith(pattern.slice(star + 1))) return true;
  }
  return false;
}

/**
 * A header's value as one string (repeated ones joined with `, `), or undefined. A request built by hand for `check()`
 * may hold anything: a value that is neither a string nor strings reads as absent, as `headerValue` reads it.
 */
export function headerString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.join(', ') : undefined;
}
