import type { ServerResponse } from 'node:http';
import { isEndpointPath, serveEndpoint, type Endpoints } from '../core/endpoints.js';
import { endpointBodyOf, isEndpointResponse, writeEndpointResponse } from './endpoint-http.js';
import { expressFrameworkIp } from './express-body.js';
import { socketAddress, splitUrl } from './node-http.js';
import type { ExpressLikeRequest } from './express-request.js';

/** Where `captureRawBody()` (express-body.ts) keeps the decoded bytes body-parser read (a registered symbol). */
const CAPTURED_BODY = Symbol.for('mobile-api-shield.express-raw-body');

/** Options of {@link expressEndpoints}. */
export interface ExpressEndpointsOptions {
  /** Called with an error a handler threw (answered 503); never given a token or body. */
  onError?: (error: unknown) => void;
}

/**
 * Serves an {@link Endpoints} set (the attestation service, the pin set) from Express 4 or 5:
 * `app.use(expressEndpoints(service))`. Requests on other paths pass through to `next()`. Mount it before
 * `expressShield` when the endpoints must be reachable without a shield token (the attestation service must), and
 * before body parsers (it reads its own body within the endpoints' limit; a body already parsed is used, still held
 * to that limit and to a JSON content type). Behind `express.json()`, pass it `verify: captureRawBody()` so a chunked
 * body is measured by its bytes and an empty chunked body is told from `{}` (see `Endpoints.maxBodyBytes`).
 */
export function expressEndpoints(
  endpoints: Endpoints,
  options: ExpressEndpointsOptions = {},
): (req: ExpressLikeRequest, res: ServerResponse, next: (error?: unknown) => void) => void {
  return function mobileApiShieldEndpoints(req, res, next) {
    const { path, query } = splitUrl(req.originalUrl ?? req.url ?? '/');
    if (!isEndpointPath(endpoints, path)) {
      next();
      return;
    }
    void (async () => {
      const body = await endpointBodyOf(req, endpoints, () => req.body, () => (req as { [CAPTURED_BODY]?: unknown })[CAPTURED_BODY]);
      const response = isEndpointResponse(body)
        ? body
        : await serveEndpoint(
            endpoints,
            { method: req.method ?? 'GET', path, query, headers: req.headers, ip: socketAddress(req), frameworkIp: expressFrameworkIp(req), body },
            options.onError,
          );
      writeEndpointResponse(res, response);
    })().catch(next);
  };
}
