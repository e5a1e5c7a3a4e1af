/**
 * Builds one bench server per framework: the same route, the same body parsing, the same response, with or
 * without the shield, so the difference between a bare and a shielded row is the shield alone.
 */
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import express from 'express';
import Koa from 'koa';
import Router, { type RouterMiddleware } from '@koa/router';
import fastify from 'fastify';
import lightMyRequest from 'light-my-request';
import { expressEntry, fastifyEntry, koaEntry } from './library.js';
import bodyParser from 'koa-bodyparser';
import type { Decision } from '../../../src/shield.js';
import type { Shield } from '../../../src/shield.js';
import type { BenchHandlerInput, BenchRoute, Framework } from './scenarios.js';

/** One request handed to the app in-process (no socket), as light-my-request / Fastify's inject take it. */
export interface InjectRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly payload: string;
}

/** A listening bench server. */
export interface BenchApp {
  readonly server: http.Server;
  /** Runs one request through the app in-process (Fastify's inject; light-my-request for Express and Koa). */
  inject(request: InjectRequest): Promise<number>;
  close(): Promise<void>;
}

/** Largest body the bench apps accept (the scenarios send at most a few KB). */
const BODY_LIMIT = 64 * 1024;

function defaultRespond({ body }: BenchHandlerInput): { status: number; body: unknown } {
  const orderId = (body as { orderId?: unknown } | null)?.orderId;
  return { status: 200, body: { ok: true, orderId: typeof orderId === 'string' ? orderId : null } };
}

