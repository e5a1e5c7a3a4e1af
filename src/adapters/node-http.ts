import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProblemResponse } from '../core/problem.js';

/**
 * Splits a request target into the path and the raw query string (without `?`) as routers read it (the pathname
 * semantics of `parseurl`, which Express and Koa route on): the path ends at `?` or `#`, the query at `#`, and the
 * absolute form (`http://host/path`) is reduced to its path. Nothing is decoded.
 */
export function splitUrl(url: string): { path: string; query: string } {
  let start = 0;
  if (url.charCodeAt(0) !== 0x2f) {
    const scheme = url.indexOf('://');
    const q = url.indexOf('?');
    if (scheme !== -1 && (q === -1 || scheme < q)) {
      const slash = url.indexOf('/', scheme + 3);
      start = slash === -1 || (q !== -1 && slash > q) ? -1 : slash;
      if (start === -1) return { path: '/', query: q === -1 ? '' : cutFragment(url, q + 1) };
    }
  }
  let end = url.length;
  const q = url.indexOf('?', start);
  if (q !== -1) end = q;
  const hash = url.indexOf('#', start);
  if (hash !== -1 && hash < end) return { path: url.slice(start, hash) || '/', query: '' };
  const path = start === 0 && end === url.length ? url : url.slice(start, end);
  return { path: path || '/', query: q === -1 ? '' : cutFragment(url, q + 1) };
}

function cutFragment(url: string, from: number): string {
  const hash = url.indexOf('#', from);
  return hash === -1 ? url.slice(from) : url.slice(from, hash);
}

/** The address of the TCP peer; the core applies `trustProxy` to it. */
export function socketAddress(req: IncomingMessage): string {
  return req.socket?.remoteAddress ?? '';
}

/** True once something (a body parser) has read the request stream to its end. */
export function bodyConsumed(req: IncomingMessage): boolean {
  return req.readableEnded || (req.complete && !req.readable);
}

/** Writes a problem response on a raw Node response (Express 4/5 and Koa's `ctx.res` alike). */
export function writeProblem(res: ServerResponse, problem: ProblemResponse): void {
  res.statusCode = problem.status;
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  res.end(JSON.stringify(problem.body));
}
