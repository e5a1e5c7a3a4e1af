import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyError, readRawBody } from '../core/body.js';
import {
  DEFAULT_ENDPOINT_BODY_LIMIT,
  encodeEndpointBody,
  endpointProblem,
  type EndpointBody,
  type EndpointResponse,
  type Endpoints,
} from '../core/endpoints.js';
import { bodyConsumed } from './node-http.js';

/**
 * The body of a Node request for an endpoint: the framework's parsed value when a body parser already consumed the
 * stream (with what the parser kept of the body, when `kept` gives a string, Koa's `rawBody`, or a Buffer, the bytes
 * Express's `captureRawBody()` kept), nothing for GET, otherwise the raw bytes read here within the endpoints'
 * limit. A body that is too large or cut off becomes a problem response (413 / 400) instead of an exception.
 */
export async function endpointBodyOf(
  req: IncomingMessage,
  endpoints: Endpoints,
  parsed: () => unknown,
  kept?: () => unknown,
): Promise<EndpointBody | EndpointResponse> {
  if (bodyConsumed(req)) {
    // What the parser kept measures the body against the endpoints' limit in the core, and tells an empty one.
    const raw = kept?.();
    const value = parsed();
    if (typeof raw === 'string') return { kind: 'parsed', value, rawText: raw };
    return Buffer.isBuffer(raw) ? { kind: 'parsed', value, rawBytes: raw } : { kind: 'parsed', value };
  }
  if (req.method === 'GET' || req.method === 'HEAD') return { kind: 'none' };
  try {
    return { kind: 'raw', bytes: await readRawBody(req, endpoints.maxBodyBytes ?? DEFAULT_ENDPOINT_BODY_LIMIT) };
  } catch (error) {
    if (error instanceof BodyError && error.code === 'payload_too_large') {
      return endpointProblem(413, 'payload_too_large', 'Payload too large', { connection: 'close' });
    }
    return endpointProblem(400, 'payload_malformed', 'Malformed request', { connection: 'close' });
  }
}

/** True when `value` is a response (a body-reading failure) rather than a body. */
export function isEndpointResponse(value: EndpointBody | EndpointResponse): value is EndpointResponse {
  return 'status' in value;
}

/** Writes an endpoint response on a raw Node response (Express, and Koa when it has handed over `ctx.res`). */
export function writeEndpointResponse(res: ServerResponse, response: EndpointResponse): void {
  const { payload, contentType } = encodeEndpointBody(response);
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  res.setHeader('content-type', contentType);
  res.end(payload);
}

/**
 * The client IP the framework resolved under its own proxy settings (`req.ip`, `ctx.ip`), for endpoints configured
 * with `trustProxy: 'framework'`; undefined when the framework object has none.
 */
export function frameworkIpOf(holder: object): string | undefined {
  const ip = (holder as { ip?: unknown }).ip;
  return typeof ip === 'string' ? ip : undefined;
}
