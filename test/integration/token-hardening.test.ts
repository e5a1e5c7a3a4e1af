/**
 * Issue 10, token items through every adapter: `token.genericErrors` (item 8), `token: false` as a route option
 * (item 5) and unambiguous multi-header binding (item 6).
 */
import { createHash } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import type { Decision } from '../../src/shield.js';
import { createShield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, type RunningApp, type TestRoute } from '../helpers/adapters.js';

const attester = createTestAttester({ header: 'approov-token' });
const AUTH = 'Bearer alice';
const sha256b64 = (s: string) => createHash('sha256').update(s, 'utf8').digest('base64');

for (const adapter of ADAPTERS) {
  describe(`token.genericErrors through ${adapter.name}`, () => {
    let app: RunningApp;
    const decisions: Decision[] = [];
    beforeAll(async () => {
      const shield = createShield({
        token: approov({ secret: attester.secret as string, genericErrors: true }),
        credentials: {},
        routes: {
          'POST /transfer': { token: { replay: true } },
          'POST /login': { token: { binding: false }, credentials: { login: { username: 'body.email', binding: true } } },
        },
        onDecision: (d) => void decisions.push(d),
      });
      const routes: TestRoute[] = [
        { method: 'GET', path: '/profile' },
        { method: 'POST', path: '/transfer' },
        { method: 'POST', path: '/login' },
      ];
      app = await adapter.start(shield, routes);
    });
    afterAll(() => app.close());

    const expectGeneric = async (res: request.Response, reason: string) => {
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_invalid');
      expect(res.body.type).toMatch(/\/token_invalid\.md$/);
      expect(JSON.stringify(res.body)).not.toMatch(/expired|replay|binding/);
      // The precise reason stays server-side.
      const decision = decisions.find((d) => d.reference === res.body.reference);
      expect(decision?.results.find((r) => r.code === 'token_invalid')?.detail).toMatch(new RegExp(`^${reason}`));
    };

    it('expired, replayed and mis-bound tokens all read token_invalid; a missing one stays token_missing', async () => {
      const expired = await attester.mint({ bindTo: AUTH, expired: true });
      await expectGeneric(await request(app.server).get('/profile').set({ authorization: AUTH, 'approov-token': expired }), 'token_expired');
      const other = await attester.mint({ bindTo: 'Bearer mallory' });
      await expectGeneric(await request(app.server).get('/profile').set({ authorization: AUTH, 'approov-token': other }), 'token_binding_mismatch');
      const once = { authorization: AUTH, 'approov-token': await attester.mint({ bindTo: AUTH, singleUse: true }) };
      expect((await request(app.server).post('/transfer').set(once).send({})).status).toBe(200);
      await expectGeneric(await request(app.server).post('/transfer').set(once).send({}), 'token_replayed');
      const loginToken = await attester.mint({ claims: { pay: sha256b64('someone@example.com') } });
      const login = await request(app.server).post('/login').set({ 'approov-token': loginToken }).send({ email: 'alice@example.com' });
      expect(login.status).toBe(401);
      expect(login.body.code).toBe('token_invalid');
      const missing = await request(app.server).get('/profile').set({ authorization: AUTH });
      expect(missing.body.code).toBe('token_missing');
      expect((await request(app.server).get('/profile').set({ authorization: AUTH, 'approov-token': await attester.mint({ bindTo: AUTH }) })).status).toBe(200);
    });
  });
}

