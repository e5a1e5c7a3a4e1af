/**
 * Express and Koa: a global check whose denial could wait for the route's own (route-level) check. A middleware in
 * between that could answer the request itself makes the global denial stand (answered at once: the middleware
 * never sees the refused request), and the credential slot the global check reserved is freed (`'refused'`), not
 * held until `holdSeconds`: ten such logins leave the account free. With only the shield's own layers in between, the
 * route-level check takes the denial over and settles it.
 * The app's body parser runs before the global shield here, so the global check reads the login from the body and
 * reserves the slot before the payload shield denies the request.
 */
import http from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import express417 from 'express417';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import Koa213 from 'koa213';
import Router, { type RouterMiddleware } from '@koa/router';
import bodyParser from 'koa-bodyparser';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { koaShield, type KoaLikeContext } from '../../src/adapters/koa.js';
import type { Shield } from '../../src/shield.js';
import type { RequestOutcome, Verifier } from '../../src/core/verifier.js';
import { createShield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { listen, type RunningApp } from '../helpers/adapters.js';
import { loginRefusalShield, settled } from './login-refusal-helpers.js';

const attester = createTestAttester({ header: 'approov-token' });
const PASSWORD = 'correct-password';
/** The route-level options: anything, so the route has a route-level check to hand the denial to. */
const ROUTE_LEVEL: object = { token: { binding: false } };

const passwordStatus = (body: unknown): number => ((body as { password?: unknown } | undefined)?.password === PASSWORD ? 200 : 401);

type Start = (shield: Shield) => http.Server;

/** `POST /login` behind a global shield, a middleware that answers early on `x-answer-early`, and a route-level check. */
function expressApp(factory: typeof express5, route: object, answerEarly: boolean): Start {
  return (shield) => {
    const app = factory();
    app.use(factory.json());
    app.use(expressShield(shield) as unknown as express5.RequestHandler);
    if (answerEarly) {
      app.use((req, res, next) => {
        if (req.headers['x-answer-early'] !== undefined) res.status(418).end();
        else next();
      });
    }
    app.post('/login', expressShield(shield, route) as unknown as express5.RequestHandler, (req, res) => {
      res.status(passwordStatus(req.body)).json({});
    });
    return http.createServer(app);
  };
}

/** As `expressApp`, on Koa with @koa/router. */
function koaApp(Koa: typeof Koa3, route: object, answerEarly: boolean): Start {
  return (shield) => {
    const app = new Koa();
    const router = new Router();
    app.use(bodyParser() as unknown as Koa3.Middleware);
    app.use(koaShield(shield) as unknown as Koa3.Middleware);
    if (answerEarly) {
      app.use(async (ctx, next) => {
        if (ctx.get('x-answer-early') !== '') ctx.status = 418;
        else await next();
      });
    }
    router.post('/login', koaShield(shield, route) as unknown as RouterMiddleware, (ctx) => {
      ctx.status = passwordStatus((ctx as unknown as KoaLikeContext).request.body);
      ctx.body = {};
    });
    app.use(router.routes());
    return http.createServer(app.callback());
  };
}

/** The app on every Express and Koa version, with these route-level options (and the early-answering middleware). */
const apps = (route: object, answerEarly = true): ReadonlyArray<[string, Start]> => [
  ['express4', expressApp(express4 as unknown as typeof express5, route, answerEarly)],
  ['express4.17', expressApp(express417 as unknown as typeof express5, route, answerEarly)],
  ['express5', expressApp(express5, route, answerEarly)],
  ['koa2', koaApp(Koa2 as unknown as typeof Koa3, route, answerEarly)],
  ['koa2.13', koaApp(Koa213 as unknown as typeof Koa3, route, answerEarly)],
  ['koa3', koaApp(Koa3, route, answerEarly)],
];


for (const [name, start] of apps(ROUTE_LEVEL)) {
  describe(`a denial handed to a route-level check, through ${name}`, () => {
    let app: RunningApp;
    beforeAll(async () => {
      // Date alone is faked and never advanced: a slot held until `holdSeconds` would stay held for the whole test.
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
      const shield = loginRefusalShield(attester.secret as string);
      app = await listen(start(shield));
    });
    afterAll(async () => {
      vi.useRealTimers();
      await app.close();
    });

    const post = async (body: object, ip: string, headers: Record<string, string> = {}) => {
      const token = await attester.mint({ claims: { did: `phone-${ip}` } });
      const res = await request(app.server).post('/login').set({ 'approov-token': token, 'x-forwarded-for': ip, ...headers }).send(body);
      await settled();
      return res;
    };
    const ATTACK = { email: 'alice@example.com', password: 'x', note: "' OR 1=1 --" };

    it('a middleware in between that could answer: the global denial stands, and ten such logins leave the account free', async () => {
      for (let i = 0; i < 10; i++) {
        const res = await post(ATTACK, '192.0.2.30', { 'x-answer-early': '1' });
        expect([i, res.status, res.body.code]).toEqual([i, 403, 'payload_attack']);
      }
      expect((await post({ email: 'alice@example.com', password: PASSWORD }, '192.0.2.30')).status).toBe(200);
    });

    it('taken over by the route-level check: denied there, and the account still free', async () => {
      for (let i = 0; i < 10; i++) {
        const res = await post(ATTACK, '192.0.2.31');
        expect([i, res.status, res.body.code]).toEqual([i, 403, 'payload_attack']);
      }
      expect((await post({ email: 'bob@example.com', password: PASSWORD }, '192.0.2.31')).status).toBe(200);
      // Real failures still count: three wrong passwords lock the account.
      for (let i = 0; i < 3; i++) expect((await post({ email: 'carol@example.com', password: 'wrong' }, '192.0.2.32')).status).toBe(401);
      const locked = await post({ email: 'carol@example.com', password: PASSWORD }, '192.0.2.32');
      expect([locked.status, locked.body.code]).toEqual([429, 'login_locked']);
    });
  });
}

/**
 * The route-level check took the denial over and is still running (an asynchronous verifier) when the client hangs
 * up: that check, not the global one, settles the request's outcome, so the global check's `close` listener reports
 * no `'refused'` for a request whose handler may still run.
 */
for (const [name, start] of apps({ verifiers: { denier: 'off' } }, false)) {
  describe(`a client hanging up while the route-level check runs, through ${name}`, () => {
    let app: RunningApp;
    const heard: RequestOutcome[] = [];
    let release: () => void = () => undefined;
    let entered: () => void = () => undefined;
    beforeAll(async () => {
      const recorder: Verifier = { name: 'recorder', stage: 'headers', verify: () => ({ outcome: 'pass' }), onResponse: (_ctx, outcome) => void heard.push(outcome) };
      const denier: Verifier = { name: 'denier', stage: 'headers', verify: () => ({ outcome: 'deny', code: 'device_untrusted' }) };
      // Waits for the test (after the denier, so it runs in the route-level check only, where the denier is off).
      const slow: Verifier = {
        name: 'slow',
        stage: 'headers',
        verify: () =>
          new Promise((resolve) => {
            release = () => resolve({ outcome: 'pass' });
            entered();
          }),
      };
      app = await listen(start(createShield({ verifiers: [recorder, denier, slow] })));
    });
    afterAll(() => app.close());

    it('the global check reports no refusal for the request the route-level check took over', async () => {
      const inSlow = new Promise<void>((resolve) => (entered = resolve));
      const req = http.request(`${app.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      req.on('error', () => undefined);
      req.end('{}');
      await inSlow;
      req.destroy(); // the client hangs up while the route-level check waits
      await new Promise((resolve) => setTimeout(resolve, 20));
      release();
      await new Promise((resolve) => setTimeout(resolve, 20));
      // The route-level check took the outcome over: no 'refused' from the global check's `close` listener.
      expect(heard).not.toContain('refused');
    });
  });
}
