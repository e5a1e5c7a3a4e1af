/** The body's media type against the ones a route allows. */

/** True when the media type `type` matches one of `allowed` (exact, `*\/*`, or one `*` wildcard: `application/*+json`). */
export function contentTypeAllowed(type: string, allowed: readonly string[]): boolean {
  for (const pattern of allowed) {
    if (pattern === type || pattern === '*/*') return true;
    const star = pattern.indexOf('*');
    if (star !== -1 && type.startsWith(pattern.slice(0, star)) && type.endsWith(pattern.slice(star + 1))) return true;
  }
  return false;
}
