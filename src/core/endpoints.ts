/**
 * A framework-free contract for HTTP endpoints the library serves itself (the attestation service, the pin-set
 * document, pinning reports). A feature implements {@link Endpoints} once; the thin mount functions in
 * `src/adapters/*-endpoints.ts` serve it from Express, Koa and Fastify. The adapters only move bytes: they read the
 * body (within {@link Endpoints.maxBodyBytes}) and hand it to {@link serveEndpoint}, which does everything that must
 * behave the same in every framework: routing, 405, 413, 415, JSON parsing, problem+json errors and the
 * never-a-500 rule.
 */
import { randomUUID } from 'node:crypto';
import { defaultProblemType } from './codes.js';
import { isJsonType, mediaType } from './body.js';
import { headerText } from './request.js';
import type { ProblemBody } from './problem.js';
import { callHook } from './hooks.js';

/** The HTTP methods an endpoint may be served on. */
export type EndpointMethod = 'GET' | 'POST';

/** One route of an {@link Endpoints} set: an exact method and an exact path (no patterns). */
export interface EndpointRoute {
  readonly method: EndpointMethod;
  /** The full URL path, e.g. `/attest/challenge`; matched exactly (case-sensitive, no trailing-slash folding). */
  readonly path: string;
}

/** The request an endpoint handler sees. Built by {@link serveEndpoint}; handlers never see framework objects. */
export interface EndpointRequest {
  /** The route's method. */
  readonly method: EndpointMethod;
  /** The route's path exactly as listed in {@link Endpoints.routes} (the pathname the request was routed on). */
  readonly path: string;
  /** The parsed query string. */
  readonly query: URLSearchParams;
  /** Request headers with lower-case names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The TCP peer's address; a handler that sits behind a proxy resolves the client itself (`createClientIpResolver`). */
  readonly ip: string;
  /**
   * The client IP as the framework resolved it with its own proxy settings (`req.ip`, `ctx.ip`, `request.ip`), for a
   * handler configured with `trustProxy: 'framework'`; undefined when the adapter has none.
   */
  readonly frameworkIp?: string;
  /**
   * The parsed JSON body: any JSON value (object, array, string, number, boolean or null), or `undefined` when the
   * request had no body. Handlers must schema-check it: nothing about its shape is guaranteed.
   */
  readonly body: unknown;
  /** The body's bytes as received, when the adapter read them (absent when a framework parser consumed the stream). */
  readonly rawBody?: Buffer;
}

/** What a handler answers. `body` is JSON-serialised unless it is a string or a Buffer. */
export interface EndpointResponse {
  readonly status: number;
  /** Response headers with lower-case names; `content-type` defaults to `application/json`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** A set of endpoints served through the adapters (`expressEndpoints`, `koaEndpoints`, `fastifyEndpoints`). */
export interface Endpoints {
  /** The routes, each answered by {@link Endpoints.handle}. */
  readonly routes: readonly EndpointRoute[];
  /**
   * Largest request body accepted, in bytes; larger bodies get 413 (before they are buffered when the endpoint reads
   * them). Default 16 KiB. It holds whatever read the body: for a body a framework parser already parsed, the size
   * is the parser's kept text when there is one, else the `Content-Length` of an unencoded body, else (chunked or
   * content-coded) the larger of the `Content-Length` and the parsed value re-serialised as JSON, a bound on what
   * the handler is given.
   */
  readonly maxBodyBytes?: number;
  /**
   * Answers one request on one of `routes`. Should not throw for bad input (answer a problem instead); a rejection
   * is treated as "cannot decide" and answered 503 `shield_unavailable`, never 500.
   */
  handle(request: EndpointRequest): Promise<EndpointResponse>;
}

/** Default {@link Endpoints.maxBodyBytes}. */
export const DEFAULT_ENDPOINT_BODY_LIMIT = 16 * 1024;

/**
 * The body as the adapter has it: not read yet, already parsed by the framework, or the raw bytes. A parsed body may
 * carry `rawText`, the body's text as the framework kept it (Koa body parsers' `ctx.request.rawBody`), which
 * measures its size.
 */
export type EndpointBody =
  | { readonly kind: 'none' }
  | { readonly kind: 'parsed'; readonly value: unknown; readonly rawText?: string }
  | { readonly kind: 'raw'; readonly bytes: Buffer };

/** What an adapter hands {@link serveEndpoint}. */
export interface IncomingEndpointRequest {
  readonly method: string;
  /** The pathname (no query string). */
  readonly path: string;
  /** The raw query string without `?`. */
  readonly query: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly ip: string;
  /** The framework's client IP (see {@link EndpointRequest.frameworkIp}). */
  readonly frameworkIp?: string;
  readonly body: EndpointBody;
}

/** An RFC 9457 problem response for an endpoint, with a stable `code`. */
export function endpointProblem(
  status: number,
  code: string,
  title: string,
  extra?: Readonly<Record<string, string>>,
): EndpointResponse {
  const body: ProblemBody = { type: defaultProblemType(code), title, status, code, reference: randomUUID() };
  return {
    status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...extra },
    body,
  };
}

