/**
 * `onDecision` fires once per request with the final decision (docs/options.md, docs/how-it-works.md), and the
 * OpenTelemetry span and decisions counter come from it. A request whose check waits for the body stage after the
 * header stage, when that stage never runs (the app's parser rejects the body, the client hangs up mid-body), is
 * still reported once, with the header stage's decision: in monitor mode, the would-be `token_missing` denial that
 * monitor mode exists to show (reviewer-found: nothing was reported, no span, no decision metric). Controls: a body
 * stage that runs, a GET, two shields and a body stage that runs after the response ended are each reported once.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import Koa3 from 'koa';
import bodyParser from 'koa-bodyparser';
import fastify5 from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { approov } from '../../src/attestation/approov.js';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { koaShield, koaShieldBody } from '../../src/adapters/koa.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { createShield, type Decision, type Shield } from '../../src/shield.js';
import type { Verifier } from '../../src/core/verifier.js';
import { SPAN_NAME, openTelemetry } from '../../src/opentelemetry/index.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, listen, type RunningApp } from '../helpers/adapters.js';

const attester = createTestAttester({ header: 'approov-token' });
const bodyStage: Verifier = { name: 'body', stage: 'body', verify: () => ({ outcome: 'pass' }) };
const JSON_TYPE = { 'content-type': 'application/json' };
const NAMES = ['express5', 'koa3', 'fastify5'];

/** A monitor-mode shield with a body-stage verifier, recording what `onDecision` hears. */
function monitoredShield(decisions: Decision[], onDecision?: NonNullable<Parameters<typeof createShield>[0]['onDecision']>): Shield {
  return createShield({
    mode: 'monitor',
    token: approov({ secret: attester.secret! }),
    verifiers: [bodyStage],
    onDecision(decision, req) {
      decisions.push(decision);
      onDecision?.(decision, req);
    },
  });
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends the head of a POST and part of its body, then hangs up before the rest. */
async function hangUpMidBody(url: string, path = '/orders'): Promise<void> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(`POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"qty":`);
  await pause(150);
  socket.destroy();
  await pause(300);
}

for (const adapter of ADAPTERS.filter((a) => NAMES.includes(a.name))) {
  describe(`${adapter.name}: a check left waiting for its body stage`, () => {
    let app: RunningApp;
    const decisions: Decision[] = [];
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const spans = (): number => exporter.getFinishedSpans().filter((s) => s.name === SPAN_NAME).length;
    beforeAll(async () => {
      const telemetry = openTelemetry({ tracerProvider, metrics: false });
      const shield = monitoredShield(decisions, (decision, req) => telemetry.hooks.onDecision?.(decision, req));
      app = await adapter.start(shield, [
        { method: 'POST', path: '/orders' },
        { method: 'GET', path: '/orders' },
      ]);
    });
    afterAll(async () => {
      await app?.close();
      await tracerProvider.shutdown();
    });
    const reset = (): void => {
      decisions.length = 0;
      exporter.reset();
    };

    it('a request whose body the parser rejects is still reported once (monitored token_missing)', async () => {
      reset();
      const res = await request(app.url).post('/orders').set(JSON_TYPE).send('{"qty": 1');
      expect(res.status).toBe(400); // the framework's parser answered
      await pause(100);
      expect(decisions.map((d) => [d.code, d.allowed, d.complete])).toEqual([['token_missing', true, true]]);
      expect(spans()).toBe(1);
    });

    it('a client that hangs up mid-body is still reported once (monitored token_missing)', async () => {
      reset();
      await hangUpMidBody(app.url);
      expect(decisions.map((d) => d.code)).toEqual(['token_missing']);
      expect(spans()).toBe(1);
    });

    it('control: a request whose body stage runs is reported exactly once, by the body stage', async () => {
      reset();
      const res = await request(app.url).post('/orders').set(JSON_TYPE).send('{"qty": 1}');
      expect(res.status).toBe(200);
      await pause(100);
      expect(decisions.map((d) => [d.code, d.complete, d.results.map((r) => r.verifier).includes('body')])).toEqual([['token_missing', true, true]]);
      expect(spans()).toBe(1);
    });

    it('control: a GET is reported exactly once', async () => {
      reset();
      expect((await request(app.url).get('/orders')).status).toBe(200);
      await pause(100);
      expect(decisions.map((d) => [d.code, d.complete])).toEqual([['token_missing', true]]);
      expect(spans()).toBe(1);
    });
  });
}

