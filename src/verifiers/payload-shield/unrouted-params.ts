/**
 * Route parameters of a request checked before routing (the Express and Koa middlewares run before the router fills
 * `req.params` / `ctx.params`). The handler reads its parameters decoded (`/files/%2Fetc%2Fpasswd` hands it
 * `/etc/passwd`), which the whole-path inspection does not read as a value: a parameter-only attack (an SSRF URL, an
 * absolute path) passed on Express and Koa while Fastify, which knows its parameters, refused it.
 */
import type { PayloadRequest } from './inspection.js';

/** Parameters decoded as routers decode them: `decodeURIComponent`, the raw text when that fails. */
function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** A pattern segment that is a plain `:name` parameter, or plain literal text (no router syntax). */
const PLAIN_SEGMENT = /^(?::[A-Za-z_$][\w$]*|[^:*?(){}+]*)$/;

/**
 * The parameters of a request the router has not matched yet. Every path segment with a percent-encoded character is
 * one, decoded, by its index: what only a decoded value shows needs an encoding in the path (a literal segment such
 * as `/api/whoami` is the application's own word, not read as a parameter). With `named` (a `params` schema, patch or
 * exclusion asks for names), the parameters of the route the router will run (`findRoute`) are named as the handler
 * reads them, when its pattern is made of literal and `:name` segments only; otherwise the joined rests of the path
 * stand for a wildcard parameter (see below).
 */
export function unroutedParams(request: PayloadRequest, named: boolean): Record<string, string> | undefined {
  // The common request: no names asked for and nothing encoded or spelled out, so no parameter to read (no split).
  // One scan finds a delimiter or a substitution; which of them only when the path has one.
  const syntax = PATH_SYNTAX.test(request.path);
  if (!named && !syntax && request.path.indexOf('%') === -1) return undefined;
  const spelledOut = syntax && SPELLED_OUT.test(request.path);
  const substituted = syntax && SUBSTITUTION.test(request.path);
  const segments = request.path.split('/');
  let params: Record<string, string> | undefined;
  const parts = named ? patternParts(request.findRoute?.(), segments) : undefined;
  if (parts !== undefined) {
    params = Object.create(null) as Record<string, string>;
    for (let i = 1; i < parts.length; i++) if (parts[i]!.startsWith(':')) params[parts[i]!.slice(1)] = decodeParam(segments[i]!);
  }
  let lastEncoded = 0;
  // Past the first positions, a rest starts only where a delimiter was sent (bounded by their number).
  let deepStarts: number[] | undefined;
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    // An empty segment inside the path (`//`) starts an absolute path or a URL's authority in the rest.
    const empty = spelledOut && segment === '' && i < segments.length - 1;
    if (empty) lastEncoded = i;
    const read = segment.indexOf('%') !== -1 || (spelledOut && SPELLED_OUT_SEGMENT.test(segment)) || (substituted && SUBSTITUTION.test(segment));
    if ((empty || read) && i > MAX_WILDCARD_START && i < segments.length - 1 && (deepStarts ??= []).length < MAX_WILDCARD_START) deepStarts.push(i);
    if (!read) continue;
    lastEncoded = i;
    if (parts?.[i]?.startsWith(':') === true) continue;
    (params ??= Object.create(null) as Record<string, string>)[String(i - 1)] = decodeParam(segment);
  }
  // A wildcard parameter (`/files/*`, `*rest`) joins the segments after it: an attack split over several segments
  // (`http%3A//169.254.169.254/...`, `x/%2Fetc/passwd`) exists only joined. The rest of the path from each of the
  // first positions up to the last encoded segment, decoded, when it spans two segments or more (`0*`: segments 0
  // on; bounded, wildcards start early). A known pattern of literal and `:name` segments has no wildcard.
  // Only when an encoded delimiter (`/`, `:`, `\`) was sent: it is what splits an attack over segments, and a benign
  // rest joins the route's own words (`café/windows/3` reads like a system path).
  // A delimiter spelled out in the path (`/w/http://169.254.169.254/...`, `/w//etc/passwd`, `C:\\...`) counts the same.
  const rests = parts === undefined && (spelledOut || ENCODED_DELIMITER.test(request.path));
  for (let j = 1; rests && j <= lastEncoded && j < segments.length - 1 && j <= MAX_WILDCARD_START; j++) {
    (params ??= Object.create(null) as Record<string, string>)[`${j - 1}*`] = decodeParam(segments.slice(j).join('/'));
  }
  for (const j of rests ? (deepStarts ?? []) : []) {
    (params ??= Object.create(null) as Record<string, string>)[`${j - 1}*`] = decodeParam(segments.slice(j).join('/'));
  }
  return params;
}

/** A percent-encoded `/`, `:` or `\`. */
const ENCODED_DELIMITER = /%(?:2f|3a|5c)/i;

/**
 * A delimiter of a URL or a system path spelled out in the path: a `:` (`http:`, `C:`), a `\` or an empty segment
 * (`//`). Routers hand such segments to the handler as they are; they are read as parameters like encoded ones.
 */
const SPELLED_OUT = /[:\\]|\/\//;
const SPELLED_OUT_SEGMENT = /[:\\]/;

/**
 * A shell substitution spelled out in the path (a backtick, `$(`): a segment with one is read as a parameter, as
 * an encoded one is (`%60id%60`). Read only as part of the whole path, a last segment `` `id` `` passed (backticks
 * after a `/` read there as Markdown inline code, cmdi.ts), while the handler gets it alone as its parameter.
 * Unlike `:` and `\`, it starts no joined rest: it splits no URL or system path over segments.
 */
const SUBSTITUTION = /`|\$\(/;
/** `SPELLED_OUT` or `SUBSTITUTION`. */
const PATH_SYNTAX = /[:\\`]|\/\/|\$\(/;

/** The last path position a wildcard parameter is looked for at (the joined rest of the path from there). */
const MAX_WILDCARD_START = 8;

/** The pattern's segments when they line up with the path's and name plain parameters only; else undefined. */
function patternParts(pattern: string | undefined, segments: readonly string[]): string[] | undefined {
  if (pattern === undefined) return undefined;
  const parts = pattern.split('/');
  // A trailing slash in the path or the pattern names the same route (non-strict routing).
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  const length = segments.length > 1 && segments[segments.length - 1] === '' ? segments.length - 1 : segments.length;
  return parts.length === length && parts.every((p) => PLAIN_SEGMENT.test(p)) ? parts : undefined;
}
