/**
 * Where a shield keeps its decision on a request. The only shield of a process with no later middleware of its own
 * that reads the decision back (no body stage, no route-level check) keeps it on `shield` alone (one property fewer
 * to add to an Express request, whose every property write costs microseconds: decision-keeping-one-shield.test.ts);
 * otherwise a slot of its own holds it too, which neither the application nor another shield writes. This file
 * creates several shields: a shield mounted twice still checks once, with another shield's decision written over
 * its own in between; a body stage still runs when the application replaced `shield` before it.
 */
import http from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import bodyParser from 'koa-bodyparser';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { koaShield, koaShieldBody } from '../../src/adapters/koa.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { createShield, type Shield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { servePort } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

const attester = createTestAttester();
const header = 'x-attestation-token';
const ATTACK = JSON.stringify({ q: "1' UNION SELECT password FROM users--" });
const json = { 'content-type': 'application/json' };

const running: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const app of running) await app.close();
});
const serve = (handler: http.RequestListener): Promise<number> => servePort(running, handler);

/** A token-only shield (no body stage) that counts the checks it reports. */
function countingShield(): { shield: Shield; checks: () => number } {
  let checks = 0;
  const shield = createShield({ token: { secret: attester.secret as string, header }, onDecision: () => void (checks += 1) });
  return { shield, checks: () => checks };
}

/** A shield with a body stage (the payload shield). */
const bodyShield = (): Shield => createShield({ token: { secret: attester.secret as string, header }, payload: {} });

describe('a shield without a body stage mounted twice, another shield in between', () => {
  for (const [name, express] of [
    ['express4', express4 as unknown as typeof express5],
    ['express5', express5],
  ] as const) {
    it(`${name}: each shield checks the request once`, async () => {
      const first = countingShield();
      const second = countingShield();
      const app = express();
      app.use(expressShield(first.shield));
      app.use(expressShield(second.shield));
      app.use(expressShield(first.shield));
      app.get('/data', (req, res) => void res.json({ allowed: (req as { shield?: { allowed: boolean } }).shield?.allowed }));
      const port = await serve(app);
      const answer = await rawRequest(port, 'GET', '/data', { [header]: await attester.mint() });
      expect([answer.status, first.checks(), second.checks()]).toEqual([200, 1, 1]);
    });
  }

  for (const [name, Koa] of [
    ['koa2', Koa2 as unknown as typeof Koa3],
    ['koa3', Koa3],
  ] as const) {
    it(`${name}: each shield checks the request once`, async () => {
      const first = countingShield();
      const second = countingShield();
      const app = new Koa();
      app.use(koaShield(first.shield) as unknown as Koa3.Middleware);
      app.use(koaShield(second.shield) as unknown as Koa3.Middleware);
      app.use(koaShield(first.shield) as unknown as Koa3.Middleware);
      app.use((ctx) => void (ctx.body = { ok: true }));
      const port = await serve(app.callback());
      const answer = await rawRequest(port, 'GET', '/data', { [header]: await attester.mint() });
      expect([answer.status, first.checks(), second.checks()]).toEqual([200, 1, 1]);
    });
  }
});

describe("a body stage runs when the application replaced `shield` before it", () => {
  for (const [name, express] of [
    ['express4', express4 as unknown as typeof express5],
    ['express5', express5],
  ] as const) {
    it(`${name}: the injection is still refused`, async () => {
      const shield = bodyShield();
      const app = express();
      app.use(expressShield(shield));
      app.use((req, _res, next) => {
        (req as { shield?: unknown }).shield = undefined;
        next();
      });
      app.use(express.json());
      app.use(expressShieldBody(shield));
      app.post('/data', (_req, res) => void res.json({ handler: 'data' }));
      const port = await serve(app);
      const attack = await rawRequest(port, 'POST', '/data', { ...json, [header]: await attester.mint() }, ATTACK);
      expect([attack.status, attack.body.includes('payload_attack')]).toEqual([403, true]);
      const ok = await rawRequest(port, 'POST', '/data', { ...json, [header]: await attester.mint() }, '{"q":"shoes"}');
      expect(ok.status).toBe(200);
    });
  }

  for (const [name, Koa] of [
    ['koa2', Koa2 as unknown as typeof Koa3],
    ['koa3', Koa3],
  ] as const) {
    it(`${name}: the injection is still refused`, async () => {
      const shield = bodyShield();
      const app = new Koa();
      app.use(koaShield(shield) as unknown as Koa3.Middleware);
      app.use(async (ctx, next) => {
        ctx.state.shield = undefined;
        await next();
      });
      app.use(bodyParser() as unknown as Koa3.Middleware);
      app.use(koaShieldBody(shield) as unknown as Koa3.Middleware);
      app.use((ctx) => void (ctx.body = { handler: 'data' }));
      const port = await serve(app.callback());
      const attack = await rawRequest(port, 'POST', '/data', { ...json, [header]: await attester.mint() }, ATTACK);
      expect([attack.status, attack.body.includes('payload_attack')]).toEqual([403, true]);
      const ok = await rawRequest(port, 'POST', '/data', { ...json, [header]: await attester.mint() }, '{"q":"shoes"}');
      expect(ok.status).toBe(200);
    });
  }

  for (const [name, fastify] of [
    ['fastify4', fastify4 as unknown as typeof fastify5],
    ['fastify5', fastify5],
  ] as const) {
    it(`${name}: the injection is still refused`, async () => {
      const app = fastify();
      await app.register(fastifyShield as never, { shield: bodyShield() });
      app.addHook('onRequest', (req, _reply, done) => {
        (req as { shield?: unknown }).shield = undefined;
        done();
      });
      app.post('/data', async () => ({ handler: 'data' }));
      await app.listen({ port: 0, host: '127.0.0.1' });
      running.push({ close: async () => void (await app.close()) });
      const port = (app.server.address() as AddressInfo).port;
      const attack = await rawRequest(port, 'POST', '/data', { ...json, [header]: await attester.mint() }, ATTACK);
      expect([attack.status, attack.body.includes('payload_attack')]).toEqual([403, true]);
      const ok = await rawRequest(port, 'POST', '/data', { ...json, [header]: await attester.mint() }, '{"q":"shoes"}');
      expect(ok.status).toBe(200);
    });
  }
});
