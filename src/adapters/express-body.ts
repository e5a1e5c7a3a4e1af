/**
 * The Express body stage: `app.use(expressShieldBody(shield))` mounted after the app's body parsers
 * (`express.json()`, `express.urlencoded()`, multer, ...) finishes the check the global `expressShield(shield)`
 * started, on `req.body` exactly as the parser produced it. It never reads or replaces the body.
 */
import type { ServerResponse } from 'node:http';
import { bodyAsRead } from '../core/body.js';
import type { Decision } from '../core/decision.js';
import { declaresBody, type ShieldRequest } from '../core/request.js';
import type { Shield } from '../core/shield.js';
import type { ExpressShieldMiddleware } from './express-request.js';
import { createBodyStageFinder, markBodyStage } from './body-stage.js';
import { decisionSlots, keepDecision, ownDecision, type DecisionHolder, type DecisionSlots, reportStatusWhenSent } from './decision-slot.js';
import { holdUnparsedMultipart, isMultipartForm, withUploadedFiles } from './multipart-fields.js';
import { bodyConsumed, requestHeaders, rightmostOf, sentTrailers, socketAddress, splitUrl, writeProblem } from './node-http.js';
import { formidableAwaitsEnd, formidableMayParse, formidableParsed, whenStreamEnds, withParsedFields, type ParsedFieldsRequest } from './express-fields.js';
import { routePatternFinder } from './express-lookahead.js';
import { rewrittenFrom, routedTarget } from './express-request.js';
import { assertShield } from './misuse.js';
import { settleLater } from './settle-later.js';

/** Where `captureRawBody()` keeps the bytes body-parser read (after it removed any Content-Encoding). */
const RAW_BODY = Symbol.for('mobile-api-shield.express-raw-body');

/**
 * The client IP Express's `trust proxy` setting (`trust`, read by the caller when it has it) stands for: `req.ip`,
 * except under `trust proxy` true, which trusts every hop, so that Express answers the leftmost X-Forwarded-For entry,
 * which the client writes: then the rightmost one, the address the proxy in front saw (docs/options.md: set a hop
 * count or the proxies' addresses for more).
 */
export function expressFrameworkIp(
  req: { ip?: unknown; ips?: unknown; app?: unknown },
  trust: unknown = (req.app as { get?(name: string): unknown } | undefined)?.get?.('trust proxy'),
): string | undefined {
  if (typeof req.ip !== 'string') return undefined;
  return trust === true ? (rightmostOf(req.ips) ?? req.ip) : req.ip;
}

/** The parts of an Express request the body stage reads (express-formidable's `fields` and `files` too). */
interface ExpressBodyRequest extends ParsedFieldsRequest {
  method?: string;
  url?: string;
  originalUrl?: string;
  headers: ShieldRequest['headers'];
  rawHeaders?: string[];
  socket: { remoteAddress?: string } | null;
  readableEnded: boolean;
  complete: boolean;
  readable: boolean;
  body?: unknown;
  /** multer's file (`upload.single`) and files (`upload.array`/`any`: an array; `upload.fields`: an object of arrays). */
  file?: unknown;
  files?: unknown;
  /** The parsed query (a getter in Express 5); read by the payload shield only. */
  readonly query?: unknown;
  params?: Record<string, string | string[]>;
  /** Set by the router inside a route: only then are `params` the route's. */
  route?: unknown;
  ip?: string;
  /** Express's forwarded addresses under `trust proxy` (client first, nearest proxy last). */
  ips?: unknown;
  app?: { get?(name: string): unknown };
  shield?: Decision;
  [RAW_BODY]?: Buffer;
}

/** body-parser's `verify(req, res, buf, encoding)` option. */
export type BodyParserVerify = (req: never, res: ServerResponse, buf: Buffer, encoding: string) => void;

/**
 * Builds a body-parser `verify` option that keeps the body's bytes for the shield (device body binding hashes
 * them): `express.json({ verify: captureRawBody() })`. body-parser hands `verify` the bytes after removing
 * gzip/deflate/br and within its own `limit`. Pass your own `verify` to have it called too.
 */
