/**
 * Issue 10 item 4: what `onDecision` sees, through every adapter. Headers are allow-listed (protocol metadata,
 * forwarding, tracing, `logHeaders`); everything else is masked, and a header any verifier reads as a credential or
 * binding input (globally or on the request's route) is masked even when allow-listed.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import type { LoggedRequest } from '../../src/core/redact.js';
import { createShield } from '../../src/core/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, type RunningApp } from '../helpers/adapters.js';

const attester = createTestAttester({ header: 'approov-token' });
const REDACTED = '[redacted]';

for (const adapter of ADAPTERS) {
  describe(`onDecision redaction through ${adapter.name}`, () => {
    let app: RunningApp;
    const seen: LoggedRequest[] = [];
    beforeAll(async () => {
      const shield = createShield({
        token: approov({ secret: attester.secret as string, binding: { claim: 'pay', headers: ['authorization', 'x-session'] } }),
        credentials: {},
        logHeaders: ['x-tenant', 'x-device-label'],
        routes: {
          'POST /login': {
            token: { binding: false },
            credentials: { login: { username: 'header.x-user', password: 'header.x-password', binding: { fields: ['header.x-device-label'] } } },
          },
          'GET /ua-bound': { token: { binding: { headers: ['user-agent'] } } },
        },
        onDecision: (_d, r) => void seen.push(r),
      });
      app = await adapter.start(shield, [
        { method: 'GET', path: '/profile' },
        { method: 'GET', path: '/ua-bound' },
        { method: 'POST', path: '/login' },
      ]);
    });
    afterAll(() => app.close());

    const last = async () => {
      for (let i = 0; i < 50 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      expect(seen).toHaveLength(1);
      return seen.pop()!.headers;
    };

    it('a login reading header.x-password and header.x-user never shows them', async () => {
      seen.length = 0;
      const token = await attester.mint({ bindTo: 'phone-7' });
      await request(app.server)
        .post('/login')
        .set({ 'approov-token': token, 'x-user': 'alice@example.com', 'x-password': 'hunter2-secret', 'x-device-label': 'phone-7', 'x-tenant': 'acme' })
        .send({});
      const headers = await last();
      expect(headers['x-password']).toBe(REDACTED);
      expect(headers['x-user']).toBe(REDACTED);
      // Allow-listed with logHeaders, but read as a login binding field on this route: masked here.
      expect(headers['x-device-label']).toBe(REDACTED);
      expect(headers['approov-token']).toBe(REDACTED);
      expect(headers['x-tenant']).toBe('acme');
      expect(JSON.stringify(headers)).not.toMatch(/hunter2|alice@|phone-7/);
    });

    it('every token-binding header is masked; unknown headers are masked; allow-listed ones are shown', async () => {
      seen.length = 0;
      const token = await attester.mint({ bindTo: 'Bearer s3cret\nsess-42' });
      const res = await request(app.server)
        .get('/profile')
        .set({
          'approov-token': token,
          authorization: 'Bearer s3cret',
          'x-session': 'sess-42',
          'x-internal-key': 'k-123',
          'x-tenant': 'acme',
          'x-device-label': 'my phone',
          'user-agent': 'okhttp/4.12',
          'x-request-id': 'req-1',
        });
      expect(res.status).toBe(200);
      const headers = await last();
      for (const name of ['approov-token', 'authorization', 'x-session', 'x-internal-key']) expect(headers[name]).toBe(REDACTED);
      expect(headers).toMatchObject({ 'x-tenant': 'acme', 'x-device-label': 'my phone', 'user-agent': 'okhttp/4.12', 'x-request-id': 'req-1' });
      expect(JSON.stringify(headers)).not.toMatch(/s3cret|sess-42|k-123/);
    });

    it('a route binding tokens to an allow-listed header masks it on that route only', async () => {
      seen.length = 0;
      const token = await attester.mint({ bindTo: 'ua-bound-client/1.0' });
      expect((await request(app.server).get('/ua-bound').set({ 'approov-token': token, 'user-agent': 'ua-bound-client/1.0' })).status).toBe(200);
      expect((await last())['user-agent']).toBe(REDACTED);
    });
  });
}