/** The route listed for `method` and `path`, or undefined. */
export function findEndpointRoute(endpoints: Endpoints, method: string, path: string): EndpointRoute | undefined {
  // HEAD is answered by the GET route, as every framework does (the server drops the body).
  const wanted = method === 'HEAD' ? 'GET' : method;
  for (const route of endpoints.routes) if (route.method === wanted && route.path === path) return route;
  return undefined;
}

/** True when `path` is one of the endpoints' paths (whatever the method): the adapter then answers it. */
export function isEndpointPath(endpoints: Endpoints, path: string): boolean {
  for (const route of endpoints.routes) if (route.path === path) return true;
  return false;
}

/**
 * True when a string body is the value a JSON parser produced, not a text parser's copy of the body: a declared,
 * unencoded length longer than the string's bytes. Without a length (chunked) or with an encoding it cannot tell,
 * and the string is taken as the body's text.
 */
function isJsonStringValue(value: string, headers: IncomingEndpointRequest['headers']): boolean {
  const length = headerText(headers['content-length']);
  if (length === undefined || headers['content-encoding'] !== undefined || !/^\d{1,16}$/.test(length)) return false;
  return Number(length) > Buffer.byteLength(value);
}

/**
 * The size of a body a framework parser already parsed (see {@link Endpoints.maxBodyBytes}): exact when the parser
 * kept the text or an unencoded body declared its length; otherwise (chunked, or content-coded so the length is the
 * compressed one) at least the re-serialised value, which is what the handler gets. Unmeasurable is too large.
 */
function parsedBodySize(
  body: { readonly value: unknown; readonly rawText?: string },
  headers: IncomingEndpointRequest['headers'],
): number {
  if (typeof body.rawText === 'string') return Buffer.byteLength(body.rawText);
  const length = headerText(headers['content-length']);
  const declared = length !== undefined && /^\d{1,16}$/.test(length) ? Number(length) : undefined;
  const coding = headerText(headers['content-encoding'])?.trim().toLowerCase();
  if (declared !== undefined && (coding === undefined || coding === '' || coding === 'identity')) return declared;
  try {
    const text = JSON.stringify(body.value) as string | undefined;
    return Math.max(declared ?? 0, text === undefined ? 0 : Buffer.byteLength(text));
  } catch {
    return Number.POSITIVE_INFINITY; // a cycle or a BigInt: no JSON parser made it
  }
}

/**
 * True when the bytes as read are the UTF-8 JSON the client meant: no content coding other than `identity` and no
 * charset other than UTF-8. The endpoint neither inflates nor transcodes, so anything else would be parsed as
 * something the client did not send (RFC 8259 JSON is UTF-8; RFC 7694 answers an unsupported coding 415).
 */
function isPlainUtf8(headers: IncomingEndpointRequest['headers']): boolean {
  const coding = headerText(headers['content-encoding'])?.trim().toLowerCase();
  if (coding !== undefined && coding !== '' && coding !== 'identity') return false;
  const params = (headerText(headers['content-type']) ?? '').split(';').slice(1);
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const charset = param.slice(eq + 1).trim().replaceAll('"', '').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') return false;
  }
  return true;
}

