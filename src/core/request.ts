/**
 * The framework-free view of an HTTP request that every verifier works on. Adapters build one per request.
 */
export interface ShieldRequest {
  /** Upper-case HTTP method. */
  method: string;
  /**
   * The URL path without the query string, still percent-encoded: the path the framework routes from the shield's
   * position (Express and Koa: after a URL rewrite mounted before the shield; Fastify: after `rewriteUrl`), which
   * the route options are resolved for.
   */
  path: string;
  /**
   * The path as the client sent it, when a URL rewrite before the shield made `path` another one (Express, Koa,
   * Fastify's `rewriteUrl`); undefined otherwise. A device proof binds the request the client made, so it covers
   * this path.
   */
  sentPath?: string;
  /** Request headers with lower-case names, as Node's `IncomingMessage.headers` holds them. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /**
   * The header lines as received (`IncomingMessage.rawHeaders`: name, value, name, value...), when the adapter has
   * them. Node joins a repeated custom header into one comma-separated string; only these tell `X-User: a` sent
   * twice from one `X-User: a, a`, for the readers that must refuse a repeated field (credential headers).
   */
  rawHeaders?: readonly string[];
  /**
   * The trailer lines that followed a chunked HTTP/1.1 body (or an HTTP/2 stream) after its last chunk
   * (`IncomingMessage.rawTrailers`: name, value, name, value...), once the body was read to its end; undefined when
   * there were none (the usual case) or the body is still unread. Node keeps them out of `headers` (a handler reads
   * them in `req.trailers`), so nothing that reads headers (credentials, attestation tokens) ever sees them; the
   * payload shield inspects them as header lines and counts them against the header limits.
   */
  rawTrailers?: readonly string[];
  /** The TCP peer's address; the core applies its own `trustProxy` to it (or uses `frameworkIp`, see below). */
  ip: string;
  /**
   * The client IP as the framework computed it with its own trust settings (`req.ip`, `ctx.ip`, `request.ip`).
   * Used as the client when the shield is configured with `trustProxy: 'framework'`.
   */
  frameworkIp?: string;
  /**
   * True when the framework reports that it trusts proxies (Express `trust proxy`, Koa `app.proxy`, Fastify
   * `trustProxy`): the shield then warns once if it sees forwarding headers it does not trust itself.
   */
  frameworkTrustsProxy?: boolean;
  /**
   * The route pattern the framework matched for this request, with any prefix (`/v1/orders/:id`), when the adapter
   * knows it before the check (Fastify). The routes table is then looked up by the handler that will run; without
   * it, by `path`.
   */
  route?: string;
  /**
   * For adapters that check before routing (Express, Koa): finds the route pattern the router will match for this
   * request (full path, with mount prefixes), or undefined when it cannot tell. Called when two routes-table patterns
   * with different options match the path (an earlier-registered route may run for it), and by the payload shield
   * for the names of route parameters a schema or target asks for.
   */
  findRoute?(): string | undefined;
  /** The raw query string after `?`, still percent-encoded, or an already parsed query object. */
  query?: string | Readonly<Record<string, unknown>>;
  /**
   * The object whose `query` property is the query the framework parsed for the handler (the Express `req`, the Koa
   * `ctx`, the Fastify `request`). A parser setting or a custom parser can shape it differently from the raw string
   * (and Fastify 4 ends it at `;`), so the payload shield inspects it too when it differs from its own parse, and a
   * `query` schema checks it. Read only by a verifier that inspects the query (Express 5 and Koa parse on reading),
   * and set to undefined once the check has decided, so that a held decision does not keep the framework's request.
   */
  parsedQueryFrom?: { readonly query?: unknown };
  /** The body exactly as the application's parser produced it (the shield never parses a body itself). */
  body?: unknown;
  /**
   * True when a body arrived that no parser turned into a value before the body stage (the stream is still
   * unread): a body-stage verifier cannot inspect it, so the request is refused 415 `unsupported_media_type`.
   */
  bodyUnparsed?: boolean;
  /**
   * For an unparsed body the adapter can still inspect without taking it from the app (multipart fields, read while
   * the bytes are held back from the stream): called only when a verifier asks for the body.
   */
  unparsedBody?: () => Promise<unknown>;
  /**
   * The body's bytes with any `Content-Encoding` removed, when the adapter captured them (body-parser's `verify`,
   * Fastify's `preParsing`, a Koa stream tap) for verifiers that ask via `wantsRawBody`.
   */
  rawBody?: Buffer;
  /** Route parameters, when the framework has matched a route (Express 5 gives a `*splat` as an array of segments). */
  params?: Readonly<Record<string, string | readonly string[]>>;
}

/**
 * True when the headers announce body bytes: any Transfer-Encoding, or a Content-Length other than `0` (an empty,
 * repeated or malformed one counts as a body, so every check that depends on it fails closed). The one rule the
 * adapters, the payload shield and the body-stage binding checks share.
 */
export function declaresBody(headers: ShieldRequest['headers']): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}

/** Returns a header's value as one string (repeated headers joined with `, `), or undefined (see `headerText`). */
export function headerValue(request: ShieldRequest, name: string): string | undefined {
  return headerText(request.headers[name]);
}

/**
 * A header value as one string: a string as is, an array of strings joined with `, `; anything else undefined.
 * Adapters give strings or arrays of strings; a request built by hand for `check()` may hold anything, which reads
 * as absent (a verifier then judges the request without that header, never crashes on it: failOpen must not pass it).
 */
export function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return Array.isArray(value) && value.every(isString) ? value.join(', ') : undefined;
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
