/**
 * `onDecision` hears every request once (docs/options.md). With the Fastify plugin, the header stage runs in
 * `onRequest` and the body stage in `preValidation`; a request the header stage allows is left waiting for the body
 * stage (`complete: false`). When something between those hooks answers the request itself (a hook registered after
 * the shield replying 401, a hook failing, Fastify's own parser refusing an empty JSON body, a hijacked reply), the
 * body stage never runs: the request must still be reported, once, with the header stage's decision, bodiless
 * requests (a GET, a POST without body) included. Controls: a request whose body stage runs is reported once, with the
 * body stage's decision (allowed or denied), and never a second time when its response closes.
 */
import http from 'node:http';
import express5 from 'express';
import Koa3 from 'koa';
import bodyParser from 'koa-bodyparser';
import fastify5, { type FastifyInstance } from 'fastify';
import fastify4 from 'fastify4';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { koaShield, koaShieldBody } from '../../src/adapters/koa.js';
import type { Verifier } from '../../src/core/verifier.js';
import { createShield, type Decision } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { rawRequest } from '../helpers/raw-http.js';

const attester = createTestAttester({ header: 'approov-token' });
/** A body-stage verifier whose result shows that the body stage ran for the decision reported. */
const bodyStage: Verifier = { name: 'body-marker', stage: 'body', verify: () => ({ outcome: 'pass' }) };
const ATTACK = "1' UNION SELECT password FROM users--";
const JSON_TYPE = { 'content-type': 'application/json' };
const running: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const app of running) await app.close();
});

type App = FastifyInstance;

/** What the reports of one request looked like: its code, allowed, complete, and whether the body stage ran. */
type Report = [code: string | undefined, allowed: boolean, complete: boolean, bodyStageRan: boolean];
const summary = (d: Decision): Report => [d.code, d.allowed, d.complete, d.results.some((r) => r.verifier === 'body-marker')];

/**
 * An app with the shield (a token verifier, the payload shield and a body-stage marker) and `setup`'s hooks and
 * routes. `send` makes one request and resolves once the server side of its response has closed and every 'close'
 * listener has run, so a report made there (or a second one) is in `reports` by then: no timed wait.
 */
async function start(fastify: typeof fastify5, setup: (app: App) => void, marker: Verifier = bodyStage) {
  const reports: Report[] = [];
  const shield = recordingShield(reports, marker);
  const app = fastify();
  await app.register(fastifyShield as never, { shield });
  setup(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  running.push({ close: async () => void (await app.close()) });
  return { reports, send: sender(app.server) };
}

/** The shield of these tests: a token verifier, the payload shield and `marker`, reporting to `reports`. */
function recordingShield(reports: Report[], marker: Verifier = bodyStage) {
  return createShield({
    token: approov({ secret: attester.secret!, binding: false }),
    payload: {},
    verifiers: [marker],
    onDecision: (decision) => void reports.push(summary(decision)),
  });
}

/** See `start`: one request at a time, resolved once its response closed server-side and its listeners ran. */
function sender(server: http.Server) {
  let closed: Promise<void> = Promise.resolve();
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    closed = new Promise((resolve) => res.on('close', () => setImmediate(resolve)));
  });
  const port = (server.address() as AddressInfo).port;
  async function send(method: string, target: string, headers: Record<string, string> = {}, body = '', withToken = true) {
    const token: Record<string, string> = withToken ? { 'approov-token': await attester.mint() } : {};
    const res = await rawRequest(port, method, target, { ...token, ...headers }, body);
    await closed;
    return res;
  }
  return send;
}

/** A hook registered after the shield that answers 401 when the request has no `authorization` header. */
function authHook(name: 'onRequest' | 'preParsing') {
  return (app: App): void => {
    app.addHook(name, (req: { headers: Record<string, unknown> }, reply: { code(n: number): { send(p: unknown): void } }, ...rest: unknown[]) => {
      const done = rest[rest.length - 1] as (error?: Error | null, payload?: unknown) => void;
      if (req.headers.authorization === undefined) {
        reply.code(401).send({ error: 'unauthorized' });
        return;
      }
      if (name === 'preParsing') done(null, rest[0]);
      else done();
    });
    app.get('/orders', async () => ({ ok: true }));
    app.post('/orders', async () => ({ ok: true }));
  };
}

const ALLOWED_HEADERS_ONLY: Report = [undefined, true, true, false];
const ALLOWED_WITH_BODY: Report = [undefined, true, true, true];