for (const adapter of ADAPTERS) {
  describe(`token: false as a route option through ${adapter.name}`, () => {
    let app: RunningApp;
    beforeAll(async () => {
      const shield = createShield({
        token: approov({ secret: attester.secret as string }),
        trustProxy: ['loopback'],
        credentials: { consecutiveFailures: { limit: 3 } },
        payload: {},
        routes: {
          'POST /login-table': { token: false, credentials: { login: { username: 'body.email' } } },
          'POST /login-bound': { token: false, credentials: { login: { username: 'body.email', binding: true } } },
        },
      });
      const login: TestRoute['respond'] = ({ body }) =>
        (body as { password?: string }).password === 'right' ? { status: 200, body: { ok: true } } : { status: 401, body: { ok: false } };
      const routes: TestRoute[] = [
        { method: 'GET', path: '/profile' },
        { method: 'POST', path: '/webhook', shield: { token: false } },
        { method: 'POST', path: '/login', shield: { token: false, credentials: { login: { username: 'body.email' } } }, respond: login },
        { method: 'POST', path: '/login-table', respond: login },
        { method: 'POST', path: '/login-bound', respond: login },
      ];
      app = await adapter.start(shield, routes);
    });
    afterAll(() => app.close());

    it('skips only the token check: no token needed, the payload shield still runs', async () => {
      expect((await request(app.server).get('/profile').set({ authorization: AUTH })).body.code).toBe('token_missing');
      expect((await request(app.server).post('/webhook').send({ event: 'paid' })).status).toBe(200);
      const attack = await request(app.server).post('/webhook').send({ q: "1' OR '1'='1' --" });
      expect(attack.status).toBe(403);
      expect(attack.body.code).toBe('payload_attack');
    });

    for (const path of ['/login', '/login-table']) {
      it(`${path}: logins work without a token and the per-user lock still holds`, async () => {
        const user = { email: `tokenless${path.length}@example.com`, password: 'wrong' };
        const ip = { 'x-forwarded-for': `198.51.100.${path.length}` };
        expect((await request(app.server).post(path).set(ip).send({ ...user, password: 'right' })).status).toBe(200);
        for (let i = 0; i < 3; i++) {
          expect((await request(app.server).post(path).set(ip).send(user)).status).toBe(401);
          await new Promise((r) => setImmediate(r));
        }
        const locked = await request(app.server).post(path).set(ip).send({ ...user, password: 'right' });
        expect(locked.status).toBe(429);
        expect(locked.body.code).toBe('login_locked');
      });
    }

    it('login binding on a token: false route denies token_missing (binding needs a token)', async () => {
      const res = await request(app.server).post('/login-bound').send({ email: 'a@example.com', password: 'right' });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_missing');
    });
  });
}

for (const adapter of ADAPTERS) {
  describe(`multi-header token binding through ${adapter.name}`, () => {
    let app: RunningApp;
    beforeAll(async () => {
      const shield = createShield({
        token: approov({ secret: attester.secret as string, binding: { claim: 'pay', headers: ['authorization', 'x-session'] } }),
        routes: { 'GET /approov': { token: { binding: { headers: ['authorization'] } } } },
      });
      app = await adapter.start(shield, [
        { method: 'GET', path: '/profile' },
        { method: 'GET', path: '/approov' },
      ]);
    });
    afterAll(() => app.close());

    it('a token bound to ("Bearer alice", "sess-42") is refused for ("Bearer alicesess-42", none)', async () => {
      const token = await attester.mint({ bindTo: 'Bearer alice\nsess-42' });
      expect((await request(app.server).get('/profile').set({ authorization: 'Bearer alice', 'x-session': 'sess-42', 'approov-token': token })).status).toBe(200);
      // The old concatenation: a token minted for "Bearer alicesess-42" served both header splits.
      const ambiguous = await attester.mint({ bindTo: 'Bearer alicesess-42' });
      const shifted = await request(app.server).get('/profile').set({ authorization: 'Bearer alicesess-42', 'approov-token': ambiguous });
      expect(shifted.status).toBe(401);
      expect(shifted.body.code).toBe('token_binding_mismatch');
      const split = await request(app.server).get('/profile').set({ authorization: 'Bearer alice', 'x-session': 'sess-42', 'approov-token': ambiguous });
      expect(split.body.code).toBe('token_binding_mismatch');
      const missing = await request(app.server).get('/profile').set({ authorization: 'Bearer alice', 'approov-token': token });
      expect(missing.body.code).toBe('token_binding_mismatch');
      const moved = await request(app.server).get('/profile').set({ authorization: 'Bearer alice\tsess-42', 'x-session': 'x', 'approov-token': token });
      expect(moved.body.code).toBe('token_binding_mismatch');
    });

    it('single-header binding keeps the Approov pay format: base64 SHA-256 of the Authorization value', async () => {
      const pay = createHash('sha256').update('Bearer alice', 'utf8').digest('base64');
      const token = await attester.mint({ claims: { pay } });
      expect((await request(app.server).get('/approov').set({ authorization: 'Bearer alice', 'approov-token': token })).status).toBe(200);
      expect((await request(app.server).get('/approov').set({ 'approov-token': token })).body.code).toBe('token_binding_mismatch');
    });
  });
}
