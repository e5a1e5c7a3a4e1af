import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { createShield } from '../../src/shield.js';
import type { Decision } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, type RunningApp, type TestRoute } from '../helpers/adapters.js';

const attester = createTestAttester({ header: 'approov-token' });
const USER_AUTH = 'Bearer user-alice-session';

const routes: TestRoute[] = [
  { method: 'GET', path: '/health' },
  { method: 'GET', path: '/profile' },
  { method: 'POST', path: '/orders', respond: ({ body }) => ({ status: 201, body: { echo: body } }) },
  { method: 'POST', path: '/login', shield: { token: { binding: false } } },
  { method: 'POST', path: '/transfer', shield: { token: { replay: true } } },
  { method: 'GET', path: '/beta', shield: { mode: 'monitor' } },
  { method: 'GET', path: '/public', shield: false },
];

interface Case {
  name: string;
  method: 'get' | 'post';
  path: string;
  headers: () => Promise<Record<string, string>>;
  body?: unknown;
  status: number;
  code?: string;
}

const bound = (auth: string, extra: Parameters<typeof attester.mint>[0] = {}) => async () => ({
  authorization: auth,
  'approov-token': await attester.mint({ bindTo: auth, ...extra }),
});

/** The one table every adapter must answer identically. */
const cases: Case[] = [
  { name: 'genuine app, bound token', method: 'get', path: '/profile', headers: bound(USER_AUTH), status: 200 },
  { name: 'exempt health check without token', method: 'get', path: '/health', headers: async () => ({}), status: 200 },
  { name: 'no token', method: 'get', path: '/profile', headers: async () => ({ authorization: USER_AUTH }), status: 401, code: 'token_missing' },
  {
    name: 'forged token (other key)',
    method: 'get',
    path: '/profile',
    headers: async () => ({ authorization: USER_AUTH, 'approov-token': await attester.forge({ bindTo: USER_AUTH }) }),
    status: 401,
    code: 'token_invalid',
  },
  { name: 'expired token', method: 'get', path: '/profile', headers: bound(USER_AUTH, { expired: true }), status: 401, code: 'token_expired' },
  {
    name: 'alg none',
    method: 'get',
    path: '/profile',
    headers: async () => ({ authorization: USER_AUTH, 'approov-token': attester.unsigned({ bindTo: USER_AUTH }) }),
    status: 401,
    code: 'token_invalid',
  },
  {
    name: "token bound to another user's Authorization",
    method: 'get',
    path: '/profile',
    headers: async () => ({ authorization: USER_AUTH, 'approov-token': await attester.mint({ bindTo: 'Bearer mallory' }) }),
    status: 401,
    code: 'token_binding_mismatch',
  },
  {
    name: 'unbound token where binding is required',
    method: 'get',
    path: '/profile',
    headers: async () => ({ authorization: USER_AUTH, 'approov-token': await attester.mint() }),
    status: 401,
    code: 'token_binding_mismatch',
  },
  {
    name: 'login route: binding off per route',
    method: 'post',
    path: '/login',
    headers: async () => ({ 'approov-token': await attester.mint() }),
    body: { user: 'alice' },
    status: 200,
  },
  {
    name: 'POST with JSON body reaches the handler intact',
    method: 'post',
    path: '/orders',
    headers: bound(USER_AUTH),
    body: { item: 'book', qty: 2 },
    status: 201,
  },
  {
    name: 'garbage token',
    method: 'get',
    path: '/profile',
    headers: async () => ({ authorization: USER_AUTH, 'approov-token': 'not a jwt at all' }),
    status: 401,
    code: 'token_invalid',
  },
  {
    name: 'route-level shield: false exempts the route',
    method: 'get',
    path: '/public',
    headers: async () => ({}),
    status: 200,
  },
  {
    name: 'monitor route lets a missing token through',
    method: 'get',
    path: '/beta',
    headers: async () => ({}),
    status: 200,
  },
];

for (const adapter of ADAPTERS) {
  describe(`token verifier through ${adapter.name}`, () => {
    let app: RunningApp;
    const decisions: Decision[] = [];
    beforeAll(async () => {
      const shield = createShield({
        token: approov({ secret: attester.secret as string }),
        routes: { 'GET /health': false },
        onDecision: (d) => void decisions.push(d),
      });
      app = await adapter.start(shield, routes);
    });
    afterAll(() => app.close());

    for (const c of cases) {
      it(c.name, async () => {
        let req = request(app.server)[c.method](c.path).set(await c.headers());
        if (c.body !== undefined) req = req.send(c.body as object);
        const res = await req;
        expect(res.status).toBe(c.status);
        if (c.code) {
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(res.body).toMatchObject({ status: c.status, code: c.code, type: expect.stringContaining(c.code) });
          expect(typeof res.body.reference).toBe('string');
          // Only a missing token gets a detail, and it names the header (public: the app sends it), nothing else.
          if (c.code === 'token_missing') {
            expect(res.body.detail).toBe('send the attestation token in the "approov-token" header');
            expect(Object.keys(res.body).sort()).toEqual(['code', 'detail', 'reference', 'status', 'title', 'type']);
          } else {
            expect(Object.keys(res.body).sort()).toEqual(['code', 'reference', 'status', 'title', 'type']);
          }
          expect(decisions.some((d) => d.reference === res.body.reference && d.code === c.code)).toBe(true);
        }
        if (c.path === '/orders') expect(res.body).toEqual({ echo: c.body });
      });
    }

    it('puts the verified claims and provider on the decision', async () => {
      const res = await request(app.server).get('/profile').set(await bound(USER_AUTH)());
      expect(res.body).toEqual({ ok: true, provider: 'approov' });
    });

    it('monitor mode records the would-be denial', async () => {
      decisions.length = 0;
      await request(app.server).get('/beta').expect(200);
      const d = decisions.at(-1);
      expect(d).toMatchObject({ allowed: true, code: 'token_missing', mode: 'monitor' });
    });

    it('reports one decision per request even when global and route-level middleware both ran', async () => {
      decisions.length = 0;
      const res = await request(app.server).post('/login').set({ 'approov-token': await attester.mint() }).send({ user: 'a' });
      expect(res.status).toBe(200);
      await new Promise((r) => setTimeout(r, 20));
      expect(decisions).toHaveLength(1);
      expect(decisions[0]).toMatchObject({ allowed: true, complete: true });
    });

    it('single-use tokens: the second use is refused', async () => {
      const headers = await bound(USER_AUTH, { singleUse: true })();
      await request(app.server).post('/transfer').set(headers).expect(200);
      const again = await request(app.server).post('/transfer').set(headers);
      expect(again.status).toBe(401);
      expect(again.body.code).toBe('token_replayed');
    });

    it('replay race: 200 concurrent uses of one single-use token, exactly one passes', async () => {
      const headers = await bound(USER_AUTH, { singleUse: true })();
      const statuses = await Promise.all(
        Array.from({ length: 200 }, () => request(app.server).post('/transfer').set(headers).then((r) => r.status)),
      );
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 401)).toHaveLength(199);
    });
  });
}
