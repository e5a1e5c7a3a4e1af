/**
 * The Koa body stage: `app.use(koaShieldBody(shield))` mounted after the app's body parser (koa-bodyparser,
 * @koa/bodyparser, koa-body, multer for Koa, ...) finishes the check the global `koaShield(shield)` started, on
 * `ctx.request.body` exactly as the parser produced it. It never reads or replaces the body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bodyAsRead } from '../core/body.js';
import { decodeContentEncoding } from '../core/body-decode.js';
import type { Decision } from '../core/decision.js';
import { declaresBody, type ShieldRequest } from '../core/request.js';
import type { Shield } from '../core/shield.js';
import { createBodyStageFinder, markBodyStage } from './body-stage.js';
import { decisionSlots, keepDecision, ownDecision, reportStatusWhenSent } from './decision-slot.js';
import { adapterState } from './koa-context.js';
import { bodyConsumed, sentTrailers, socketAddress, splitUrl } from './node-http.js';
import { holdUnparsedMultipart, isMultipartForm, withUploadedFiles } from './multipart-fields.js';
import { tappedRawBody, tapRawBody } from './raw-tap.js';
import { hostLimitedRouters, routePatternFinder } from './koa-lookahead.js';
import { assertShield } from './misuse.js';
import { writeKoaProblem } from './koa-response.js';
import { koaFrameworkIp, koaRewrittenFrom, koaRoutedTarget, type KoaShieldState } from './koa-context.js';
import type { Middleware as KoaMiddleware } from 'koa';

/** The parts of a Koa context the body stage reads and writes (Koa 2 and 3). */
interface KoaBodyContext {
  req: IncomingMessage & UploadedFiles;
  res: ServerResponse;
  app: { middleware?: unknown; proxy?: unknown; maxIpsCount?: unknown };
  method: string;
  url: string;
  originalUrl?: string;
  ip?: string;
  status: number;
  body: unknown;
  type: string;
  state: Record<string | symbol, unknown> & { shield?: Decision };
  /** @koa/multer moves multer's `file` / `files` here (and to `ctx.file(s)`) from `ctx.req`. */
  request: { body?: unknown } & UploadedFiles;
  /** The parsed query (a getter); read by the payload shield only. */
  readonly query?: unknown;
  /** Koa's host (a getter); read only for apps with a host-limited router (see `hostLimitedRouters`). */
  readonly host?: unknown;
  params?: Record<string, string>;
  set(field: Record<string, string>): void;
}

/** Where multer leaves the files it read (`upload.single`: `file`; `array`/`any`: an array; `fields`: arrays by name). */
interface UploadedFiles {
  file?: unknown;
  files?: unknown;
  /** Where a parser written for Express (bridged into Koa) leaves the body: see `handlerBody`. */
  body?: unknown;
}

/** @koa/router's `router.routes()` middleware carries its router; the router and its layers keep `stack`s. */
const findBodyStage = createBodyStageFinder((node) => {
  if (Array.isArray(node)) return node;
  if (node === null || (typeof node !== 'object' && typeof node !== 'function')) return undefined;
  const n = node as { router?: unknown; stack?: unknown };
  const out: unknown[] = [];
  if (n.router !== undefined && n.router !== null) out.push(n.router);
  if (Array.isArray(n.stack)) out.push(...n.stack);
  return out;
});

/** True when a body-stage middleware of this shield is mounted in the app or one of its @koa/router routers. */
/** Koa's `ctx.host`, as @koa/router's dispatch reads it; undefined when the getter throws or is not a string. */
function koaHost(ctx: KoaBodyContext): string | undefined {
  try {
    return typeof ctx.host === 'string' ? ctx.host : undefined;
  } catch {
    return undefined;
  }
}

export function koaBodyStageMounted(ctx: object, shield: Shield): boolean {
  return findBodyStage((ctx as KoaBodyContext).app.middleware, shield);
}

/** The ShieldRequest a Koa middleware builds: request line, client, and the body as the parser left it. */
export function koaRequestView(koaCtx: object, shield: Shield): ShieldRequest {
  const ctx = koaCtx as KoaBodyContext;
  // The target the routers match from here on (a URL rewrite before the shield included), not a re-parse of the
  // received one: route options must be those of the handler that runs.
  const target = koaRoutedTarget(ctx);
  const sent = koaRewrittenFrom();
  const { path, query } = splitUrl(target);
  const consumed = bodyConsumed(ctx.req);
  const request: ShieldRequest = {
    method: ctx.method,
    path,
    sentPath: sent === undefined ? undefined : splitUrl(sent).path,
    headers: ctx.req.headers,
    rawHeaders: ctx.req.rawHeaders,
    // Present only once a parser read a chunked body to its end (a body still unread is judged unparsed).
    rawTrailers: sentTrailers(ctx.req, ctx.req.headers),
    ip: socketAddress(ctx.req),
    // Every field in one literal, absent ones as undefined: one object shape for the core's reads, no spread copies.
    frameworkIp: shield.config.trustProxy === 'framework' ? koaFrameworkIp(ctx) : undefined,
    frameworkTrustsProxy: ctx.app.proxy === true,
    query,
    // The query Koa parses when it is read (`ctx.query`, or a replacement such as koa-qs); none from an empty string.
    parsedQueryFrom: query !== '' ? ctx : undefined,
    body: consumed ? koaBody(ctx) : undefined,
    bodyUnparsed: !consumed && declaresBody(ctx.req.headers),
    // Unset before @koa/router matched a route: the payload shield then reads the encoded path segments as
    // parameters, named by the route `findRoute` finds when a schema asks for names.
    params: ctx.params,
    rawBody: undefined,
    findRoute: routePatternFinder(ctx.app.middleware, ctx.method, path, hostLimitedRouters(ctx.app.middleware) ? koaHost(ctx) : undefined),
  };
  if (consumed && shield.mayNeedRawBody) {
    const raw = tappedRawBody(ctx.req);
    if (raw !== undefined) {
      try {
        request.rawBody = decodeContentEncoding(raw, ctx.req.headers['content-encoding'], shield.bodyLimitBytes);
      } catch {
        // Undecodable or over the limit: no bytes, and the body binding refuses what it cannot see.
      }
    }
  }
  return request;
}

