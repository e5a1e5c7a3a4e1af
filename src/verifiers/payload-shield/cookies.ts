/**
 * Cookie header parsing for the payload shield. Every pair is kept, in order, duplicates included: handlers read the
 * first pair of a name (the `cookie` package behind cookie-parser and @fastify/cookie, Koa's `cookies`), another
 * parser may read the last, and an attacker can put the attack in either. No count cap: the header-size limit
 * bounds the pairs, and a cap that skipped the rest would skip the attack placed after it.
 */

/** The pairs of a Cookie header, in order (`names[i]` with `values[i]`), values as sent (trimmed). */
export interface CookiePairs {
  readonly names: string[];
  readonly values: string[];
}

/** Parses a `Cookie` header (`a=1; b=2`) into its pairs; parts without `=` or with an empty name are not cookies. */
export function parseCookies(header: string): CookiePairs {
  const names: string[] = [];
  const values: string[] = [];
  let from = 0;
  // The next `=` at or after `from`, found once and kept while parts without one go by: searching again per part
  // made a header of thousands of `;` quadratic.
  let eq = header.indexOf('=');
  while (from < header.length && eq !== -1) {
    let end = header.indexOf(';', from);
    if (end === -1) end = header.length;
    if (eq < from) eq = header.indexOf('=', from);
    if (eq === -1) break;
    if (eq < end) {
      const name = header.slice(from, eq).trim();
      if (name !== '') {
        names.push(name);
        values.push(header.slice(eq + 1, end).trim());
      }
    }
    from = end + 1;
  }
  return { names, values };
}

/** The first value of each name, as handlers read them (for virtual patches that target `cookie.<name>`). */
export function firstCookieValues(pairs: CookiePairs): Record<string, string> {
  const first = Object.create(null) as Record<string, string>;
  for (let i = 0; i < pairs.names.length; i++) {
    const name = pairs.names[i]!;
    if (!(name in first)) first[name] = pairs.values[i]!;
  }
  return first;
}

/**
 * The object or array a JSON cookie holds, or undefined. cookie-parser turns a value that reads `j:<json>` (after
 * the `cookie` package's quote stripping and percent-decoding) into the parsed JSON: `session=j:{"$type":"string"}`
 * reaches the handler as an operator object, so its keys are inspected as keys. Cheap for other values: one
 * character test.
 */
export function jsonCookieValue(raw: string): object | undefined {
  let value = raw;
  if (value.length > 1 && value.charCodeAt(0) === 0x22 && value.charCodeAt(value.length - 1) === 0x22) value = value.slice(1, -1);
  if (value.indexOf('%') !== -1) {
    try {
      value = decodeURIComponent(value);
    } catch {
      // The `cookie` package keeps a value it cannot decode as it is.
    }
  }
  if (value.length < 3 || value.charCodeAt(0) !== 0x6a /* j */ || value.charCodeAt(1) !== 0x3a /* : */) return undefined;
  try {
    const parsed: unknown = JSON.parse(value.slice(2));
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}
