/**
 * One harness per adapter and framework major (Express 4/5, Koa 2/3, Fastify 4/5), building the same app from a
 * table of routes, so integration tests can run one table of cases against every adapter.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import express4 from 'express4';
import express417 from 'express417';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import Koa213 from 'koa213';
import Router, { type RouterMiddleware } from '@koa/router';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import fastify40 from 'fastify40';
import bodyParser from 'koa-bodyparser';
import { captureRawBody, expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { koaShield, koaShieldBody, type KoaLikeContext } from '../../src/adapters/koa.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import type { Decision } from '../../src/shield.js';
import type { RouteOptions } from '../../src/shield.js';
import type { Shield } from '../../src/shield.js';

/** What a test route's handler sees. */
export interface HandlerInput {
  body: unknown;
  decision: Decision | undefined;
  params: Record<string, string>;
}

/** A route of the test app. `shield` is the route-level option (adapter argument or Fastify route config). */
export interface TestRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  shield?: RouteOptions | false;
  respond?: (input: HandlerInput) => { status: number; body: unknown };
}

/** A running test server. */
export interface RunningApp {
  server: http.Server;
  url: string;
  close(): Promise<void>;
}

/** An adapter under test. */
export interface AdapterHarness {
  name: string;
  start(shield: Shield, routes: readonly TestRoute[]): Promise<RunningApp>;
}

/** Routes whose handlers answer their name and record it in `ran` (which handler a request reached). */
export function recordingRoutes(handlers: readonly { name: string; method?: TestRoute['method']; path: string }[], ran: string[]): TestRoute[] {
  return handlers.map((h) => ({
    method: h.method ?? 'GET',
    path: h.path,
    respond: () => {
      ran.push(h.name);
      return { status: 200, body: { handler: h.name } };
    },
  }));
}

const defaultRespond = ({ decision }: HandlerInput) => ({
  status: 200,
  body: { ok: true, provider: decision?.attestation?.provider ?? null },
});

/** Listens on a free loopback port; `close` ends open connections too, so tests never wait on keep-alive. */
export async function listen(server: http.Server): Promise<RunningApp> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** Serves `handler` on a free loopback port (see `listen`), adds the app to `running` (the caller closes those), returns the port. */
export async function servePort(running: { close(): Promise<void> }[], handler: http.RequestListener): Promise<number> {
  const app = await listen(http.createServer(handler));
  running.push(app);
  return Number(new URL(app.url).port);
}

type ExpressFactory = typeof express5;

function expressHarness(name: string, factory: ExpressFactory): AdapterHarness {
  return {
    name,
    async start(shield, routes) {
      const app = factory();
      app.use(expressShield(shield));
      // The documented mounting order: global shield, the app's parsers (keeping the bytes), the body stage.
      app.use(factory.json({ verify: captureRawBody() }));
      app.use(factory.urlencoded({ extended: false, verify: captureRawBody() }));
      app.use(expressShieldBody(shield) as unknown as express5.RequestHandler);
      for (const route of routes) {
        const handlers: express5.RequestHandler[] = [];
        if (route.shield !== undefined) handlers.push(expressShield(shield, route.shield) as unknown as express5.RequestHandler);
        handlers.push((req, res) => {
          const out = (route.respond ?? defaultRespond)({ body: req.body, decision: req.shield, params: req.params as Record<string, string> });
          res.status(out.status).json(out.body);
        });
        app[route.method.toLowerCase() as 'get'](route.path, ...handlers);
      }
      return listen(http.createServer(app));
    },
  };
}

function koaHarness(name: string, Koa: typeof Koa3): AdapterHarness {
  return {
    name,
    async start(shield, routes) {
      const app = new Koa();
      const router = new Router();
      app.use(koaShield(shield) as unknown as Koa3.Middleware);
      app.use(bodyParser() as unknown as Koa3.Middleware);
      app.use(koaShieldBody(shield) as unknown as Koa3.Middleware);
      for (const route of routes) {
        const handler: RouterMiddleware = async (ctx) => {
          const body = (ctx as unknown as KoaLikeContext).request.body;
          const out = (route.respond ?? defaultRespond)({
            body,
            decision: ctx.state.shield as Decision,
            params: ctx.params as Record<string, string>,
          });
          ctx.status = out.status;
          ctx.body = out.body;
        };
        const stack: RouterMiddleware[] = [];
        if (route.shield !== undefined) stack.push(koaShield(shield, route.shield) as unknown as RouterMiddleware);
        stack.push(handler);
        router.register(route.path, [route.method], stack);
      }
      app.use(router.routes());
      return listen(http.createServer(app.callback()));
    },
  };
}

type FastifyFactory = typeof fastify5;

function fastifyHarness(name: string, factory: FastifyFactory): AdapterHarness {
  return {
    name,
    async start(shield, routes) {
      const app = factory();
      app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
        done(null, Object.fromEntries(new URLSearchParams(body as string))),
      );
      await app.register(fastifyShield as never, { shield });
      for (const route of routes) {
        app.route({
          method: route.method,
          url: route.path,
          config: route.shield !== undefined ? { shield: route.shield } : {},
          handler: async (req, reply) => {
            const out = (route.respond ?? defaultRespond)({
              body: req.body,
              decision: (req as unknown as { shield?: Decision }).shield,
              params: req.params as Record<string, string>,
            });
            return reply.code(out.status).send(out.body);
          },
        });
      }
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      return { server: app.server, url: `http://127.0.0.1:${port}`, close: async () => void (await app.close()) };
    },
  };
}

/** Every adapter × framework major under test. */
export const ADAPTERS: readonly AdapterHarness[] = [
  expressHarness('express4', express4 as unknown as ExpressFactory),
  // The lower bounds of the declared peer ranges (^4.17.0, ^2.13.0, ^4.0.0) run the same cases as the latest majors.
  expressHarness('express4.17', express417 as unknown as ExpressFactory),
  expressHarness('express5', express5),
  koaHarness('koa2', Koa2 as unknown as typeof Koa3),
  koaHarness('koa2.13', Koa213 as unknown as typeof Koa3),
  koaHarness('koa3', Koa3),
  fastifyHarness('fastify4', fastify4 as unknown as FastifyFactory),
  // The lower bound of the declared peer range ^4.0.0: no `routeOptions` there, route config comes from `context`.
  fastifyHarness('fastify4.0', fastify40 as unknown as FastifyFactory),
  fastifyHarness('fastify5', fastify5),
];
