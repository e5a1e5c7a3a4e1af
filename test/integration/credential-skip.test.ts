/**
 * `credentials.skip(request)`: requests it picks (here an internal health probe) are neither checked nor counted by
 * the credential counters, through each adapter family over HTTP; everything else still locks. A predicate that
 * throws fails the request closed.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import type { ShieldRequest } from '../../src/core/request.js';
import { createShield, type Shield } from '../../src/shield.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, type RunningApp, type TestRoute } from '../helpers/adapters.js';

const attester = createTestAttester({ header: 'approov-token' });
const routes: TestRoute[] = [
  {
    method: 'POST',
    path: '/login',
    respond: ({ body }) =>
      (body as { password?: string } | undefined)?.password === 'right' ? { status: 200, body: { ok: true } } : { status: 401, body: { ok: false } },
  },
];

for (const adapter of ADAPTERS.filter((a) => ['express5', 'koa3', 'fastify5'].includes(a.name))) {
  describe(`credentials.skip through ${adapter.name}`, () => {
    let app: RunningApp;
    let shield: Shield;
    beforeAll(async () => {
      shield = createShield({
        token: approov({ secret: attester.secret as string }),
        store: new MemoryStore(),
        credentials: {
          consecutiveFailures: { limit: 2, lockSeconds: 60 },
          skip: (req: ShieldRequest) => {
            if (req.headers['x-probe'] === 'boom') throw new Error('predicate failed');
            return req.headers['x-probe'] === 'health';
          },
        },
        routes: { 'POST /login': { token: { binding: false }, credentials: { login: { username: 'body.email' } } } },
      });
      app = await adapter.start(shield, routes);
    });
    afterAll(async () => {
      await app.close();
    });

    const login = async (email: string, probe?: string) => {
      const headers: Record<string, string> = { 'approov-token': await attester.mint({ claims: { did: 'd1' } }) };
      if (probe !== undefined) headers['x-probe'] = probe;
      const res = await request(app.server).post('/login').set(headers).send({ email, password: 'wrong' });
      await new Promise((r) => setImmediate(r));
      return res;
    };

    it('skipped requests are not counted: five failed probes never lock, two real failures do', async () => {
      for (let i = 0; i < 5; i++) expect((await login('probe@example.com', 'health')).status).toBe(401);
      expect((await login('probe@example.com')).status).toBe(401);
      expect((await login('probe@example.com')).status).toBe(401);
      const locked = await login('probe@example.com');
      expect(locked.status).toBe(429);
      expect(locked.headers['retry-after']).toBeDefined();
    });

    it('a locked account is not checked for a skipped request either', async () => {
      for (let i = 0; i < 3; i++) await login('locked@example.com');
      expect((await login('locked@example.com')).status).toBe(429);
      expect((await login('locked@example.com', 'health')).status).toBe(401);
    });

    it('a predicate that throws fails the login closed', async () => {
      const res = await login('boom@example.com', 'boom');
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(res.headers['content-type']).toContain('application/problem+json');
    });
  });
}