for (const [name, fastify] of [
  ['fastify4', fastify4 as unknown as typeof fastify5],
  ['fastify5', fastify5],
] as const) {
  describe(`${name}: a request answered between onRequest and preValidation`, () => {
    it('a GET an onRequest hook after the shield answers 401 is reported once, by the header stage', async () => {
      const { reports, send } = await start(fastify, authHook('onRequest'));
      expect((await send('GET', '/orders')).status).toBe(401);
      expect(reports).toEqual([ALLOWED_HEADERS_ONLY]);
    });

    it('a POST without body an onRequest hook answers 401 is reported once', async () => {
      const { reports, send } = await start(fastify, authHook('onRequest'));
      expect((await send('POST', '/orders')).status).toBe(401);
      expect(reports).toEqual([ALLOWED_HEADERS_ONLY]);
    });

    it('a GET a preParsing hook answers 401 is reported once', async () => {
      const { reports, send } = await start(fastify, authHook('preParsing'));
      expect((await send('GET', '/orders')).status).toBe(401);
      expect(reports).toEqual([ALLOWED_HEADERS_ONLY]);
    });

    it('a GET whose onRequest hook fails (the error handler answers 500) is reported once', async () => {
      const { reports, send } = await start(fastify, (app) => {
        app.addHook('onRequest', (_req, _reply, done) => done(new Error('session store down')));
        app.get('/orders', async () => ({ ok: true }));
      });
      expect((await send('GET', '/orders')).status).toBe(500);
      expect(reports).toEqual([ALLOWED_HEADERS_ONLY]);
    });

    it('a GET whose reply an onRequest hook hijacks is reported once', async () => {
      const { reports, send } = await start(fastify, (app) => {
        // A hook that takes the response over answers it itself and never calls `done`: no later hook runs.
        app.addHook('onRequest', (_req, reply, _done) => {
          reply.hijack();
          reply.raw.writeHead(204).end();
        });
        app.get('/orders', async () => ({ ok: true }));
      });
      expect((await send('GET', '/orders')).status).toBe(204);
      expect(reports).toEqual([ALLOWED_HEADERS_ONLY]);
    });

    it('a JSON POST with Content-Length: 0 that Fastify refuses (empty JSON body) is reported once', async () => {
      const { reports, send } = await start(fastify, (app) => {
        app.post('/orders', async () => ({ ok: true }));
      });
      expect((await send('POST', '/orders', JSON_TYPE)).status).toBe(400);
      expect(reports).toEqual([ALLOWED_HEADERS_ONLY]);
    });

    it('a declared body a hook after the shield answers 401 is reported once (the listener that existed)', async () => {
      const { reports, send } = await start(fastify, authHook('onRequest'));
      expect((await send('POST', '/orders', JSON_TYPE, '{"q":"shoes"}')).status).toBe(401);
      expect(reports).toEqual([ALLOWED_HEADERS_ONLY]);
    });
  });

  describe(`${name}: controls (never twice, the body stage's decision when it ran)`, () => {
    const routes = (app: App): void => {
      app.get('/orders', async () => ({ ok: true }));
      app.post('/orders', async () => ({ ok: true }));
      app.get('/slow', (_req, reply) => void setTimeout(() => void reply.send({ ok: true }), 20));
    };

    it('a GET whose body stage runs is reported once, with the body stage decision', async () => {
      const { reports, send } = await start(fastify, routes);
      expect((await send('GET', '/orders')).status).toBe(200);
      expect((await send('GET', '/slow')).status).toBe(200);
      expect(reports).toEqual([ALLOWED_WITH_BODY, ALLOWED_WITH_BODY]);
    });

    it('a GET whose body stage decides asynchronously is reported once, with the body stage decision', async () => {
      const later: Verifier = { ...bodyStage, verify: () => new Promise((resolve) => setTimeout(() => resolve({ outcome: 'pass' }), 10)) };
      const { reports, send } = await start(fastify, routes, later);
      expect((await send('GET', '/orders')).status).toBe(200);
      expect((await send('POST', '/orders')).status).toBe(200);
      expect(reports).toEqual([ALLOWED_WITH_BODY, ALLOWED_WITH_BODY]);
    });

    it('a POST without body and a POST with one are each reported once, by the body stage', async () => {
      const { reports, send } = await start(fastify, routes);
      expect((await send('POST', '/orders')).status).toBe(200);
      expect((await send('POST', '/orders', JSON_TYPE, '{"q":"shoes"}')).status).toBe(200);
      expect(reports).toEqual([ALLOWED_WITH_BODY, ALLOWED_WITH_BODY]);
    });

    it('a GET the body stage denies (an attack in the query) is reported once, with the denial', async () => {
      const { reports, send } = await start(fastify, routes);
      const res = await send('GET', `/orders?q=${encodeURIComponent(ATTACK)}`);
      expect([res.status, res.body.includes('payload_attack')]).toEqual([403, true]);
      expect(reports.map(([code, allowed, complete]) => [code, allowed, complete])).toEqual([['payload_attack', false, true]]);
    });

    it('a GET of an unknown route (the 404 handler runs the body stage) is reported once', async () => {
      const { reports, send } = await start(fastify, routes);
      expect((await send('GET', '/nowhere')).status).toBe(404);
      expect(reports).toEqual([ALLOWED_WITH_BODY]);
    });

    it('a GET the header stage denies (no token) is reported once, with the denial', async () => {
      const { reports, send } = await start(fastify, routes);
      expect((await send('GET', '/orders', {}, '', false)).status).toBe(401);
      expect(reports.map(([code, allowed, complete]) => [code, allowed, complete])).toEqual([['token_missing', false, true]]);
    });
  });
}

