/**
 * Structural limits: the cheap checks that run before any pattern matching. Defaults suit a JSON API; every limit
 * can be changed globally and per route.
 */

/** Size and shape limits of one request. */
export interface PayloadLimits {
  /**
   * Body bytes (Content-Length, bytes read, or, for a parsed body, the characters of its keys and strings, which never
   * exceed its bytes: chunked and decompressed bodies too). Over → 413 `payload_too_large`. Default 1 MiB.
   */
  maxBodyBytes: number;
  /** Nesting depth of JSON / form objects and arrays. Over → 413. Default 32. */
  maxDepth: number;
  /** Keys in one object. Over → 413. Default 1000. */
  maxKeys: number;
  /** Elements in one array. Over → 413. Default 10000. */
  maxArrayLength: number;
  /** Characters in one string value or key. Over → 413. Default 100000. */
  maxStringLength: number;
  /**
   * Inspection budget in characters per request (keys and values of path, query, headers, cookies, body). Over →
   * `budgetExhausted` decides (413 by default). Default 256 KiB: a quarter of the body limit, because inspecting
   * markup-dense text costs far more than parsing it.
   */
  maxInspectBytes: number;
  /**
   * Inspection budget in milliseconds per request (wall clock, read between values). Over → `budgetExhausted`.
   * Default 50: ordinary requests take microseconds; the cap bounds what a crafted body can cost. A GC pause or a
   * starved CPU counts too, so on a heavily loaded host raise it or set `budgetExhausted: 'allow'`.
   */
  maxInspectMillis: number;
  /** Length of the path plus query string. Over → 413. Default 8192. */
  maxUrlLength: number;
  /**
   * Number of header lines the client sent (`rawHeaders`), each repeat of a name counting: Node joins repeated lines
   * into one value (`a, b`) or drops repeats (User-Agent, Host...), which would otherwise hide them. A hand-built
   * request without `rawHeaders` counts its `headers` (an array value once per element). Over → 413. Default 100.
   */
  maxHeaderCount: number;
  /** Total bytes of header names and values, every line sent (as `maxHeaderCount` counts). Over → 413. Default 16384. */
  maxHeaderBytes: number;
  /** Query parameters parsed at most. Over → 413. Default 1000. */
  maxQueryParams: number;
  /** Times one query parameter name may repeat (HTTP parameter pollution). Over → 400 `payload_malformed`. Default 10. */
  maxParamRepeats: number;
}

/** The documented defaults. */
export const DEFAULT_LIMITS: Readonly<PayloadLimits> = Object.freeze({
  maxBodyBytes: 1024 * 1024,
  maxDepth: 32,
  maxKeys: 1000,
  maxArrayLength: 10_000,
  maxStringLength: 100_000,
  maxInspectBytes: 256 * 1024,
  maxInspectMillis: 50,
  maxUrlLength: 8192,
  maxHeaderCount: 100,
  maxHeaderBytes: 16_384,
  maxQueryParams: 1000,
  maxParamRepeats: 10,
});

/** A limit that was exceeded: which one, and the deny code it maps to. Never the value. */
export interface LimitViolation {
  readonly limit: keyof PayloadLimits;
  readonly code: 'payload_too_large' | 'payload_malformed';
  readonly location: string;
}

/**
 * Checks the header count and total size (names + values). Counts the lines of `rawHeaders` (name, value, name,
 * value...) when the adapter gave them, else the values of `headers`: the joined object hides repeated lines.
 */
export function checkHeaderLimits(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  limits: PayloadLimits,
  rawHeaders?: readonly string[],
): LimitViolation | undefined {
  // A JavaScript caller may hand over anything: only an array is read as the lines sent.
  if (Array.isArray(rawHeaders)) return rawLineLimits(rawHeaders, limits);
  let count = 0;
  let bytes = 0;
  for (const name in headers) {
    const value: unknown = headers[name];
    if (typeof value === 'string') {
      count++;
      bytes += name.length + value.length;
    } else if (Array.isArray(value)) {
      for (const v of value) {
        count++;
        bytes += name.length + (typeof v === 'string' ? v.length : 0);
      }
    }
    // Anything else (a hand-built request's number or object) is no header a framework gives: read as absent.
  }
  return violation(count, bytes, limits);
}

