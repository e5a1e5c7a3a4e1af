/**
 * One app per adapter and framework major serving `Endpoints` sets through `expressEndpoints` / `koaEndpoints` /
 * `fastifyEndpoints`, optionally next to a shield-protected API route, so endpoint tests run against every adapter.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { expressEndpoints, expressShield } from '../../src/adapters/express.js';
import { koaEndpoints, koaShield } from '../../src/adapters/koa.js';
import { fastifyEndpoints, fastifyShield } from '../../src/adapters/fastify.js';
import type { Endpoints } from '../../src/core/endpoints.js';
import type { Decision } from '../../src/shield.js';
import type { Shield } from '../../src/shield.js';
import { listen, type RunningApp } from './adapters.js';

/** What the app serves. */
export interface EndpointAppOptions {
  endpoints: Endpoints;
  /** When given, `GET /api/me` is protected by this shield and answers the token's claims. */
  shield?: Shield;
  /** Put the framework's JSON body parser in front of the endpoints (Express, Koa via a tiny parser). */
  frameworkParsesJson?: boolean;
}

/** A harness that starts an endpoint app on one adapter. */
export interface EndpointHarness {
  name: string;
  start(options: EndpointAppOptions): Promise<RunningApp>;
}

function claimsOf(decision: Decision | undefined): unknown {
  return { sub: decision?.attestation?.claims.sub ?? null, provider: decision?.attestation?.provider ?? null };
}

function expressHarness(name: string, factory: typeof express5): EndpointHarness {
  return {
    name,
    async start({ endpoints, shield, frameworkParsesJson }) {
      const app = factory();
      if (frameworkParsesJson) app.use(factory.json());
      app.use(expressEndpoints(endpoints) as unknown as express5.RequestHandler);
      if (shield) {
        app.use(expressShield(shield) as unknown as express5.RequestHandler);
        app.get('/api/me', (req, res) => void res.json(claimsOf(req.shield)));
      }
      return listen(http.createServer(app));
    },
  };
}

function koaHarness(name: string, Koa: typeof Koa3): EndpointHarness {
  return {
    name,
    async start({ endpoints, shield, frameworkParsesJson }) {
      const app = new Koa();
      if (frameworkParsesJson) {
        app.use(async (ctx, next) => {
          const chunks: Buffer[] = [];
          for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            (ctx.request as { body?: unknown }).body = text ? JSON.parse(text) : undefined;
          } catch {
            ctx.status = 400;
            return;
          }
          await next();
        });
      }
      app.use(koaEndpoints(endpoints) as unknown as Koa3.Middleware);
      if (shield) {
        app.use(koaShield(shield) as unknown as Koa3.Middleware);
        app.use(async (ctx) => {
          if (ctx.path !== '/api/me') return;
          ctx.body = claimsOf(ctx.state.shield as Decision | undefined);
        });
      }
      return listen(http.createServer(app.callback()));
    },
  };
}

function fastifyHarness(name: string, factory: typeof fastify5): EndpointHarness {
  return {
    name,
    async start({ endpoints, shield }) {
      const app = factory();
      if (shield) await app.register(fastifyShield as never, { shield });
      await app.register(fastifyEndpoints as never, { endpoints, config: { shield: false } });
      if (shield) app.get('/api/me', async (req) => claimsOf((req as unknown as { shield?: Decision }).shield));
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      return { server: app.server, url: `http://127.0.0.1:${port}`, close: async () => void (await app.close()) };
    },
  };
}

/** Every adapter × framework major. */
export const ENDPOINT_ADAPTERS: readonly EndpointHarness[] = [
  expressHarness('express4', express4 as unknown as typeof express5),
  expressHarness('express5', express5),
  koaHarness('koa2', Koa2 as unknown as typeof Koa3),
  koaHarness('koa3', Koa3),
  fastifyHarness('fastify4', fastify4 as unknown as typeof fastify5),
  fastifyHarness('fastify5', fastify5),
];
