/**
 * Issue 10, token items through every adapter: `token.genericErrors` (item 8), `token: false` as a route option
 * (item 5) and unambiguous multi-header binding (item 6).
 */
import { createHash } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import type { Decision } from '../../src/core/decision.js';
import { createShield } from '../../src/core/shield.js';
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
      expect(res.body.type).toMatch(/token_invalid$/);
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
