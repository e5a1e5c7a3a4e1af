/**
 * Route parameters as the handler reads them. Express and Koa check before the router fills `req.params` /
 * `ctx.params`, so the payload shield reads the parameters of the route the router will run: a value only a
 * parameter holds decoded (`/files/%2Fetc%2Fpasswd` → `/etc/passwd`, an SSRF URL, a lone command) is inspected as a
 * parameter, `params` schemas and `params.*` virtual patches apply, as on Fastify, which knows its parameters. A
 * plain segment is not read as a parameter before routing (`/api/whoami` is a route's own word). Raw request lines over
 * real sockets, every adapter.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Router from '@koa/router';
import { expressShield } from '../../src/adapters/express.js';
import { koaShield } from '../../src/adapters/koa.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createShield, type Shield } from '../../src/shield.js';
import { ADAPTERS, listen, type RunningApp, type TestRoute } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

const echo: TestRoute['respond'] = ({ params }) => ({ status: 200, body: { params } });
const ROUTES: TestRoute[] = [
  { method: 'GET', path: '/api/whoami', respond: echo },
  { method: 'GET', path: '/files/:name', respond: echo },
  { method: 'GET', path: '/fetch/:url', respond: echo },
  { method: 'GET', path: '/users/:id', respond: echo },
  { method: 'GET', path: '/orders/:id', respond: echo },
];

/** Attacks that only a parameter holds as a value (an encoded one), and what the handler reads. */
const ATTACKS: readonly (readonly [string, Record<string, string>])[] = [
  ['/files/%2Fetc%2Fpasswd', { name: '/etc/passwd' }],
  ['/files/C%3A%5CWindows%5Cwin.ini', { name: 'C:\\Windows\\win.ini' }],
  ['/files/php%3A%2F%2Ffilter%2Fresource%3Dindex', { name: 'php://filter/resource=index' }],
  ['/fetch/http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data', { url: 'http://169.254.169.254/latest/meta-data' }],
  ['/fetch/http%3A%2F%2F127.0.0.1%3A6379%2F', { url: 'http://127.0.0.1:6379/' }],
  // A single segment spelled out with `:` and `\` (no `/`, nothing encoded).
  ['/fetch/http:\\\\169.254.169.254\\latest\\meta-data', { url: 'http:\\\\169.254.169.254\\latest\\meta-data' }],
  ['/files/C:\\Windows\\win.ini', { name: 'C:\\Windows\\win.ini' }],
];

function shielded(): Shield {
  return createShield({
    payload: { virtualPatches: [{ id: 'vp-admin', target: 'params.id', match: 'admin', path: '/users/*' }] },
    routes: { 'GET /orders/:id': { payload: { params: z.object({ id: z.string().regex(/^\d+$/) }) } } },
  });
}

for (const adapter of ADAPTERS) {
  describe(`route parameters (${adapter.name})`, () => {
    let bare: RunningApp;
    let app: RunningApp;
    const port = (running: RunningApp) => (running.server.address() as AddressInfo).port;
    beforeAll(async () => {
      bare = await adapter.start(createShield({}), ROUTES);
      app = await adapter.start(shielded(), ROUTES);
    });
    afterAll(async () => {
      await bare.close();
      await app.close();
    });

    it('a parameter-only attack: the bare handler reads it decoded, the shield refuses it', async () => {
      for (const [target, params] of ATTACKS) {
        expect(JSON.parse((await rawRequest(port(bare), 'GET', target)).body)).toEqual({ params });
        const answer = await rawRequest(port(app), 'GET', target);
        expect([target, answer.status, JSON.parse(answer.body).code]).toEqual([target, 403, 'payload_attack']);
      }
    });

    it('a literal segment is not a parameter; params schemas and params.* patches apply before routing too', async () => {
      const literal = await rawRequest(port(app), 'GET', '/api/whoami');
      expect([literal.status, JSON.parse(literal.body)]).toEqual([200, { params: {} }]);
      const patched = await rawRequest(port(app), 'GET', '/users/admin');
      expect([patched.status, JSON.parse(patched.body).code]).toEqual([403, 'payload_attack']);
      const valid = await rawRequest(port(app), 'GET', '/orders/123');
      expect([valid.status, JSON.parse(valid.body)]).toEqual([200, { params: { id: '123' } }]);
      const invalid = await rawRequest(port(app), 'GET', '/orders/abc');
      expect([invalid.status, JSON.parse(invalid.body).code]).toEqual([422, 'payload_invalid']);
    });
  });
}

describe('a wildcard parameter joins segments: an attack split over them is read joined (Express, Koa)', () => {
  const TARGETS = [
    '/splat/http%3A//169.254.169.254/latest/meta-data',
    '/splat/x/%2Fetc/passwd',
    // Spelled out, nothing encoded (reviewer-found: routers hand these to the handler as they are).
    '/splat/http://169.254.169.254/latest/meta-data',
    '/splat/gopher://127.0.0.1:6379/_INFO',
    '/splat//etc/passwd',
    '/splat/x//etc/passwd',
    // A wildcard deeper than the eighth position (diff review).
    '/splat/a/b/c/d/e/f/g/h/http://169.254.169.254/latest/meta-data',
  ];
  async function start(kind: 'express4' | 'express5' | 'koa3', shield: Shield | undefined): Promise<RunningApp> {
    if (kind === 'koa3') {
      const app = new Koa3();
      if (shield) app.use(koaShield(shield) as unknown as Koa3.Middleware);
      const router = new Router();
      router.get('/splat/*rest', (ctx) => {
        ctx.body = { rest: ctx.params.rest };
      });
      app.use(router.routes() as unknown as Koa3.Middleware);
      return listen(http.createServer(app.callback()));
    }
    const express = kind === 'express5' ? express5 : (express4 as unknown as typeof express5);
    const app = express();
    if (shield) app.use(expressShield(shield));
    app.get(kind === 'express5' ? '/splat/*rest' : '/splat/*', (req, res) => void res.json({ rest: (req.params as Record<string, unknown>).rest ?? (req.params as Record<string, unknown>)[0] }));
    return listen(http.createServer(app));
  }
  it.each(['express4', 'express5', 'koa3'] as const)('%s', async (kind) => {
    const bare = await start(kind, undefined);
    const app = await start(kind, createShield({ payload: {} }));
    try {
      for (const target of TARGETS) {
        const read = JSON.parse((await rawRequest(Number(new URL(bare.url).port), 'GET', target)).body).rest;
        expect([target, [read].flat().join('/')]).toEqual([target, expect.stringMatching(/169\.254\.169\.254|\/etc\/passwd|127\.0\.0\.1/)]);
        const answer = await rawRequest(Number(new URL(app.url).port), 'GET', target);
        expect([target, answer.status]).toEqual([target, 403]);
      }
    } finally {
      await bare.close();
      await app.close();
    }
  });
});
