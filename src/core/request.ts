/**
 * The framework-free view of an HTTP request that every verifier works on. Adapters build one per request.
 */
export interface ShieldRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** The URL path without the query string, still percent-encoded as received. */
  path: string;
  /** Request headers with lower-case names, as Node's `IncomingMessage.headers` holds them. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The client IP as the framework resolved it (the core re-resolves it when `trustProxy` is configured). */
  ip: string;
  /**
   * The route pattern the framework matched for this request, with any prefix (`/v1/orders/:id`), when the adapter
   * knows it before the check (Fastify). The routes table is then looked up by the handler that will run; without
   * it, by `path`.
   */
  route?: string;
  /**
   * For adapters that check before routing (Express, Koa): finds the route pattern the router will match for this
   * request (full path, with mount prefixes), or undefined when it cannot tell. Called only when the path alone cannot
   * decide, i.e. an exemption that another, non-exempt table pattern also matches.
   */
  findRoute?(): string | undefined;
  /** The raw query string after `?`, still percent-encoded, or an already parsed query object. */
  query?: string | Readonly<Record<string, unknown>>;
  /** The parsed body when the framework has already parsed it; `undefined` when not (yet) available. */
  body?: unknown;
  /** The body's raw bytes, when the adapter captured them (Fastify, for verifiers that ask via `wantsRawBody`). */
  rawBody?: Buffer;
  /** Route parameters, when the framework has matched a route. */
  params?: Readonly<Record<string, string>>;
  /**
   * Reads the raw body (at most `limitBytes`) when a body-stage verifier needs it and `body` is undefined. Adapters
   * supply it so the body is read once and handed back to the application (never consumed behind its back).
   */
  readBody?: (limitBytes: number) => Promise<Buffer | undefined>;
}

/** Returns a header's value as one string (repeated headers joined with `, `), or undefined. */
export function headerValue(request: ShieldRequest, name: string): string | undefined {
  const value = request.headers[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(', ');
}
