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
import { BodyError, isJsonType, mediaType } from './body.js';
import { decodeContentEncoding, isDecodableContentEncoding } from './body-decode.js';
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
   * request had no body. An empty body is `undefined` whatever read it (express.json() and the Koa body parsers make
   * it `{}`; the endpoint undoes that when it can tell, see {@link Endpoints.maxBodyBytes}). Handlers must
   * schema-check it: nothing about its shape is guaranteed.
   */
  readonly body: unknown;
  /**
   * The bytes `body` was parsed from, any `Content-Encoding` removed: when the adapter read them, or when the app
   * kept them for a framework parser (`express.json({ verify: captureRawBody() })`, the text Koa's body parsers keep
   * as `ctx.request.rawBody`). Absent for an empty body.
   */
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
   * them). Default 16 KiB. A body with a `Content-Encoding` of gzip, x-gzip, deflate or br (a list of them too) is
   * decoded, and the limit holds both the bytes received and the decoded bytes (a decompression bomb stops at the
   * limit); any other coding is 415. It holds whatever read the body: for a body a framework parser already parsed,
   * the size is the larger of the `Content-Length` and the parser's kept text or bytes (Koa's `rawBody`, Express's
   * `captureRawBody()`) when there are some, else the `Content-Length` of an unencoded body, else (chunked or
   * content-coded, nothing kept) the larger of the `Content-Length` and the parsed value re-serialised as JSON: a
   * bound on what the handler is given, not on the bytes received (Express keeps nothing else to measure them by;
   * mount the endpoints before the parser, or keep the bytes with `captureRawBody()`). The same kept bytes, or a
   * `Content-Length: 0`, tell an empty body from `{}`.
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
 * The body as the adapter has it: not read yet, already parsed by the framework, or the raw bytes (as received, any
 * content coding still on). A parsed body may carry what the framework kept of it, which measures its size: `rawText`
 * (Koa body parsers' `ctx.request.rawBody`) or `rawBytes` (the decoded bytes body-parser handed `captureRawBody()`).
 */
export type EndpointBody =
  | { readonly kind: 'none' }
  | { readonly kind: 'parsed'; readonly value: unknown; readonly rawText?: string; readonly rawBytes?: Buffer }
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
 * True when a string body is the value a JSON parser produced, not a text parser's copy of the body: the body's
 * decoded size (the parser's kept text or bytes, else a declared, unencoded length) is larger than the string's
 * bytes. A content-coded body with nothing kept cannot be measured, and its string is taken as the value (the safe
 * side: parsing it again could answer an object the client never sent). Chunked and unencoded, it cannot tell, and
 * the string is taken as the body's text.
 */
function isJsonStringValue(
  value: string,
  body: { readonly rawText?: string; readonly rawBytes?: Buffer },
  headers: IncomingEndpointRequest['headers'],
): boolean {
  const kept = keptSize(body);
  if (kept !== undefined) return kept > Buffer.byteLength(value);
  if (isCoded(headers)) return true;
  const length = declaredLength(headers);
  return length !== undefined && length > Buffer.byteLength(value);
}

/** The declared `Content-Length`, when it is a plain decimal number. */
function declaredLength(headers: IncomingEndpointRequest['headers']): number | undefined {
  const length = headerText(headers['content-length']);
  return length !== undefined && /^\d{1,16}$/.test(length) ? Number(length) : undefined;
}

/** True when the body declares a content coding other than `identity` (so its `Content-Length` is the coded size). */
function isCoded(headers: IncomingEndpointRequest['headers']): boolean {
  const header = headers['content-encoding'];
  if (header === undefined) return false;
  const list = typeof header === 'string' ? header : header.join(',');
  return list.split(',').some((c) => c.trim() !== '' && c.trim().toLowerCase() !== 'identity');
}

/** The size of what a framework parser kept of the body it parsed (decoded), when it kept something. */
function keptSize(body: { readonly rawText?: string; readonly rawBytes?: Buffer }): number | undefined {
  if (Buffer.isBuffer(body.rawBytes)) return body.rawBytes.length;
  return typeof body.rawText === 'string' ? Buffer.byteLength(body.rawText) : undefined;
}

/**
 * The size of a body a framework parser already parsed (see {@link Endpoints.maxBodyBytes}): exact when the parser
 * kept the text or bytes (with the received length of a coded body) or an unencoded body declared its length;
 * otherwise (chunked, or content-coded so the length is the compressed one) at least the re-serialised value, which
 * is what the handler gets. Unmeasurable is too large.
 */
function parsedBodySize(
  body: { readonly value: unknown; readonly rawText?: string; readonly rawBytes?: Buffer },
  headers: IncomingEndpointRequest['headers'],
): number {
  const declared = declaredLength(headers);
  const kept = keptSize(body);
  if (kept !== undefined) return Math.max(declared ?? 0, kept);
  if (declared !== undefined && !isCoded(headers)) return declared;
  try {
    const text = JSON.stringify(body.value) as string | undefined;
    return Math.max(declared ?? 0, text === undefined ? 0 : Buffer.byteLength(text));
  } catch {
    return Number.POSITIVE_INFINITY; // a cycle or a BigInt: no JSON parser made it
  }
}

/**
 * True when the body is JSON the endpoint takes: a JSON media type, no charset other than UTF-8 (the endpoint does
 * not transcode: RFC 8259 JSON is UTF-8) and only content codings it decodes (RFC 7694 answers another one 415).
 * Checked whatever read the body, so a framework parser that transcodes or decodes more does not change the answer.
 */
function isAcceptedJson(headers: IncomingEndpointRequest['headers']): boolean {
  if (!isJsonType(mediaType(headerText(headers['content-type'])))) return false;
  if (!isDecodableContentEncoding(headers['content-encoding'])) return false;
  const params = (headerText(headers['content-type']) ?? '').split(';').slice(1);
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const charset = param.slice(eq + 1).trim().replaceAll('"', '').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') return false;
  }
  return true;
}

const UNSUPPORTED = (): EndpointResponse => endpointProblem(415, 'unsupported_media_type', 'Unsupported media type');
const TOO_LARGE = (): EndpointResponse => endpointProblem(413, 'payload_too_large', 'Payload too large');

/** The received bytes with their content coding removed, within `limit` decoded bytes; a problem when it fails. */
function decoded(bytes: Buffer, headers: IncomingEndpointRequest['headers'], limit: number): Buffer | EndpointResponse {
  try {
    return decodeContentEncoding(bytes, headers['content-encoding'], limit);
  } catch (error) {
    if (error instanceof BodyError && error.code === 'payload_too_large') return TOO_LARGE();
    if (error instanceof BodyError && error.code === 'unsupported_media_type') return UNSUPPORTED();
    return endpointProblem(400, 'payload_malformed', 'Malformed request');
  }
}

/**
 * Parses body bytes as JSON: the bytes as received (`coded`: any content coding still on, decoded here within the
 * limit), or bytes a framework parser produced (coding already removed, as body-parser and the Koa parsers remove
 * it). A problem response when they are too large (413), not JSON (415) or not well-formed (400).
 */
function parseBytes(
  received: Buffer,
  headers: IncomingEndpointRequest['headers'],
  limit: number,
  coded: boolean,
): { value: unknown; raw?: Buffer } | EndpointResponse {
  if (Math.max(received.length, coded ? 0 : (declaredLength(headers) ?? 0)) > limit) return TOO_LARGE();
  if (received.length === 0) return { value: undefined };
  if (!isAcceptedJson(headers)) return UNSUPPORTED();
  // Decoded as express.json() and the Koa parsers decode it (mobile clients gzip report bodies), within the limit.
  const bytes = coded ? decoded(received, headers, limit) : received;
  if (!Buffer.isBuffer(bytes)) return bytes;
  if (bytes.length === 0) return { value: undefined };
  try {
    // One leading UTF-8 BOM is ignored (RFC 8259 allows it), as express.json(), the Koa body parsers and Fastify's
    // JSON parser do: the same request gets the same answer whether a framework parser ran first or not.
    const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    return { value: JSON.parse(bytes.toString('utf8', start)) as unknown, raw: bytes };
  } catch {
    return endpointProblem(400, 'payload_malformed', 'Malformed request');
  }
}

/** Parses the body; a problem response when it is not JSON (415) or not well-formed (400). */
function decodeBody(request: IncomingEndpointRequest, limit: number): { value: unknown; raw?: Buffer } | EndpointResponse {
  const { body, headers } = request;
  if (body.kind === 'none') return { value: undefined };
  if (body.kind === 'raw') return parseBytes(body.bytes, headers, limit, true);
  // A framework parser produced it; a Buffer means a raw parser ran, so parse it as we would. A string is either
  // a text parser's copy of the body (`express.text({ type: '*/*' })`), parsed as we would, or the JSON string
  // value a JSON parser produced (`express.json({ strict: false })` turns `"{...}"` into the text inside the
  // quotes), which is not parsed again: it would answer an object the client never sent. A text parser's copy has
  // the body's length; a JSON string value is shorter than its body (the quotes, at least).
  if (Buffer.isBuffer(body.value)) return parseBytes(body.value, headers, limit, false);
  if (typeof body.value === 'string' && !isJsonStringValue(body.value, body, headers)) {
    return parseBytes(Buffer.from(body.value), headers, limit, false);
  }
  if (body.value === undefined) return { value: undefined };
  // The parser ran under the application's limit (express.json(): 100 kB), not ours, and may be a form parser:
  // the endpoint's own size and JSON-only checks still apply, so the answer does not depend on what read the body.
  if (parsedBodySize(body, headers) > limit) return TOO_LARGE();
  // An empty body is an empty body: express.json() and the Koa parsers make it `{}`, the endpoint reading it has
  // nothing. Known empty when it declared no bytes or the parser kept none; a chunked empty body with nothing kept
  // cannot be told from `{}` (see Endpoints.maxBodyBytes).
  if (declaredLength(headers) === 0 || keptSize(body) === 0) return { value: undefined };
  if (!isAcceptedJson(headers)) return UNSUPPORTED();
  // The kept text as bytes too (Koa's parsers keep text): a handler reading the body strictly needs them.
  const raw = Buffer.isBuffer(body.rawBytes) ? body.rawBytes : typeof body.rawText === 'string' ? Buffer.from(body.rawText) : undefined;
  return { value: body.value, ...(raw ? { raw } : {}) };
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