/**
 * `ctx.request.body`, with the names of the files a multipart parser kept beside it (see `withUploadedFiles`):
 * @koa/multer's `ctx.request.file(s)`, or multer's own `ctx.req.file(s)` where a wrapper left them there. Bytes a
 * route left as they came (raw-body) under a JSON, form or text type are read as the handler reads them (`bodyAsRead`).
 */
function koaBody(ctx: KoaBodyContext): unknown {
  const { request, req } = ctx;
  const body = handlerBody(request.body, req.body);
  const contentType = req.headers['content-type'];
  if (!isMultipartForm(contentType)) return bodyAsRead(body, contentType);
  return withUploadedFiles(body, request.file ?? req.file, request.files ?? req.files);
}

/**
 * The body a handler may read: Koa's `ctx.request.body`, or `ctx.req.body` where a parser written for Express and
 * bridged into Koa (koa-connect, a wrapper calling `parser(ctx.req, ctx.res, next)`: express.json(), multer) left it;
 * both, as a two-element array, when both are set and differ.
 */
function handlerBody(fromKoa: unknown, fromNode: unknown): unknown {
  if (fromNode === undefined || fromNode === fromKoa) return fromKoa;
  return fromKoa === undefined ? fromNode : [fromKoa, fromNode];
}

/**
 * Koa parsers have no raw-body hook: when a verifier needs this request's bytes, copy them as they arrive (the
 * global middleware calls this before the parser reads the stream).
 */
export function koaCaptureRawBody(koaCtx: object, shield: Shield, request: ShieldRequest): void {
  if (shield.mayNeedRawBody && request.bodyUnparsed === true && shield.needsRawBody(request)) {
    tapRawBody((koaCtx as KoaBodyContext).req, shield.bodyLimitBytes);
  }
}

/** A Koa middleware (Koa's own type, as `koaShield`'s): the body stage leaves the decision on `ctx.state.shield`. */
export type KoaBodyMiddleware = KoaMiddleware<KoaShieldState>;

/**
 * The body stage for Koa 2 and 3: mount it after your body parser (`app.use(bodyParser());
 * app.use(koaShieldBody(shield))`), or on a route after that route's parser. It finishes a check the global
 * middleware left open; a body no parser read is refused 415 where a body-stage verifier applies.
 */
export function koaShieldBody(shield: Shield): KoaBodyMiddleware {
  assertShield(shield, 'koaShieldBody', 'app.use(koaShieldBody(shield))');
  const slots = decisionSlots(shield);
  // Not an async function: a request with nothing left to check passes on `next()`'s own promise (no extra tick).
  const middleware = function mobileApiShieldBody(rawCtx: never, next: () => Promise<unknown>): Promise<void> {
    const ctx = rawCtx as KoaBodyContext;
    const state = adapterState(ctx as never);
    const previous = ownDecision(state, slots);
    if (previous === undefined || previous.complete || state[slots.left] === true) return next() as Promise<void>;
    return checkBody(ctx, next, previous);
  };
  const checkBody = async (ctx: KoaBodyContext, next: () => Promise<unknown>, previous: Decision): Promise<void> => {
    const request = koaRequestView(ctx, shield);
    // A multipart body the app parses later: its fields are read while its bytes are held back from the stream.
    const held = holdUnparsedMultipart(ctx.req, request, shield.bodyLimitBytes);
    const deferReport = slots.routeLevel;
    const checked = shield.checkNow(request, undefined, { stage: 'body', previous, notify: !deferReport });
    const decision = checked instanceof Promise ? await checked : checked;
    if (decision.allowed) held?.release();
    else held?.discard();
    const state = adapterState(ctx as never);
    keepDecision(state, slots, decision);
    if (!decision.allowed) {
      writeKoaProblem(ctx, shield.respond(decision, request));
      return;
    }
    // The status the client is sent (see koa.ts), not what the handler threw or set.
    if (shield.wantsOutcome(decision)) reportStatusWhenSent(shield, ctx.res, state, slots, decision);
    await next();
  };
  return markBodyStage(middleware, shield) as unknown as KoaBodyMiddleware;
}