/** Parses the body; a problem response when it is not JSON (415) or not well-formed (400). */
function decodeBody(request: IncomingEndpointRequest, limit: number): { value: unknown; raw?: Buffer } | EndpointResponse {
  const { body } = request;
  if (body.kind === 'none') return { value: undefined };
  if (body.kind === 'parsed') {
    // A framework parser produced it; a Buffer means a raw parser ran, so parse it as we would. A string is either
    // a text parser's copy of the body (`express.text({ type: '*/*' })`), parsed as we would, or the JSON string
    // value a JSON parser produced (`express.json({ strict: false })` turns `"{...}"` into the text inside the
    // quotes), which is not parsed again: it would answer an object the client never sent. A text parser's copy has
    // the body's length; a JSON string value is shorter than its body (the quotes, at least).
    if (Buffer.isBuffer(body.value)) return decodeBody({ ...request, body: { kind: 'raw', bytes: body.value } }, limit);
    if (typeof body.value === 'string' && !isJsonStringValue(body.value, request.headers)) {
      return decodeBody({ ...request, body: { kind: 'raw', bytes: Buffer.from(body.value) } }, limit);
    }
    if (body.value === undefined) return { value: undefined };
    // The parser ran under the application's limit (express.json(): 100 kB), not ours, and may be a form parser:
    // the endpoint's own size and JSON-only checks still apply, so the answer does not depend on what read the body.
    if (parsedBodySize(body, request.headers) > limit) return endpointProblem(413, 'payload_too_large', 'Payload too large');
    if (!isJsonType(mediaType(headerText(request.headers['content-type'])))) {
      return endpointProblem(415, 'unsupported_media_type', 'Unsupported media type');
    }
    return { value: body.value };
  }
  const bytes = body.bytes;
  if (bytes.length > limit) return endpointProblem(413, 'payload_too_large', 'Payload too large');
  if (bytes.length === 0) return { value: undefined, raw: bytes };
  if (!isJsonType(mediaType(headerText(request.headers['content-type']))) || !isPlainUtf8(request.headers)) {
    return endpointProblem(415, 'unsupported_media_type', 'Unsupported media type');
  }
  try {
    // One leading UTF-8 BOM is ignored (RFC 8259 allows it), as express.json(), the Koa body parsers and Fastify's
    // JSON parser do: the same request gets the same answer whether a framework parser ran first or not.
    const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    return { value: JSON.parse(bytes.toString('utf8', start)) as unknown, raw: bytes };
  } catch {
    return endpointProblem(400, 'payload_malformed', 'Malformed request');
  }
}

function isResponse(value: unknown): value is EndpointResponse {
  return typeof value === 'object' && value !== null && 'status' in value && 'headers' in value;
}

/**
 * Serves one request on an endpoint path: 405 (with `Allow`) for a method the path does not list, the body checks,
 * then the handler. Never rejects: a handler that throws is answered 503 `shield_unavailable` (fail closed) and
 * reported to `onError` when given.
 */
export async function serveEndpoint(
  endpoints: Endpoints,
  request: IncomingEndpointRequest,
  onError?: (error: unknown) => void,
): Promise<EndpointResponse> {
  const route = findEndpointRoute(endpoints, request.method, request.path);
  if (route === undefined) {
    const allow = endpoints.routes.filter((r) => r.path === request.path).flatMap((r) => (r.method === 'GET' ? ['GET', 'HEAD'] : [r.method]));
    return endpointProblem(405, 'method_not_allowed', 'Method not allowed', { allow: allow.join(', ') });
  }
  const decoded = decodeBody(request, endpoints.maxBodyBytes ?? DEFAULT_ENDPOINT_BODY_LIMIT);
  if (isResponse(decoded)) return decoded;
  try {
    return await endpoints.handle({
      method: route.method,
      path: route.path,
      query: new URLSearchParams(request.query),
      headers: request.headers,
      ip: request.ip,
      ...(typeof request.frameworkIp === 'string' ? { frameworkIp: request.frameworkIp } : {}),
      body: decoded.value,
      ...(decoded.raw ? { rawBody: decoded.raw } : {}),
    });
  } catch (error) {
    callHook(onError, error);
    return endpointProblem(503, 'shield_unavailable', 'Request could not be verified');
  }
}

/** Serialises a response body for the wire, and the content type to send with it. */
export function encodeEndpointBody(response: EndpointResponse): { payload: string | Buffer; contentType: string } {
  const declared = response.headers['content-type'];
  const { body } = response;
  if (Buffer.isBuffer(body)) return { payload: body, contentType: declared ?? 'application/octet-stream' };
  if (typeof body === 'string') return { payload: body, contentType: declared ?? 'text/plain; charset=utf-8' };
  return { payload: body === undefined ? '' : JSON.stringify(body), contentType: declared ?? 'application/json' };
}
