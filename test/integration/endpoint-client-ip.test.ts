/**
 * The library's own endpoints configured with `trustProxy: 'framework'` count each client under the IP the framework
 * resolved behind its proxy (Express `trust proxy`, Koa `app.proxy`, Fastify `trustProxy`): they counted every client
 * under the proxy's socket address, so one client used up the per-IP budget of all. Raw sockets.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import Koa3 from 'koa';
import fastify5 from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { expressEndpoints } from '../../src/adapters/express.js';
import { koaEndpoints } from '../../src/adapters/koa.js';
import { fastifyEndpoints } from '../../src/adapters/fastify.js';
import { createPinReportEndpoint } from '../../src/channel/report-endpoint.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { testService } from '../attestation/issuer/fixtures.js';
import type { Endpoints } from '../../src/core/endpoints.js';
import { listen } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

type Start = (endpoints: Endpoints) => Promise<{ port: number; close(): Promise<unknown> }>;

const FRAMEWORKS: readonly (readonly [string, Start])[] = [
  [
    'express5 (trust proxy loopback)',
    async (endpoints) => {
      const app = express5();
      app.set('trust proxy', 'loopback');
      app.use(expressEndpoints(endpoints));
      const running = await listen(http.createServer(app));
      return { port: Number(new URL(running.url).port), close: running.close };
    },
  ],
  [
    'koa3 (app.proxy)',
    async (endpoints) => {
      const app = new Koa3();
      app.proxy = true;
      app.maxIpsCount = 1;
      app.use(koaEndpoints(endpoints) as unknown as Koa3.Middleware);
      const running = await listen(http.createServer(app.callback()));
      return { port: Number(new URL(running.url).port), close: running.close };
    },
  ],
  [
    'fastify5 (trustProxy 127.0.0.1)',
    async (endpoints) => {
      const app = fastify5({ trustProxy: '127.0.0.1' });
      await app.register(fastifyEndpoints as never, { endpoints });
      await app.listen({ port: 0, host: '127.0.0.1' });
      return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
    },
  ],
];

const running: { close(): Promise<unknown> }[] = [];
afterAll(async () => {
  for (const app of running) await app.close();
});

describe.each(FRAMEWORKS)('endpoints with trustProxy "framework" behind %s', (_name, start) => {
  it('counts each client under the IP the framework resolved', async () => {
    const endpoints = createPinReportEndpoint({ onPinFailure: () => {}, trustProxy: 'framework', rateLimit: { max: 1 } });
    const app = await start(endpoints);
    running.push(app);
    const report = (client: string) =>
      rawRequest(app.port, 'POST', '/pinning/report', { 'content-type': 'application/json', 'x-forwarded-for': client }, '{}');
    const statuses = [];
    for (const client of ['203.0.113.7', '203.0.113.7', '198.51.100.9', '198.51.100.10']) statuses.push((await report(client)).status);
    // The first report of each client is read (and refused as invalid); only the second of the first client is 429.
    expect(statuses).toEqual([422, 429, 422, 422]);
  });

  it('the attestation service rate-limits each client under the IP the framework resolved', async () => {
    const service = testService(new MemoryStore(), { clientIp: { trustProxy: 'framework' }, rateLimits: { ip: { limit: 1, windowMs: 60_000 } } });
    const app = await start(service);
    running.push(app);
    const challenge = (client: string) =>
      rawRequest(app.port, 'POST', '/attest/challenge', { 'content-type': 'application/json', 'x-forwarded-for': client }, '{}');
    const statuses = [];
    for (const client of ['203.0.113.7', '203.0.113.7', '198.51.100.9']) statuses.push((await challenge(client)).status);
    expect(statuses).toEqual([200, 429, 200]);
  });
});
