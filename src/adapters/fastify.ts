import type { ShieldRequest } from '../core/request.js';
import { bodyAsRead } from '../core/body.js';
// Types only (erased at build): the composition root's route options and decision, typed with the built-in modules.
import type { Decision, RouteOptions, Shield } from '../shield.js';
import { Transform, type Readable } from 'node:stream';
import { holdUnparsedMultipart } from './multipart-fields.js';
import { fastifyBodyUnparsed, fastifyClient, fastifyMultipartUnread, fastifyRawBody, RAW_BODY } from './fastify-body.js';
import { sentTrailers, socketAddress, splitFastifyUrl } from './node-http.js';
import { settleLater } from './settle-later.js';
import { decisionSlots, keepDecision, notifyIfBodyStageNeverRuns, ownDecision, type DecisionHolder, reportStatusWhenSent } from './decision-slot.js';

/** What `onRequest` keeps for the later hooks of a request: its ShieldRequest, the route's config and the URL read. */
class Head {
  constructor(
    readonly request: ShieldRequest,
    readonly config: FastifyRouteConfig | undefined,
    readonly url: string,
  ) {}
}

const HEADERS_STAGE = { stage: 'headers' } as const;

/** Options of the Fastify plugin. */
export interface FastifyShieldOptions {
  shield: Shield;
}

interface FastifyLikeRequest {
  raw: import('node:http').IncomingMessage;
  method: string;
  url: string;
  headers: ShieldRequest['headers'];
  body?: unknown;
  query?: unknown;
  params?: unknown;
  /** Fastify ≥ 4.10 (a fresh object on every read in Fastify 5). */
  routeOptions?: { config?: FastifyRouteConfig };
  /** Fastify 4.0–4.9 (deprecated, with a warning, from 4.10 on: read only when `routeOptions` is missing). */
  context?: { config?: FastifyRouteConfig };
  shield?: Decision;
}

/** A route's config as Fastify keeps it: the user's `config` plus the full `url` pattern (with prefixes). */
interface FastifyRouteConfig {
  url?: string;
  shield?: RouteOptions | false;
}

interface FastifyLikeReply {
  raw: import('node:http').ServerResponse;
  code(status: number): FastifyLikeReply;
  headers(values: Record<string, string>): FastifyLikeReply;
  send(payload: string): FastifyLikeReply;
}

interface FastifyLikeInstance {
  decorateRequest(name: string | symbol, value: unknown): unknown;
  hasRequestDecorator(name: string | symbol): boolean;
  addHook(name: string, hook: (...args: never[]) => unknown): unknown;
  hasContentTypeParser?(contentType: string): boolean;
}

import type {} from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The mobile-api-shield decision for this request. */
    shield?: Decision;
  }
  interface FastifyContextConfig {
    /** Per-route shield options, or `false` to turn the shield off for the route. */
    shield?: RouteOptions | false;
  }
}

/**
 * Fastify plugin (Fastify 4 and 5), registered with `app.register(fastifyShield, { shield })`. It follows the
 * fastify-plugin conventions (not encapsulated), so it protects every route of the instance. Per-route options go in
 * the route's `config: { shield: {...} }`; `config: { shield: false }` turns the shield off for that route. The
 * token and other header checks run in `onRequest`, before Fastify reads the body; body checks run in
 * `preValidation`, once the body is parsed. The decision is on `request.shield`. A multipart form no parser has read
 * is judged by reading its fields and file names from the held stream; when a multipart parser (@fastify/multipart)
 * is registered before this plugin, that is done in `preParsing`, before the parser's own `preValidation` hook
 * (`attachFieldsToBody` reads the whole form and calls the app's `onFile` there) can see a part.
 */
