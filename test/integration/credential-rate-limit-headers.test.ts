/**
 * `credentials.rateLimitHeaders: true`: credential 429s carry the IETF `RateLimit` / `RateLimit-Policy` fields next to
 * `Retry-After`, naming the counter that refused, through each adapter family over HTTP; off by default.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { createShield } from '../../src/shield.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, type RunningApp, type TestRoute } from '../helpers/adapters.js';

const attester = createTestAttester({ header: 'approov-token' });
const routes: TestRoute[] = [{ method: 'POST', path: '/login', respond: () => ({ status: 401, body: { ok: false } }) }];

function makeShield(rateLimitHeaders: boolean | undefined) {
  return createShield({
    token: approov({ secret: attester.secret as string }),
    store: new MemoryStore(),
    trustProxy: ['loopback'],
    credentials: {
      consecutiveFailures: { limit: 2, lockSeconds: 60, windowSeconds: 600 },
      ipFailures: { limit: 4, windowSeconds: 3600 },
      ipDistinctUsernames: false,
      deviceDistinctUsernames: false,
      ...(rateLimitHeaders === undefined ? {} : { rateLimitHeaders }),
    },
    routes: { 'POST /login': { token: { binding: false }, credentials: { login: { username: 'body.email' } } } },
  });
}

for (const adapter of ADAPTERS.filter((a) => ['express5', 'koa3', 'fastify5'].includes(a.name))) {
  describe(`RateLimit headers through ${adapter.name}`, () => {
    let on: RunningApp;
    let off: RunningApp;
    beforeAll(async () => {
      on = await adapter.start(makeShield(true), routes);
      off = await adapter.start(makeShield(undefined), routes);
    });
    afterAll(async () => {
      await on.close();
      await off.close();
    });

    const login = async (app: RunningApp, email: string, ip: string, did: string) => {
      const token = await attester.mint({ claims: { did } });
      const res = await request(app.server).post('/login').set({ 'approov-token': token, 'x-forwarded-for': ip }).send({ email, password: 'x' });
      await new Promise((r) => setImmediate(r));
      return res;
    };

    it('a lockout 429 names the username-ip policy, with nothing remaining until Retry-After', async () => {
      await login(on, 'a@example.com', '198.51.100.1', 'd1');
      expect((await login(on, 'a@example.com', '198.51.100.1', 'd1')).headers.ratelimit).toBeUndefined(); // a 401
      const locked = await login(on, 'a@example.com', '198.51.100.1', 'd1');
      expect(locked.status).toBe(429);
      expect(locked.headers['retry-after']).toBe('60');
      expect(locked.headers['ratelimit-policy']).toBe('"username-ip";q=2;w=600');
      expect(locked.headers.ratelimit).toBe('"username-ip";r=0;t=60');
    });

    it('an IP over its failure budget names the ip policy', async () => {
      for (let i = 0; i < 4; i++) await login(on, `u${i}@example.com`, '198.51.100.2', `dev${i}`);
      const refused = await login(on, 'new@example.com', '198.51.100.2', 'dev9');
      expect(refused.status).toBe(429);
      expect(refused.headers['ratelimit-policy']).toBe('"ip";q=4;w=3600');
      expect(refused.headers.ratelimit).toBe(`"ip";r=0;t=${refused.headers['retry-after']}`);
    });

    it('off by default: Retry-After only', async () => {
      for (let i = 0; i < 2; i++) await login(off, 'b@example.com', '198.51.100.3', 'd3');
      const locked = await login(off, 'b@example.com', '198.51.100.3', 'd3');
      expect(locked.status).toBe(429);
      expect(locked.headers['retry-after']).toBe('60');
      expect(locked.headers.ratelimit).toBeUndefined();
      expect(locked.headers['ratelimit-policy']).toBeUndefined();
    });
  });
}