async function listen(server: http.Server): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closer(server: http.Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

/**
 * BENCH_TIME_CHECK=1 (`npm run bench -- --time-check`): the time the route handler spends answering (Fastify's
 * `reply.send`, Express's `res.json`, which serialize and write the response), summed in `ns`. The same code runs
 * on a bare row and a shielded one, so a difference is the shield's effect on the framework's own work (what the
 * check left in, or took out of, the processor's caches). Koa writes the response after the handler returns: not
 * timed there.
 */
export const answerTiming = { enabled: process.env.BENCH_TIME_CHECK === '1', ns: 0n };

/** Runs `answer`, adding its time to `answerTiming` when enabled. */
function timedAnswer(answer: () => void): void {
  if (!answerTiming.enabled) return answer();
  const started = process.hrtime.bigint();
  answer();
  answerTiming.ns += process.hrtime.bigint() - started;
}

/** Spins on the clock for `us` µs (see `BenchRoute.spinUs`; 0 reads no clock). */
function spin(us: number): void {
  if (us <= 0) return;
  const until = process.hrtime.bigint() + BigInt(Math.round(us * 1000));
  while (process.hrtime.bigint() < until);
}

/** One bit per character class of a made-up table (letters, digits, punctuation, the rest): read, not judged. */
const CHARACTER_CLASSES = Uint8Array.from({ length: 256 }, (_, c) => (c >= 97 && c <= 122 ? 1 : c >= 48 && c <= 57 ? 2 : c < 128 ? 4 : 8));

/** Reads every character of every key and string below `value` once (see `BenchRoute.readEveryCharacter`). */
function readEveryCharacter(value: unknown): number {
  if (typeof value === 'string') {
    let mask = 0;
    for (let i = 0; i < value.length; i++) mask |= CHARACTER_CLASSES[value.charCodeAt(i) & 255]!;
    return mask;
  }
  if (value === null || typeof value !== 'object') return 0;
  let mask = 0;
  if (Array.isArray(value)) {
    for (const item of value) mask |= readEveryCharacter(item);
    return mask;
  }
  for (const key in value) mask |= readEveryCharacter(key) | readEveryCharacter((value as Record<string, unknown>)[key]);
  return mask;
}

/** Where `readEveryCharacter`'s answers go, so the work is not optimized away. */
let characterClassesSeen = 0;

function injector(handler: http.RequestListener): BenchApp['inject'] {
  return async (request) => (await lightMyRequest(handler, request)).statusCode;
}

async function buildFastify(shield: Shield | undefined, route: BenchRoute): Promise<BenchApp> {
  const app = fastify({ logger: false, bodyLimit: BODY_LIMIT });
  const spinUs = route.spinUs;
  if (spinUs !== undefined) app.addHook('onRequest', (_req, _reply, done) => (spin(spinUs), done()));
  if (route.readEveryCharacter === true) {
    app.addHook('onRequest', (_req, _reply, done) => done());
    app.addHook('preValidation', (req, _reply, done) => ((characterClassesSeen |= readEveryCharacter(req.body)), done()));
  }
  if (shield) await app.register(fastifyEntry.fastifyShield as never, { shield });
  const respond = route.respond ?? defaultRespond;
  app.route({
    method: route.method,
    url: route.path,
    config: route.shield !== undefined ? { shield: route.shield } : {},
    handler: async (req, reply) => {
      const out = respond({ body: req.body, decision: (req as { shield?: Decision }).shield });
      timedAnswer(() => void reply.code(out.status).send(out.body));
      return reply;
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    server: app.server,
    inject: async (request) => (await app.inject(request)).statusCode,
    close: async () => void (await app.close()),
  };
}

async function buildExpress(shield: Shield | undefined, route: BenchRoute): Promise<BenchApp> {
  const app = express();
  app.disable('x-powered-by');
  const spinUs = route.spinUs;
  if (spinUs !== undefined) app.use((_req, _res, next) => (spin(spinUs), next()));
  // The documented order: the shield before the body parser, its body stage after it.
  if (shield) app.use(expressEntry.expressShield(shield) as unknown as express.RequestHandler);
  app.use(express.json({ limit: BODY_LIMIT }));
  if (shield) app.use(expressEntry.expressShieldBody(shield) as unknown as express.RequestHandler);
  const respond = route.respond ?? defaultRespond;
  const handlers: express.RequestHandler[] = [];
  if (shield && route.shield !== undefined) handlers.push(expressEntry.expressShield(shield, route.shield) as unknown as express.RequestHandler);
  handlers.push((req, res) => {
    const out = respond({ body: req.body, decision: req.shield });
    timedAnswer(() => void res.status(out.status).json(out.body));
  });
  app[route.method.toLowerCase() as 'post'](route.path, ...handlers);
  const server = http.createServer(app);
  await listen(server);
  return { server, inject: injector(app), close: closer(server) };
}

async function buildKoa(shield: Shield | undefined, route: BenchRoute): Promise<BenchApp> {
  const app = new Koa();
  const router = new Router();
  const spinUs = route.spinUs;
  if (spinUs !== undefined) app.use((_ctx, next) => (spin(spinUs), next()));
  if (shield) app.use(koaEntry.koaShield(shield) as unknown as Koa.Middleware);
  app.use(bodyParser({ jsonLimit: `${BODY_LIMIT}b` }) as unknown as Koa.Middleware);
  if (shield) app.use(koaEntry.koaShieldBody(shield) as unknown as Koa.Middleware);
  const respond = route.respond ?? defaultRespond;
  const stack: RouterMiddleware[] = [];
  if (shield && route.shield !== undefined) stack.push(koaEntry.koaShield(shield, route.shield) as unknown as RouterMiddleware);
  stack.push((ctx) => {
    const out = respond({ body: (ctx.request as { body?: unknown }).body, decision: ctx.state.shield as Decision | undefined });
    ctx.status = out.status;
    ctx.body = out.body;
  });
  router.register(route.path, [route.method], stack);
  app.use(router.routes());
  const callback = app.callback();
  const server = http.createServer(callback);
  await listen(server);
  return { server, inject: injector(callback), close: closer(server) };
}

/** Starts the bench server for a framework on 127.0.0.1 and an ephemeral port. */
export function buildApp(framework: Framework, shield: Shield | undefined, route: BenchRoute): Promise<BenchApp> {
  switch (framework) {
    case 'fastify':
      return buildFastify(shield, route);
    case 'express':
      return buildExpress(shield, route);
    case 'koa':
      return buildKoa(shield, route);
  }
}
