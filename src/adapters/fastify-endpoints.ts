import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { BodyError, readRawBody } from '../core/body.js';
import {
  DEFAULT_ENDPOINT_BODY_LIMIT,
  encodeEndpointBody,
  endpointProblem,
  serveEndpoint,
  type EndpointResponse,
  type Endpoints,
} from '../core/endpoints.js';
import { frameworkIpOf } from './endpoint-http.js';
import { socketAddress, splitFastifyUrl } from './node-http.js';

/** Options of the {@link fastifyEndpoints} plugin. */
export interface FastifyEndpointsOptions {
  endpoints: Endpoints;
  /**
   * Route `config` for every endpoint route, e.g. `{ shield: false }` so a registered `fastifyShield` does not ask
   * the attestation service's clients for the token they have come to get.
   */
  config?: Record<string, unknown>;
  /** Called with an error a handler threw (answered 503); never given a token or body. */
  onError?: (error: unknown) => void;
}

interface EndpointFastifyRequest {
  raw: IncomingMessage;
  method: string;
  url: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body?: unknown;
}

interface EndpointFastifyReply {
  code(status: number): EndpointFastifyReply;
  headers(values: Record<string, string>): EndpointFastifyReply;
  send(payload: string | Buffer): EndpointFastifyReply;
}

interface EndpointFastifyInstance {
  removeAllContentTypeParsers(): unknown;
  addContentTypeParser(
    type: string,
    parser: (req: unknown, payload: Readable, done: (error: Error | null, body?: unknown) => void) => void,
  ): unknown;
  setErrorHandler(handler: (error: unknown, req: unknown, reply: EndpointFastifyReply) => unknown): unknown;
  /** The methods this Fastify routes (Fastify 5; absent in 4). */
  readonly supportedMethods?: readonly string[];
  route(options: {
    method: string | string[];
    url: string;
    config?: Record<string, unknown>;
    handler: (req: EndpointFastifyRequest, reply: EndpointFastifyReply) => Promise<unknown>;
  }): unknown;
}

/** Methods beyond the common five that some Fastify version routes (HEAD comes with every GET route). */
const EXTRA_METHODS = ['OPTIONS', 'TRACE', 'QUERY', 'SEARCH', 'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK'] as const;

function send(reply: EndpointFastifyReply, response: EndpointResponse): EndpointFastifyReply {
  const { payload, contentType } = encodeEndpointBody(response);
  return reply.code(response.status).headers({ ...response.headers, 'content-type': contentType }).send(payload);
}

/** Maps an error Fastify raised before our handler (bad content type, parser failure) to a problem response. */
function problemOf(error: unknown): EndpointResponse {
  if (error instanceof BodyError && error.code === 'payload_too_large') {
    return endpointProblem(413, 'payload_too_large', 'Payload too large', { connection: 'close' });
  }
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (status === 413) return endpointProblem(413, 'payload_too_large', 'Payload too large', { connection: 'close' });
  if (status === 415) return endpointProblem(415, 'unsupported_media_type', 'Unsupported media type');
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return endpointProblem(400, 'payload_malformed', 'Malformed request');
  }
  return endpointProblem(503, 'shield_unavailable', 'Request could not be verified');
}

/**
 * Fastify plugin (Fastify 4 and 5) serving an {@link Endpoints} set:
 * `app.register(fastifyEndpoints, { endpoints: service, config: { shield: false } })`. It is encapsulated: its
 * content-type parser (raw bytes within the endpoints' limit, parsed as JSON by the core) and error handler apply to
 * the endpoint routes only, so the application's own parsers and error handling are untouched.
 */
export function fastifyEndpoints(
  app: EndpointFastifyInstance,
  options: FastifyEndpointsOptions,
  done: (error?: Error) => void,
): void {
  const { endpoints } = options;
  if (!endpoints || !Array.isArray(endpoints.routes) || typeof endpoints.handle !== 'function') {
    done(new TypeError('fastifyEndpoints: pass { endpoints } (e.g. createAttestationService(...))'));
    return;
  }
  const limit = endpoints.maxBodyBytes ?? DEFAULT_ENDPOINT_BODY_LIMIT;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, parsed) => {
    readRawBody(payload, limit).then((bytes) => parsed(null, bytes), (error: Error) => parsed(error));
  });
  app.setErrorHandler((error, _req, reply) => send(reply, problemOf(error)));

  const paths = [...new Set(endpoints.routes.map((r) => r.path))];
  for (const path of paths) {
    const route = {
      url: path,
      ...(options.config ? { config: options.config } : {}),
      handler: async (req: EndpointFastifyRequest, reply: EndpointFastifyReply) => {
        const { query } = splitFastifyUrl(req.url);
        const body = req.body === undefined ? { kind: 'none' as const } : Buffer.isBuffer(req.body)
          ? { kind: 'raw' as const, bytes: req.body }
          : { kind: 'parsed' as const, value: req.body };
        const response = await serveEndpoint(
          endpoints,
          { method: req.method, path, query, headers: req.headers, ip: socketAddress(req.raw), frameworkIp: frameworkIpOf(req), body },
          options.onError,
        );
        return send(reply, response);
      },
    };
    // Every method on the path, so an unlisted one gets our 405 rather than Fastify's 404: the common five, then each
    // other method this Fastify routes (its `supportedMethods` in 5; Fastify 4 refuses to route one it does not).
    app.route({ ...route, method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] });
    for (const method of EXTRA_METHODS) {
      if (app.supportedMethods !== undefined && !app.supportedMethods.includes(method)) continue;
      try {
        app.route({ ...route, method });
      } catch {
        // Not a method this Fastify version routes: it answers it 404 itself, before any route.
      }
    }
  }
  done();
}

Object.assign(fastifyEndpoints, {
  [Symbol.for('fastify.display-name')]: 'mobile-api-shield-endpoints',
});

export default fastifyEndpoints;
