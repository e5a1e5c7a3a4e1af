import { IncomingMessage, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
// The legacy parser `parseurl` hands such targets to, so that the shield reads the path the router routes on.
import { parse as parseLegacyUrl } from 'node:url';
import type { ProblemResponse } from '../core/problem.js';

/**
 * Splits a request target into the path and the raw query string (without `?`) as routers read it (the pathname
 * semantics of `parseurl`, which Express and Koa route on): the path ends at `?` or `#`, the query at `#`, and the
 * absolute form (`http://host/path`) is reduced to its path. Nothing is decoded. `parseurl` splits a plain target
 * itself, but hands the absolute form and any target with a `#` or a white space to Node's `url.parse`, which turns
 * `\` into `/` before the query, reads `//user@host/path` as a host and a path and escapes `'{}|^` and the like: the
 * path of such a target is that parser's, the one the router matches (`/files\1#` routes as `/files/1`).
 */
export function splitUrl(url: string): { path: string; query: string } {
  lastReparsed = undefined;
  const parts = split(url, true);
  if (!ROUTER_REPARSES.test(url)) return parts;
  let pathname: string | null | undefined;
  try {
    pathname = parseLegacyUrl(url).pathname;
  } catch {
    // The router's parse throws too: it routes nothing then (Express answers 404), whatever the shield checks.
  }
  if (typeof pathname !== 'string') return parts;
  lastReparsed = { url, path: pathname };
  return { path: pathname, query: parts.query };
}

/** The targets `parseurl` does not split itself (its `fastparse`): not starting with `/`, or with one of these. */
const ROUTER_REPARSES = /^[^/]|[\t\n\f\r #\u00a0\ufeff]/;

/** The target the last `splitUrl` call read through `url.parse`, with the path it gave (see `reparsedTarget`). */
let lastReparsed: { url: string; path: string } | undefined;

/**
 * The request target the last `splitUrl` call read through `url.parse`, when that call gave `path`; else undefined.
 * Express's routers mounted at a path cut their mount from the target as received, not from its parsed path, and
 * read the rest again: `http://h/api\u1\items\i1` is `/api/u1/items/i1` to the app and `/u1/items/i1` to a router at
 * `/api`, but with no `/` left after the host that router cuts its `/:user/items` mount from the scheme on, and the
 * router there sees `/u1\items\i1`. A lookahead that follows them needs the target. For an adapter that builds the
 * path with `splitUrl` and asks right after, in the same tick.
 */
export function reparsedTarget(path: string): string | undefined {
  const last = lastReparsed;
  return last !== undefined && last.path === path ? last.url : undefined;
}

/**
 * As `splitUrl`, the way Fastify's router (find-my-way) reads a target: the path ends at the first `?` or `#`, and
 * everything after that character is the query it parses, a `#` included (`/t?to=a#&to=b` hands the handler
 * `to=a#&to=b`, `/t#&to=b` hands it `&to=b`): the query the shield binds and inspects must be that one.
 */
export function splitFastifyUrl(url: string): { path: string; query: string } {
  return split(url, false);
}

function split(url: string, fragmentEndsQuery: boolean): { path: string; query: string } {
  let start = 0;
  if (url.charCodeAt(0) !== 0x2f) {
    const scheme = url.indexOf('://');
    const q = url.indexOf('?');
    if (scheme !== -1 && (q === -1 || scheme < q)) {
      const slash = url.indexOf('/', scheme + 3);
      start = slash === -1 || (q !== -1 && slash > q) ? -1 : slash;
      if (start === -1) return { path: '/', query: q === -1 ? '' : queryFrom(url, q + 1, fragmentEndsQuery) };
    }
  }
  let end = url.length;
  const q = url.indexOf('?', start);
  if (q !== -1) end = q;
  const hash = url.indexOf('#', start);
  if (hash !== -1 && hash < end) return { path: url.slice(start, hash) || '/', query: fragmentEndsQuery ? '' : url.slice(hash + 1) };
  const path = start === 0 && end === url.length ? url : url.slice(start, end);
  return { path: path || '/', query: q === -1 ? '' : queryFrom(url, q + 1, fragmentEndsQuery) };
}

function queryFrom(url: string, from: number, fragmentEndsQuery: boolean): string {
  const hash = fragmentEndsQuery ? url.indexOf('#', from) : -1;
  return hash === -1 ? url.slice(from) : url.slice(from, hash);
}

/** The address of the TCP peer; the core applies `trustProxy` to it. */
export function socketAddress(req: IncomingMessage): string {
  return req.socket?.remoteAddress ?? '';
}

/**
 * Runs `listener` once the response has closed: on its 'close', or on the next turn when it has closed already (the
 * client hung up while an asynchronous check was deciding: 'close' will not come again, and a listener added now
 * would never run).
 */
export function whenClosed(res: ServerResponse, listener: () => void): void {
  if (res.closed) setImmediate(listener);
  else res.once('close', listener);
}

/**
 * Calls `report` once with the status the client was sent: when the response finishes, or when the connection
 * closes after the status line went out (a client that read a streamed 401 and hung up: it saw the outcome). Not at
 * all when the connection closed before anything was sent (the request was abandoned; a held login slot expires).
 * Read from the response, never from what a handler threw: an error middleware may have mapped it to another status.
 */
export function onResponseStatus(res: ServerResponse, report: (status: number) => void): void {
  const finished = (): void => {
    res.off('close', closed);
    report(res.statusCode);
  };
  const closed = (): void => {
    res.off('finish', finished);
    if (res.headersSent) report(res.statusCode);
  };
  res.once('finish', finished);
  res.once('close', closed);
}

/** The last entry of a framework's list of forwarded addresses (`req.ips`, `ctx.ips`: nearest proxy last), if any. */
export function rightmostOf(ips: unknown): string | undefined {
  if (!Array.isArray(ips) || ips.length === 0) return undefined;
  const last: unknown = ips[ips.length - 1];
  return typeof last === 'string' && last.length > 0 ? last : undefined;
}

/**
 * Reads the accessor `name` of `base` (a Node class's prototype) on a request: called directly when nothing between
 * the request's prototype and `base` redefines it (checked once per prototype), else looked up as usual. A lookup
 * through the prototypes is what V8 does not cache on an Express request (each request gets its app's prototype,
 * `Object.setPrototypeOf`): about 0.4 µs each there, measured (docs/performance.md).
 */
function inheritedAccessor<T>(base: object, name: string): (target: object) => T {
  const get = Object.getOwnPropertyDescriptor(base, name)?.get;
  const keeps = new WeakMap<object, boolean>();
  const keptBy = (proto: object | null): boolean => {
    if (proto === null || get === undefined) return false;
    let known = keeps.get(proto);
    if (known === undefined) {
      let p: object | null = proto;
      while (p !== null && p !== base && !Object.hasOwn(p, name)) p = Object.getPrototypeOf(p);
      known = p === base;
      keeps.set(proto, known);
    }
    return known;
  };
  // An own property of the request itself (defined over the accessor) is what its readers get: read as usual then.
  return (target) =>
    keptBy(Object.getPrototypeOf(target)) && !Object.hasOwn(target, name) ? (get!.call(target) as T) : ((target as Record<string, unknown>)[name] as T);
}

const readableEnded = inheritedAccessor<boolean>(Readable.prototype, 'readableEnded');
const readable = inheritedAccessor<boolean>(Readable.prototype, 'readable');

/** `req.headers` (an accessor of `IncomingMessage.prototype`, see `inheritedAccessor`). */
export const requestHeaders = inheritedAccessor<IncomingMessage['headers']>(IncomingMessage.prototype, 'headers');

/**
 * The trailer lines of a request whose body was read to its end (Node fills `rawTrailers` as the message completes,
 * before the stream ends), or undefined when there are none. Only a chunked HTTP/1.1 body or an HTTP/2 stream (whose
 * `headers` carry `:method`) can end in trailer fields: any other request costs two lookups in its own headers and no
 * read of the request (a full lookup on an Express request).
 */
export function sentTrailers(req: IncomingMessage, headers: Readonly<Record<string, unknown>>): readonly string[] | undefined {
  if (headers['transfer-encoding'] === undefined && headers[':method'] === undefined) return undefined;
  const raw: unknown = req.rawTrailers;
  return Array.isArray(raw) && raw.length > 0 ? (raw as string[]) : undefined;
}

/** True once something (a body parser) has read the request stream to its end. */
export function bodyConsumed(req: IncomingMessage): boolean {
  return readableEnded(req) || (req.complete && !readable(req));
}

/** Writes a problem response on a raw Node response (Express 4/5 and Koa's `ctx.res` alike). */
export function writeProblem(res: ServerResponse, problem: ProblemResponse): void {
  res.statusCode = problem.status;
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  res.end(JSON.stringify(problem.body));
}