/**
 * Express and Koa: the global middleware leaves a check to the body stage only for a request that declares a body
 * (`bodyUnparsed`); a bodiless one is checked whole there (`complete`) and reported at once, so a middleware between
 * the two answering it loses nothing. A declared body answered there is reported by the existing close listener.
 */
const AUTH_THEN_BODY: readonly [string, (reports: Report[]) => Promise<http.Server>][] = [
  [
    'express5',
    async (reports) => {
      const shield = recordingShield(reports);
      const app = express5();
      app.use(expressShield(shield));
      app.use((req, res, next) => (req.headers.authorization === undefined ? void res.status(401).json({ error: 'unauthorized' }) : next()));
      app.use(express5.json());
      app.use(expressShieldBody(shield));
      app.all('/orders', (_req, res) => void res.json({ ok: true }));
      return listening(http.createServer(app));
    },
  ],
  [
    'koa3',
    async (reports) => {
      const shield = recordingShield(reports);
      const app = new Koa3();
      app.use(koaShield(shield) as unknown as Koa3.Middleware);
      app.use(async (ctx, next) => {
        if (ctx.get('authorization') === '') {
          ctx.status = 401;
          ctx.body = { error: 'unauthorized' };
          return;
        }
        await next();
      });
      app.use(bodyParser() as unknown as Koa3.Middleware);
      app.use(koaShieldBody(shield) as unknown as Koa3.Middleware);
      app.use((ctx) => void (ctx.body = { ok: true }));
      return listening(http.createServer(app.callback()));
    },
  ],
];

async function listening(server: http.Server): Promise<http.Server> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  running.push({ close: () => new Promise((resolve) => server.close(() => resolve())) });
  return server;
}

for (const [name, build] of AUTH_THEN_BODY) {
  describe(`${name}: a middleware between the shield and its body stage answers`, () => {
    it('a GET, a POST without body and a POST with one answered 401 are each reported once, by the header check', async () => {
      const reports: Report[] = [];
      const send = sender(await build(reports));
      expect((await send('GET', '/orders')).status).toBe(401);
      expect((await send('POST', '/orders')).status).toBe(401);
      expect((await send('POST', '/orders', JSON_TYPE, '{"q":"shoes"}')).status).toBe(401);
      // A bodiless request was checked whole by the global middleware (its body-stage verifiers included).
      expect(reports).toEqual([ALLOWED_WITH_BODY, ALLOWED_WITH_BODY, ALLOWED_HEADERS_ONLY]);
    });

    it('control: requests that reach the body stage are reported once each', async () => {
      const reports: Report[] = [];
      const send = sender(await build(reports));
      const auth = { authorization: 'Bearer alice' };
      expect((await send('GET', '/orders', auth)).status).toBe(200);
      expect((await send('POST', '/orders', { ...auth, ...JSON_TYPE }, '{"q":"shoes"}')).status).toBe(200);
      expect(reports).toEqual([ALLOWED_WITH_BODY, ALLOWED_WITH_BODY]);
    });
  });
}