export function captureRawBody(verify?: BodyParserVerify): BodyParserVerify {
  return function shieldCaptureRawBody(req, res, buf, encoding) {
    (req as ExpressBodyRequest)[RAW_BODY] = buf;
    if (verify) verify(req, res, buf, encoding);
  };
}

/** Express 4 keeps its router in `_router` (its `router` getter throws); Express 5 behind `router`. */
const findBodyStage = createBodyStageFinder((node) => {
  if (Array.isArray(node)) return node;
  if (node === null || (typeof node !== 'object' && typeof node !== 'function')) return undefined;
  const n = node as { _router?: unknown; router?: unknown; stack?: unknown; handle?: unknown; route?: unknown; set?: unknown };
  const out: unknown[] = [];
  if (typeof n.set === 'function' && typeof (n as { handle?: unknown }).handle === 'function' && 'settings' in n) {
    out.push(n._router !== undefined ? n._router : n.router);
    return out;
  }
  if (Array.isArray(n.stack)) out.push(...n.stack);
  if (n.route !== undefined && n.route !== null) out.push(n.route);
  if (typeof n.handle === 'function' && n.handle !== node) out.push(n.handle);
  return out;
});

/** True when a body-stage middleware of this shield is mounted anywhere in the app (or its routers and routes). */
export function expressBodyStageMounted(app: unknown, shield: Shield): boolean {
  return findBodyStage(app, shield);
}

/**
 * The request-line, client and body parts of the ShieldRequest an Express middleware builds. Each property of the
 * request is read once: Express gives every request its app's prototype (`Object.setPrototypeOf`), after which V8
 * caches no property access on that object, so each read is a full lookup (about 0.2 to 0.7 µs here, measured in
 * docs/performance.md). The captured bytes are read only when a verifier of this shield may ask for them.
 */
export function expressRequestView(expressReq: object, shield: Shield): ShieldRequest {
  const req = expressReq as ExpressBodyRequest;
  const app = req.app;
  const method = req.method ?? 'GET';
  const headers = requestHeaders(req) as ShieldRequest['headers'];
  // The target the routers match from here on (a URL rewrite before the shield included), not a re-parse of the
  // received one: route options must be those of the handler that runs.
  const target = routedTarget(req);
  const sent = rewrittenFrom();
  // (Split before the routed target: `routePatternFinder` reads the last `splitUrl` call's target.)
  const sentPath = sent === undefined ? undefined : splitUrl(sent).path;
  const { path, query } = splitUrl(target);
  // express-formidable's multipart form is parsed (`req.fields`) before Node marks its stream complete: asked only for
  // a declared multipart body the stream still holds, otherwise refused or read by the shield (not the common path).
  const declared = declaresBody(headers);
  const consumed = bodyConsumed(req as never) || (declared && formidableParsed(req, headers['content-type']));
  const trust = app?.get?.('trust proxy');
  const body = consumed ? expressBody(req, headers) : undefined;
  return {
    method,
    path,
    sentPath,
    headers,
    rawHeaders: req.rawHeaders,
    // Present only once a parser read a chunked body to its end (a body still unread is judged unparsed).
    rawTrailers: sentTrailers(req as never, headers),
    ip: socketAddress(req as never),
    // Every field in one literal, absent ones as undefined: one object shape for the core's reads, no spread copies.
    frameworkIp: shield.config.trustProxy === 'framework' ? expressFrameworkIp(req, trust) : undefined,
    frameworkTrustsProxy: trust !== undefined && trust !== false && trust !== 0,
    query,
    // The query the Express query parser built (`query parser` setting; Express 5 parses when it is read, so not
    // for an empty query string: the parser then has no client input to build from).
    parsedQueryFrom: query !== '' ? req : undefined,
    body,
    // A body a parser read to its end but kept nowhere the shield reads (`req.body` unset, no `req.fields`): the
    // handler may read it from there, so it counts as unread (refused 415 where a body-stage verifier applies).
    bodyUnparsed: declared && (!consumed || body === undefined),
    rawBody: shield.mayNeedRawBody ? req[RAW_BODY] : undefined,
    // Before routing (a middleware of the app) the router has not filled `req.params`: the payload shield then reads
    // the encoded path segments as parameters, named by the route `findRoute` finds when a schema asks for names.
    params: req.route !== undefined ? req.params : undefined,
    findRoute: routePatternFinder(app, method, path),
  };
}

