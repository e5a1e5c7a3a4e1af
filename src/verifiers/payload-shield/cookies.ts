/** Cookie header parsing for the payload shield: names and values, at most 100 pairs, into a null-prototype object. */

/** Parses a `Cookie` header (`a=1; b=2`) into a null-prototype record; pairs after the 100th are ignored. */
export function parseCookies(header: string): Record<string, string> {
  const cookies = Object.create(null) as Record<string, string>;
  let count = 0;
  for (const part of header.split(';')) {
    if (++count > 100) break;
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (name) cookies[name] = part.slice(eq + 1).trim();
  }
  return cookies;
}
