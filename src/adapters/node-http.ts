import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProblemResponse } from '../core/problem.js';

/** Splits a request URL into the path and the raw query string (without `?`). */
export function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q === -1 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

/** The address of the TCP peer; the core applies `trustProxy` to it. */
export function socketAddress(req: IncomingMessage): string {
  return req.socket?.remoteAddress ?? '';
}

/** True once something (a body parser) has read the request stream to its end. */
export function bodyConsumed(req: IncomingMessage): boolean {
  return req.readableEnded || (req.complete && !req.readable);
}

/** True when the request carries body bytes (a non-zero Content-Length, or a Transfer-Encoding). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined) return true;
  return length !== undefined && length !== '0' && length !== '';
}

/** Writes a problem response on a raw Node response (Express 4/5 and Koa's `ctx.res` alike). */
export function writeProblem(res: ServerResponse, problem: ProblemResponse): void {
  res.statusCode = problem.status;
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  res.end(JSON.stringify(problem.body));
}