/**
 * `req.body`, with the names of the files a multipart parser (multer) kept beside it in `req.file` / `req.files`
 * (see `withUploadedFiles`): read for multipart requests only, since each property read costs a full lookup here.
 * Bytes a parser left as they came (`express.raw()`) under a JSON, form or text type are read as the handler reads
 * them (`bodyAsRead`). A parser that keeps the body in `req.fields` (express-formidable, by any media type it
 * matches) has it read there, beside `req.body` when that holds something else (see `withParsedFields`): one more
 * property read, for bodies a parser read under a type formidable parses only (`formidableMayParse`).
 */
function expressBody(req: ExpressBodyRequest, headers: ShieldRequest['headers']): unknown {
  const contentType = headers['content-type'];
  if (formidableMayParse(contentType)) {
    const fields = req.fields;
    const parsed = fields !== undefined ? withParsedFields(req, fields, contentType) : undefined;
    if (parsed !== undefined) return parsed;
  }
  return isMultipartForm(contentType) ? withUploadedFiles(req.body, req.file, req.files) : bodyAsRead(req.body, contentType);
}

/**
 * Carries a decision out (both Express middlewares): the decision goes on `req.shield`, a held multipart body is
 * released or discarded, a denial is answered, an allowed request goes on. Module level: no closure per request on
 * the synchronous path.
 */
export function settleExpressDecision(
  shield: Shield,
  slots: DecisionSlots,
  req: DecisionHolder,
  res: ServerResponse,
  next: (error?: unknown) => void,
  request: ShieldRequest,
  held: ReturnType<typeof holdUnparsedMultipart>,
  decision: Decision,
): void {
  keepDecision(req, slots, decision);
  if (decision.allowed) held?.release();
  else held?.discard();
  if (!decision.allowed) {
    writeProblem(res, shield.respond(decision, request));
    return;
  }
  if (shield.wantsOutcome(decision)) reportStatusWhenSent(shield, res, req, slots, decision);
  next();
}

/** An Express middleware (Express 4 and 5), the same shape as `expressShield`'s. */
export type ExpressBodyMiddleware = ExpressShieldMiddleware;

/**
 * The body stage for Express 4 and 5: mount it after your body parsers (`app.use(express.json());
 * app.use(expressShieldBody(shield))`), or on a route after that route's parser. It finishes a check the global
 * middleware left open; a body no parser read is refused 415 where a body-stage verifier applies.
 */
export function expressShieldBody(shield: Shield): ExpressBodyMiddleware {
  assertShield(shield, 'expressShieldBody', 'app.use(expressShieldBody(shield))');
  const slots = decisionSlots(shield);
  const middleware: ExpressShieldMiddleware = function mobileApiShieldBody(rawReq, res, next): void {
    const req = rawReq as unknown as ExpressBodyRequest & DecisionHolder;
    const previous = ownDecision(req, slots);
    // The body is left to a route-level check only where route-level middlewares exist (a missing property of an
    // Express request costs a full lookup: not read otherwise).
    const routeLevel = slots.routeLevel;
    if (previous === undefined || previous.complete || (routeLevel && req[slots.left] === true)) {
      next();
      return;
    }
    // express-formidable parsed a chunked form before its end, where trailer fields come: judged once they are in.
    if (formidableAwaitsEnd(rawReq as never, requestHeaders(rawReq as never))) {
      whenStreamEnds(rawReq as never, () => middleware(rawReq, res, next));
      return;
    }
    const request = expressRequestView(req, shield);
    // A multipart body the app parses later: its fields are read while its bytes are held back from the stream.
    const held = holdUnparsedMultipart(rawReq, request, shield.bodyLimitBytes);
    // A route-level middleware makes the global middleware report on 'close'; otherwise the decision is reported here.
    const decision = shield.checkNow(request, undefined, { stage: 'body', previous, notify: !routeLevel });
    if (decision instanceof Promise) settleLater(decision, next, settleExpressDecision, shield, slots, req, res, next, request, held);
    else settleExpressDecision(shield, slots, req, res, next, request, held, decision);
  };
  return markBodyStage(middleware, shield);
}
