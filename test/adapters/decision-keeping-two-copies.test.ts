/**
 * Two copies of the package in one process (an ESM and a CommonJS build, two versions in node_modules): a shield of
 * one copy cannot tell the other's decisions. A shield mounted twice with the other copy's shield in between still
 * checks once (review: with the count of shields kept per copy, its decision was kept on `shield` alone, the other
 * copy's shield wrote over it, and the second mount ran the whole check again, refusing a single-use token as
 * replayed). The second copy is the sources loaded again after `vi.resetModules()`.
 */
import http from 'node:http';
import express from 'express';
import Koa from 'koa';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { koaShield } from '../../src/adapters/koa.js';
import { createShield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { servePort, type RunningApp } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

const attester = createTestAttester();
const partner = createTestAttester();
const header = 'x-attestation-token';
const partnerHeader = 'x-partner-token';
let checks = 0;
const first = createShield({ token: { secret: attester.secret as string, header, replay: true }, onDecision: () => void (checks += 1) });
let jti = 0;

vi.resetModules();
const copy = {
  shield: await import('../../src/shield.js'),
  express: await import('../../src/adapters/express.js'),
  koa: await import('../../src/adapters/koa.js'),
};
const second = copy.shield.createShield({ token: { secret: partner.secret as string, header: partnerHeader } });

const running: RunningApp[] = [];
afterAll(async () => {
  for (const app of running) await app.close();
});
const serve = (handler: http.RequestListener): Promise<number> => servePort(running, handler);
const headers = async (): Promise<Record<string, string>> => ({
  [header]: await attester.mint({ claims: { jti: `two-copies-${(jti += 1)}` } }),
  [partnerHeader]: await partner.mint(),
});

describe("a shield mounted twice, another copy's shield in between", () => {
  it('is a second copy (its createShield is not this one)', () => {
    expect(copy.shield.createShield).not.toBe(createShield);
  });

  it('express: the first shield checks once and the request passes', async () => {
    const app = express();
    app.use(expressShield(first));
    app.use(copy.express.expressShield(second));
    const router = express.Router();
    router.use(expressShield(first));
    router.get('/orders', (_req, res) => void res.json({ ok: true }));
    app.use(router);
    const port = await serve(app);
    const before = checks;
    const answer = await rawRequest(port, 'GET', '/orders', await headers());
    expect([answer.status, checks - before]).toEqual([200, 1]);
  });

  it('koa: the first shield checks once and the request passes', async () => {
    const app = new Koa();
    app.use(koaShield(first) as unknown as Koa.Middleware);
    app.use(copy.koa.koaShield(second) as unknown as Koa.Middleware);
    app.use(koaShield(first) as unknown as Koa.Middleware);
    app.use((ctx) => void (ctx.body = { ok: true }));
    const port = await serve(app.callback());
    const before = checks;
    const answer = await rawRequest(port, 'GET', '/orders', await headers());
    expect([answer.status, checks - before]).toEqual([200, 1]);
  });
});