// With a route-level middleware of the shield in the app, the global check defers its report to the end of the
// request (Express: the response's close; Koa: after the chain): that report is the one that must not drop it.
for (const adapter of ADAPTERS.filter((a) => NAMES.includes(a.name))) {
  describe(`${adapter.name}: with a route-level middleware mounted`, () => {
    let app: RunningApp;
    const decisions: Decision[] = [];
    beforeAll(async () => {
      app = await adapter.start(monitoredShield(decisions), [
        { method: 'POST', path: '/orders' },
        { method: 'POST', path: '/login', shield: { mode: 'monitor' } },
      ]);
    });
    afterAll(async () => app?.close());

    it('a rejected body is reported once, and a body stage that runs once', async () => {
      expect((await request(app.url).post('/orders').set(JSON_TYPE).send('{"qty": 1')).status).toBe(400);
      await pause(100);
      expect(decisions.map((d) => [d.code, d.complete])).toEqual([['token_missing', true]]);
      expect((await request(app.url).post('/orders').set(JSON_TYPE).send('{"qty": 1}')).status).toBe(200);
      await pause(100);
      expect(decisions.map((d) => [d.code, d.results.some((r) => r.verifier === 'body')])).toEqual([
        ['token_missing', false],
        ['token_missing', true],
      ]);
    });
  });
}

type TwoShieldApp = (a: Shield, b: Shield) => Promise<RunningApp>;

const TWO_SHIELD_APPS: readonly [string, TwoShieldApp][] = [
  [
    'express5',
    async (a, b) => {
      const app = express5();
      app.use(expressShield(a));
      app.use(expressShield(b));
      app.use(express5.json());
      app.use(expressShieldBody(a));
      app.use(expressShieldBody(b));
      app.post('/orders', (_req, res) => void res.json({ ok: true }));
      return listen(http.createServer(app));
    },
  ],
  [
    'koa3',
    async (a, b) => {
      const app = new Koa3();
      app.use(koaShield(a) as unknown as Koa3.Middleware);
      app.use(koaShield(b) as unknown as Koa3.Middleware);
      app.use(bodyParser() as unknown as Koa3.Middleware);
      app.use(koaShieldBody(a) as unknown as Koa3.Middleware);
      app.use(koaShieldBody(b) as unknown as Koa3.Middleware);
      app.use((ctx) => void (ctx.body = { ok: true }));
      return listen(http.createServer(app.callback()));
    },
  ],
  [
    'fastify5',
    async (a, b) => {
      const app = fastify5();
      await app.register(fastifyShield as never, { shield: a });
      await app.register(fastifyShield as never, { shield: b });
      app.post('/orders', async () => ({ ok: true }));
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      return { server: app.server, url: `http://127.0.0.1:${port}`, close: async () => void (await app.close()) };
    },
  ],
];

for (const [name, build] of TWO_SHIELD_APPS) {
  describe(`two shields on one ${name} app`, () => {
    let app: RunningApp;
    const first: Decision[] = [];
    const second: Decision[] = [];
    beforeAll(async () => {
      app = await build(monitoredShield(first), monitoredShield(second));
    });
    afterAll(async () => app?.close());

    it('each reports a rejected body once, and a body stage that runs once', async () => {
      expect((await request(app.url).post('/orders').set(JSON_TYPE).send('{"qty": 1')).status).toBe(400);
      await hangUpMidBody(app.url);
      expect((await request(app.url).post('/orders').set(JSON_TYPE).send('{"qty": 1}')).status).toBe(200);
      await pause(100);
      const seen = (decisions: Decision[]) => decisions.map((d) => [d.code, d.results.some((r) => r.verifier === 'body')]);
      const expected = [
        ['token_missing', false],
        ['token_missing', false],
        ['token_missing', true],
      ];
      expect(seen(first)).toEqual(expected);
      expect(seen(second)).toEqual(expected);
      expect(new Set([...first, ...second].map((d) => d.reference)).size).toBe(6);
    });
  });
}

describe('express5: a body stage that runs after the response ended', () => {
  let app: RunningApp;
  const decisions: Decision[] = [];
  beforeAll(async () => {
    const shield = monitoredShield(decisions);
    const server = express5();
    server.use(expressShield(shield));
    // A parser that goes on to the next middleware once the client is gone (the body stage then runs after the end).
    server.use((req, res, next) => void res.once('close', () => setTimeout(() => next(), 20)));
    server.use(expressShieldBody(shield));
    server.post('/orders', (_req, res) => void res.json({ ok: true }));
    app = await listen(http.createServer(server));
  });
  afterAll(async () => app?.close());

  it('is not reported again: the request is reported once', async () => {
    await hangUpMidBody(app.url);
    expect(decisions.map((d) => d.code)).toEqual(['token_missing']);
  });
});