/**
 * The limits over Node's flat `rawHeaders`: one line per name/value pair, no allocation. Repeated `cookie` lines count
 * as one, as the joined `cookie` header they make: an HTTP/2 client may send each cookie as a field of its own (RFC
 * 9113, 8.2.3), so a browser-sized jar must not read as a hundred headers; their bytes all count.
 */
function rawLineLimits(raw: readonly string[], limits: PayloadLimits): LimitViolation | undefined {
  // An odd length (a hand-built array) rounds up: a name without its value is still a line.
  const lines = Math.ceil(raw.length / 2);
  let cookieLines = 0;
  let bytes = 0;
  for (let i = 0; i < raw.length; i++) {
    const part: unknown = raw[i];
    if (typeof part !== 'string') continue;
    bytes += part.length;
    if ((i & 1) === 0 && isCookieName(part)) cookieLines++;
  }
  return violation(cookieLines > 1 ? lines - cookieLines + 1 : lines, bytes, limits);
}

/**
 * The header limits over the headers and the trailer lines (`rawTrailers`) together: a client must not get past
 * `maxHeaderCount` / `maxHeaderBytes` by moving fields after the body. Every trailer line counts (cookie lines too).
 * Run only for a request that has trailers; the headers alone were checked before the body was read, so a violation
 * here is reported at `trailer`.
 */
export function checkTrailerLimits(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  limits: PayloadLimits,
  rawHeaders: readonly string[] | undefined,
  rawTrailers: readonly string[],
): LimitViolation | undefined {
  if (!Array.isArray(rawTrailers)) return undefined;
  let bytes = 0;
  for (const part of rawTrailers as readonly unknown[]) if (typeof part === 'string') bytes += part.length;
  // What the trailers leave of each limit, for the headers: one object, for the rare request with trailers only.
  const left: PayloadLimits = {
    ...limits,
    maxHeaderCount: limits.maxHeaderCount - Math.ceil(rawTrailers.length / 2),
    maxHeaderBytes: limits.maxHeaderBytes - bytes,
  };
  const over = checkHeaderLimits(headers, left, rawHeaders);
  return over === undefined ? undefined : { ...over, location: 'trailer' };
}

const COOKIE = 'cookie';

/** `cookie` in any case, without a lower-cased copy (names of six characters, `Accept` say, are common). */
function isCookieName(name: string): boolean {
  if (name.length !== 6) return false;
  for (let i = 0; i < 6; i++) if ((name.charCodeAt(i) | 0x20) !== COOKIE.charCodeAt(i)) return false;
  return true;
}

/** The first limit the totals exceed, or undefined. */
function violation(count: number, bytes: number, limits: PayloadLimits): LimitViolation | undefined {
  if (count > limits.maxHeaderCount) return { limit: 'maxHeaderCount', code: 'payload_too_large', location: 'header' };
  if (bytes > limits.maxHeaderBytes) return { limit: 'maxHeaderBytes', code: 'payload_too_large', location: 'header' };
  return undefined;
}

/**
 * True when `value` holds an object or array at depth `maxDepth` or deeper (the root at 0), the rule the walk applies
 * (`maxDepth`). Run before a route's schemas, which see the body before the walk: a recursive schema (`z.json()`,
 * `z.lazy`) would otherwise recurse through any depth a client sends and overflow the stack. Iterative.
 */
export function nestedBeyond(value: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [node, depth] = item;
    if (node === null || typeof node !== 'object' || Buffer.isBuffer(node) || ArrayBuffer.isView(node)) continue;
    if (depth >= maxDepth) return true;
    const children: readonly unknown[] = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}