export function fastifyShield(app: FastifyLikeInstance, options: FastifyShieldOptions, done: (error?: Error) => void): void {
  // `app.register(fastifyShield)` passes `{}` (or nothing): say what to pass rather than failing on first use.
  const candidate = (options as Partial<FastifyShieldOptions> | undefined)?.shield;
  if (!candidate || typeof candidate.check !== 'function') {
    done(new TypeError('fastifyShield needs the shield returned by createShield(): use app.register(fastifyShield, { shield })'));
    return;
  }
  const shield = candidate;
  if (!app.hasRequestDecorator('shield')) app.decorateRequest('shield', undefined);

  // Validate each route's options when the route is declared, so a typo fails at startup, not per request. Fastify
  // calls onRoute only for routes declared once the plugin has loaded: `await app.register(fastifyShield, ...)` first.
  app.addHook('onRoute', ((routeOptions: { config?: { shield?: unknown }; method: unknown; url: string }) => {
    const route = routeOptions.config?.shield;
    if (route === undefined) return;
    shield.parseRouteOptions(route, `route ${String(routeOptions.method)} ${routeOptions.url} config.shield`);
  }) as never);

  /** The config of the route Fastify matched (one stable object per route), on every Fastify version in range. */
  function routeConfigOf(req: FastifyLikeRequest): FastifyRouteConfig | undefined {
    const options = req.routeOptions;
    return options !== undefined ? options.config : req.context?.config;
  }

  const client = fastifyClient(shield);
  const slots = decisionSlots(shield);
  const outcomeListeners = shield.hasOutcomeListeners;
  const keepsHead = shield.mayNeedRawBody || shield.hasBodyStage;
  /** This plugin's `Head` of a request (one symbol per registration: another shield's request is built for it). */
  const HEAD = Symbol('mobile-api-shield.head');
  // Declared on Fastify's request class, as `shield` is: a property added to each request after it is built changes
  // its shape, which costs a transition and a property store to grow on every request, and makes Fastify's own
  // reads of the request see two shapes.
  for (const key of [HEAD, slots.decision]) if (!app.hasRequestDecorator(key)) app.decorateRequest(key, undefined);
  function routeOf(config: FastifyRouteConfig | undefined): RouteOptions | false | undefined {
    return config?.shield;
  }

  // Every field is assigned in one literal, in one order: one object shape for the core's property reads.
  // The body's fields are left empty here and filled in by `withBody` for the body stage.
  function toRequest(req: FastifyLikeRequest, config: FastifyRouteConfig | undefined): ShieldRequest {
    const target = splitFastifyUrl(req.url);
    const ip = socketAddress(req.raw);
    // Fastify's `rewriteUrl` keeps the target the client sent in `raw.originalUrl` (set only on a rewrite).
    const sent = (req.raw as { originalUrl?: unknown }).originalUrl;
    return {
      method: req.method,
      path: target.path,
      // A device proof binds the path the client sent, not the rewritten one (see `ShieldRequest.sentPath`).
      sentPath: typeof sent === 'string' && sent !== req.url ? splitFastifyUrl(sent).path : undefined,
      // The routes table is looked up by the route Fastify matched, never by the URL's spelling.
      route: config?.url,
      headers: req.headers,
      rawHeaders: req.raw.rawHeaders,
      rawTrailers: undefined,
      ip,
      frameworkIp: client.frameworkIp(req),
      frameworkTrustsProxy: client.frameworkTrustsProxy(req, ip),
      query: target.query,
      // The query Fastify parsed (its `querystringParser`; Fastify 4 also ends the query at `;`).
      parsedQueryFrom: req,
      body: undefined,
      bodyUnparsed: false,
      rawBody: undefined,
      params: req.params as Record<string, string> | undefined,
    };
  }

  /**
   * The body stage's ShieldRequest: the header stage's own object when the URL is the one it read (else a new one),
   * rather than a second one per request, with what a hook in between may have replaced read again (`request.headers` has a
   * setter, `request.params` can be assigned: the handler reads those) and the body's fields filled in.
   */
  function withBody(req: FastifyLikeRequest, request: ShieldRequest): ShieldRequest {
    request.headers = req.headers;
    request.rawHeaders = req.raw.rawHeaders;
    // Fastify's parser has read the body to its end here: any trailer fields after it are in (see `sentTrailers`).
    request.rawTrailers = sentTrailers(req.raw, req.raw.headers);
    request.params = req.params as Record<string, string> | undefined;
    request.parsedQueryFrom = req; // released by the header stage's check; the body stage reads the query again
    // Bytes a `parseAs: 'buffer'` parser kept (signed webhooks) are read as the handler will read them (bodyAsRead).
    const body = req.body;
    request.body = body instanceof Uint8Array ? bodyAsRead(body, req.headers['content-type']) : body;
    // A body Fastify's content-type parser left in the stream (a multipart plugin's, say) was never inspected.
    request.bodyUnparsed = fastifyBodyUnparsed(req.raw);
    request.rawBody = fastifyRawBody(req, shield);
    return request;
  }

  function deny(reply: FastifyLikeReply, decision: Decision, request: ShieldRequest): FastifyLikeReply {
    const problem = shield.respond(decision, request);
    return reply.code(problem.status).headers(problem.headers).send(JSON.stringify(problem.body));
  }

  // A callback-style hook (not async): a decision made synchronously (the common case: a token seen before)
  // continues the request in the same tick, without a promise for Fastify to wait on.
  app.addHook('onRequest', ((req: FastifyLikeRequest, reply: FastifyLikeReply, done: (error?: Error) => void) => {
    const config = routeConfigOf(req);
    const request = toRequest(req, config);
    if (keepsHead) (req as { [HEAD]?: Head })[HEAD] = new Head(request, config, req.url); // for preParsing, preValidation
    const decision = shield.checkNow(request, routeOf(config), HEADERS_STAGE);
    // `checkNow` never rejects; carrying a decision out can throw (an `onDeny` body JSON cannot encode): the framework
    // gets that error (`settleLater`), as on the synchronous path, instead of an unhandled rejection.
    if (decision instanceof Promise) settleLater(decision, done, afterHeaders, req, reply, request, done, false);
    else afterHeaders(req, reply, request, done, false, decision);
  }) as never);

  /**
   * Keeps the decision on the request; an allowed request goes on, a denied one is answered here. `listening`: an
   * earlier stage of the request already listens for its outcome.
   */
  function afterHeaders(
    req: FastifyLikeRequest,
    reply: FastifyLikeReply,
    request: ShieldRequest,
    done: (error?: Error) => void,
    listening: boolean,
    decision: Decision,
  ): void {
    keepDecision(req as FastifyLikeRequest & DecisionHolder, slots, decision);
    // A denial is answered here and reported as refused (`respond`). The outcome of an allowed request (a login's
    // status) is read when the response finishes, by a listener on the requests whose decision wants it: an
    // `onResponse` hook would cost every request of the instance a hook run.
    if (!decision.allowed) {
      deny(reply, decision, request); // a callback hook that replies does not call done
      return;
    }
    // The body stage (preValidation) may never run, bodiless requests (a GET) included: a hook after this one answers
    // (an auth plugin's 401, a failing hook, `reply.hijack()`), Fastify's parser refuses the body (even an empty one:
    // `Content-Length: 0` with a JSON type), the client hangs up. Only the response's close tells, so a check left
    // waiting (`complete: false`) gets a listener there, only when there is an `onDecision` to tell (a complete decision
    // costs one read): an `onResponse` hook would cost every request of the instance, and nothing read here tells
    // those cases apart.
    notifyIfBodyStageNeverRuns(shield, reply.raw, req as FastifyLikeRequest & DecisionHolder, slots, decision, request);
    if (outcomeListeners && !listening && shield.wantsOutcome(decision)) {
      reportStatusWhenSent(shield, reply.raw, req as FastifyLikeRequest & DecisionHolder, slots, decision);
    }
    done();
  }

  // Fastify parses the body itself; a verifier that needs the bytes as received (device body binding) gets a copy
  // of the stream, taken only for the requests it asks for.
  // A multipart parser already on the instance was registered before this plugin: @fastify/multipart's
  // `attachFieldsToBody` hook would then read the form (and run the app's `onFile`) before this plugin's
  // `preValidation`, so an unread multipart form is judged here, just before parsing. Registered after this plugin,
  // its hook runs after the body stage anyway, and no request pays for this hook.
  const multipartFirst = shield.hasBodyStage && app.hasContentTypeParser?.('multipart/form-data') === true;
  if (shield.mayNeedRawBody || multipartFirst) {
    app.addHook('preParsing', ((req: FastifyLikeRequest, reply: FastifyLikeReply, payload: Readable, done: (error: Error | null, stream?: Readable) => void) => {
      const head = (req as { [HEAD]?: Head })[HEAD];
      if (head !== undefined && shield.mayNeedRawBody && shield.needsRawBody(head.request)) {
        done(null, rawBodyTee(req, payload)); // judged in preValidation, with the bytes
        return;
      }
      const previous = multipartFirst && fastifyMultipartUnread(req.raw) ? ownDecision(req as FastifyLikeRequest & DecisionHolder, slots) : undefined;
      if (previous === undefined || previous.complete) done(null, payload);
      else bodyStage(req, reply, previous, (error) => done(error ?? null, payload));
    }) as never);
  }

  /** A copy of the body stream kept on the request as it passes (its closures apart from the hook: see settle-later.ts). */
  function rawBodyTee(req: FastifyLikeRequest, payload: Readable): Readable {
    const chunks: Buffer[] = [];
    const tee: Transform & { receivedEncodedLength?: number } = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        tee.receivedEncodedLength = (tee.receivedEncodedLength ?? 0) + chunk.length;
        callback(null, chunk);
      },
      flush(callback) {
        (req as { [RAW_BODY]?: Buffer })[RAW_BODY] = Buffer.concat(chunks);
        callback();
      },
    });
    // Fastify compares the bytes received with Content-Length through this property of the stream it is handed.
    tee.receivedEncodedLength = 0;
    payload.on('error', (error) => tee.destroy(error));
    return payload.pipe(tee);
  }

  // Each hook costs every request a hook run and a promise: add the body and response hooks only when needed.
  if (shield.hasBodyStage) app.addHook('preValidation', ((req: FastifyLikeRequest, reply: FastifyLikeReply, done: (error?: Error) => void) => {
    // This shield's own header-stage decision (another shield's on `req.shield` is not one); complete once the body
    // stage ran (in `preParsing`, for a multipart form).
    const previous = ownDecision(req as FastifyLikeRequest & DecisionHolder, slots);
    if (previous === undefined || previous.complete) {
      done();
      return;
    }
    bodyStage(req, reply, previous, done);
  }) as never);

  /** The body stage, on the header stage's incomplete decision: `done` continues an allowed request. */
  function bodyStage(req: FastifyLikeRequest, reply: FastifyLikeReply, previous: Decision, done: (error?: Error) => void): void {
    // The route's config and the request line as the header stage read them (Fastify 5 builds `routeOptions` anew on
    // every read), unless the URL changed since (a hook rewrote it): then read again.
    const head = (req as { [HEAD]?: Head })[HEAD];
    const same = head !== undefined && head.url === req.url;
    const config = same ? head.config : routeConfigOf(req);
    const request = withBody(req, same ? head.request : toRequest(req, config));
    // Asked before the body stage runs, so it answers for the header stage alone, as `afterHeaders` did.
    const listening = outcomeListeners && shield.wantsOutcome(previous);
    // A multipart form a plugin's parser left in the stream (@fastify/multipart does) is held while its fields are read.
    const held = holdUnparsedMultipart(req.raw, request, shield.bodyLimitBytes);
    const decision = shield.checkNow(request, routeOf(config), { stage: 'body', previous });
    if (decision instanceof Promise) settleLater(decision, done, afterBody, req, reply, request, held, done, listening);
    else afterBody(req, reply, request, held, done, listening, decision);
  }

  /** As `afterHeaders`, for the body stage: a held multipart stream is released or discarded with the decision. */
  function afterBody(
    req: FastifyLikeRequest,
    reply: FastifyLikeReply,
    request: ShieldRequest,
    held: ReturnType<typeof holdUnparsedMultipart>,
    done: (error?: Error) => void,
    listening: boolean,
    decision: Decision,
  ): void {
    if (decision.allowed) held?.release();
    else held?.discard();
    afterHeaders(req, reply, request, done, listening, decision);
  }

  done();
}

// fastify-plugin conventions: skip encapsulation so the hooks cover the whole instance, and name the plugin.
Object.assign(fastifyShield, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'mobile-api-shield',
  [Symbol.for('plugin-meta')]: { name: 'mobile-api-shield', fastify: '4.x || 5.x' },
});

export default fastifyShield;
export type { Decision, RouteOptions, Shield };
export { fastifyEndpoints, type FastifyEndpointsOptions } from './fastify-endpoints.js';
