/**
 * Route parameters of a request checked before routing (the Express and Koa middlewares run before the router fills
 * `req.params` / `ctx.params`). The handler reads its parameters decoded (`/files/%2Fetc%2Fpasswd` hands it
 * `/etc/passwd`), which the whole-path inspection does not read as a value: a parameter-only attack (an SSRF URL, an
 * absolute path, a lone command) passed on Express and Koa while Fastify, which knows its parameters, refused it.
 */
import type { PayloadRequest } from './inspection.js';

/** Parameters decoded as routers decode them: `decodeURIComponent`, the raw text when that fails. */
function decodeParam(raw: string): string {
  if (raw.indexOf('%') === -1) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** A pattern segment that is a plain `:name` parameter, or plain literal text (no router syntax). */
const PLAIN_SEGMENT = /^(?::[A-Za-z_$][\w$]*|[^:*?(){}+]*)$/;

/**
 * The parameters of a request the router has not matched yet: by the pattern of the route it will run
 * (`findRoute`), named as the handler reads them, when that pattern is made of literal and `:name` segments only; else
 * every path segment, decoded, by its index (a pattern with wildcards or regular expressions, no route found). The
 * second form cannot feed a `params` schema or a named target, but every value the handler can read is inspected.
 */
export function unroutedParams(request: PayloadRequest): Record<string, string> {
  const segments = request.path.split('/');
  const pattern = request.findRoute?.();
  if (pattern !== undefined) {
    const parts = pattern.split('/');
    // A trailing slash in the path or the pattern names the same route (non-strict routing).
    if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
    const length = segments.length > 1 && segments[segments.length - 1] === '' ? segments.length - 1 : segments.length;
    if (parts.length === length && parts.every((p) => PLAIN_SEGMENT.test(p))) {
      const named = Object.create(null) as Record<string, string>;
      for (let i = 1; i < parts.length; i++) if (parts[i]!.startsWith(':')) named[parts[i]!.slice(1)] = decodeParam(segments[i]!);
      return named;
    }
  }
  const bySegment = Object.create(null) as Record<string, string>;
  for (let i = 1; i < segments.length; i++) if (segments[i] !== '') bySegment[String(i - 1)] = decodeParam(segments[i]!);
  return bySegment;
}
