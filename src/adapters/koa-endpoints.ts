import { encodeEndpointBody, isEndpointPath, serveEndpoint, type Endpoints } from '../core/endpoints.js';
import { endpointBodyOf, isEndpointResponse } from './endpoint-http.js';
import { koaFrameworkIp, type KoaLikeContext } from './koa-context.js';
import { socketAddress, splitUrl } from './node-http.js';

/** Options of {@link koaEndpoints}. */
export interface KoaEndpointsOptions {
  /** Called with an error a handler threw (answered 503); never given a token or body. */
  onError?: (error: unknown) => void;
}

/**
 * Serves an {@link Endpoints} set from Koa 2 or 3: `app.use(koaEndpoints(service))`. Requests on other paths go on
 * to `next()`. Mount it before `koaShield` when the endpoints must be reachable without a shield token, and before a
 * body parser (it reads its own body within the endpoints' limit; a body already parsed is used, still held to that
 * limit and to a JSON content type).
 */
export function koaEndpoints(
  endpoints: Endpoints,
  options: KoaEndpointsOptions = {},
): (ctx: KoaLikeContext, next: () => Promise<unknown>) => Promise<void> {
  return async function mobileApiShieldEndpoints(ctx, next) {
    const { path, query } = splitUrl(ctx.originalUrl ?? ctx.url);
    if (!isEndpointPath(endpoints, path)) {
      await next();
      return;
    }
    const body = await endpointBodyOf(ctx.req, endpoints, () => ctx.request.body ?? ctx.request.rawBody, () => ctx.request.rawBody);
    const response = isEndpointResponse(body)
      ? body
      : await serveEndpoint(
          endpoints,
          { method: ctx.method, path, query, headers: ctx.req.headers, ip: socketAddress(ctx.req), frameworkIp: koaFrameworkIp(ctx), body },
          options.onError,
        );
    const { payload, contentType } = encodeEndpointBody(response);
    ctx.status = response.status;
    ctx.set({ ...response.headers });
    ctx.body = payload;
    ctx.type = contentType;
  };
}
