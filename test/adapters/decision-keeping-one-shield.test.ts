/**
 * With one shield in the process and no body stage or route-level middleware of it, the shield keeps its decision on
 * `req.shield` alone (no private slot added to an Express request, whose every added property costs about 2 µs).
 * This file creates exactly one shield, so that is the path its tests take (the first test checks the premise). A
 * route-level middleware created after the request's global check (a router built on first use) still finds that
 * check (review: it ran the whole check again, and a single-use token was refused as replayed).
 */
import http from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import { afterAll, describe, expect, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { koaShield } from '../../src/adapters/koa.js';
import { createShield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { servePort, type RunningApp } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

const attester = createTestAttester();
const header = 'x-attestation-token';
let checks = 0;
const shield = createShield({ token: { secret: attester.secret as string, header, replay: true }, onDecision: () => void (checks += 1) });
let jti = 0;
const token = (): Promise<string> => attester.mint({ claims: { jti: `one-shield-${(jti += 1)}` } });

const running: RunningApp[] = [];
afterAll(async () => {
  for (const app of running) await app.close();
});
const serve = (handler: http.RequestListener): Promise<number> => servePort(running, handler);

/** Whether a decision slot of the shield was added to the request (symbols named `mobile-api-shield.decision`). */
const hasDecisionSlot = (req: object): boolean => Object.getOwnPropertySymbols(req).some((s) => s.description === 'mobile-api-shield.decision');

describe('one shield without a body stage', () => {
  for (const [name, express] of [
    ['express4', express4 as unknown as typeof express5],
    ['express5', express5],
  ] as const) {
    it(`${name}: keeps its decision on req.shield alone, and a second mount finds it there`, async () => {
      const app = express();
      let slot: boolean | undefined;
      app.use(expressShield(shield));
      app.use(expressShield(shield));
      app.get('/data', (req, res) => {
        slot = hasDecisionSlot(req);
        res.json({ ok: true });
      });
      const port = await serve(app);
      const before = checks;
      const answer = await rawRequest(port, 'GET', '/data', { [header]: await token() });
      const shared = (globalThis as Record<symbol, { shields: number } | undefined>)[Symbol.for('mobile-api-shield.decision-slots')];
      expect([answer.status, checks - before, slot, shared?.shields]).toEqual([200, 1, false, 1]);
    });
  }

  it('koa3: a second mount finds the decision on ctx.state.shield', async () => {
    const app = new Koa3();
    app.use(koaShield(shield) as unknown as Koa3.Middleware);
    app.use(koaShield(shield) as unknown as Koa3.Middleware);
    app.use((ctx) => void (ctx.body = { ok: true }));
    const port = await serve(app.callback());
    const before = checks;
    const answer = await rawRequest(port, 'GET', '/data', { [header]: await token() });
    expect([answer.status, checks - before]).toEqual([200, 1]);
  });

  // Last: creating a route-level middleware makes the shield keep slots from then on.
  it('express5: a route-level middleware created after the global check finds that check', async () => {
    const app = express5();
    app.use(expressShield(shield));
    let routeLevel: ReturnType<typeof expressShield> | undefined;
    app.get(
      '/orders',
      (req, res, next) => (routeLevel ??= expressShield(shield, {}))(req, res, next),
      (_req, res) => void res.json({ ok: true }),
    );
    const port = await serve(app);
    const before = checks;
    const first = await rawRequest(port, 'GET', '/orders', { [header]: await token() });
    expect([first.status, checks - before]).toEqual([200, 1]);
  });
});
