/**
 * The credential-abuse verifier through every adapter (Express 4/5, Koa 2/3, Fastify 4/5) over HTTP: every counter
 * and threshold, lockout backoff with a faked clock, Retry-After, no enumeration, login binding, trustProxy-resolved
 * IPs on the decision, store failure (fail closed and open), explicit outcome reports.
 */
import { createHash } from 'node:crypto';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import type { Decision } from '../../src/core/decision.js';
import { createShield, type Shield } from '../../src/core/shield.js';
import { MemoryStore } from '../../src/stores/memory.js';
import type { Store } from '../../src/stores/store.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, type RunningApp, type TestRoute } from '../helpers/adapters.js';

const attester = createTestAttester({ header: 'approov-token' });
const PASSWORD = 'correct-password';
const sha256b64 = (s: string) => createHash('sha256').update(s, 'utf8').digest('base64');

const loginRespond: TestRoute['respond'] = ({ body }) => {
  const password = (body as { password?: unknown } | undefined)?.password;
  return password === PASSWORD ? { status: 200, body: { ok: true } } : { status: 401, body: { ok: false } };
};

const LOGIN = { username: 'body.email' } as const;
const routes: TestRoute[] = [
  { method: 'POST', path: '/login', shield: { token: { binding: false }, credentials: { login: LOGIN } } as never, respond: loginRespond },
  // Login options from the framework-free routes table instead of the adapter argument.
  { method: 'POST', path: '/login-table', respond: loginRespond },
  { method: 'POST', path: '/login-bound', respond: loginRespond },
  { method: 'POST', path: '/orders' },
];

interface Attempt {
  email?: string;
  password?: string;
  ip: string;
  did: string;
  path?: string;
  token?: string | null;
}

function shieldConfig(store: Store, decisions: Decision[], credentials: object = {}) {
  return {
    token: approov({ secret: attester.secret as string }),
    trustProxy: ['loopback'],
    store,
    credentials: {
      consecutiveFailures: { limit: 5, lockSeconds: 60, maxLockSeconds: 600 },
      ipFailures: { limit: 12, windowSeconds: 3600 },
      deviceFailures: { limit: 10, windowSeconds: 3600 },
      ipDistinctUsernames: { limit: 8, windowSeconds: 3600 },
      deviceDistinctUsernames: { limit: 5, windowSeconds: 3600 },
      ...credentials,
    },
    routes: {
      'POST /login-table': { token: { binding: false }, credentials: { login: LOGIN } },
      'POST /login-bound': { token: { binding: false }, credentials: { login: { ...LOGIN, binding: true } } },
      'POST /orders': { token: { binding: false } },
    },
    onDecision: (d: Decision) => void decisions.push(d),
  } as unknown as Parameters<typeof createShield>[0];
}

async function attempt(app: RunningApp, a: Attempt) {
  const headers: Record<string, string> = { 'x-forwarded-for': a.ip };
  if (a.token !== null) headers['approov-token'] = a.token ?? (await attester.mint({ claims: { did: a.did } }));
  const res = await request(app.server)
    .post(a.path ?? '/login')
    .set(headers)
    .send({ ...(a.email !== undefined ? { email: a.email } : {}), password: a.password ?? 'wrong' });
  // Express and Koa report the outcome when the response has finished: give the counters a tick to land.
  await new Promise((r) => setImmediate(r));
  return res;
}

for (const adapter of ADAPTERS) {
  describe(`credential abuse through ${adapter.name}`, () => {
    let app: RunningApp;
    let shield: Shield;
    const decisions: Decision[] = [];
    beforeAll(async () => {
      // The clock the store and the core share: Date only, so sockets and timers run for real.
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
      shield = createShield(shieldConfig(new MemoryStore({ now: () => Date.now() }), decisions));
      app = await adapter.start(shield, routes);
    });
    afterAll(async () => {
      vi.useRealTimers();
      await app.close();
    });
    afterEach(() => {
      decisions.length = 0;
    });

    it('a genuine login passes; the decision records the IP resolved through the trusted proxy', async () => {
      const res = await attempt(app, { email: 'alice@example.com', password: PASSWORD, ip: '198.51.100.1', did: 'alice-phone' });
      expect(res.status).toBe(200);
      expect(decisions.at(-1)).toMatchObject({ allowed: true, ip: '198.51.100.1' });
    });

    it('a login without the app token is refused before any password is tried', async () => {
      const res = await attempt(app, { email: 'alice@example.com', password: PASSWORD, ip: '198.51.100.1', did: 'x', token: null });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_missing');
    });

    it('brute force on one account: locked after 5 failures with Retry-After, doubling, other IPs unaffected', async () => {
      const target = { email: 'victim@example.com', ip: '198.51.100.2', did: 'brute-1' };
      for (let i = 0; i < 5; i++) expect((await attempt(app, target)).status).toBe(401);
      const locked = await attempt(app, target);
      expect(locked.status).toBe(429);
      expect(locked.headers['retry-after']).toBe('60');
      expect(locked.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(locked.body).toMatchObject({ code: 'login_locked', status: 429 });
      // Even the right password waits out the lock.
      expect((await attempt(app, { ...target, password: PASSWORD })).status).toBe(429);
      // The same account from another IP key is not locked.
      expect((await attempt(app, { ...target, ip: '198.51.100.3', password: PASSWORD })).status).toBe(200);
      vi.setSystemTime(Date.now() + 61_000);
      expect((await attempt(app, target)).status).toBe(401);
      const again = await attempt(app, target);
      expect(again.status).toBe(429);
      expect(again.headers['retry-after']).toBe('120');
    });

    it('the lockout response is the same for an account that does not exist', async () => {
      for (const email of ['real@example.com', 'ghost@example.com']) {
        for (let i = 0; i < 5; i++) await attempt(app, { email, ip: '198.51.100.4', did: 'enum-1' });
      }
      const real = await attempt(app, { email: 'real@example.com', ip: '198.51.100.4', did: 'enum-1' });
      const ghost = await attempt(app, { email: 'ghost@example.com', ip: '198.51.100.4', did: 'enum-1' });
      expect(real.status).toBe(ghost.status);
      expect(real.headers['retry-after']).toBe(ghost.headers['retry-after']);
      const { reference: r1, ...realBody } = real.body as Record<string, unknown>;
      const { reference: r2, ...ghostBody } = ghost.body as Record<string, unknown>;
      expect(r1).not.toBe(r2);
      expect(realBody).toEqual(ghostBody);
      expect(JSON.stringify(real.body)).not.toMatch(/real@|ghost@/);
    });

    it('a success resets the username + IP streak', async () => {
      const user = { email: 'typo@example.com', ip: '198.51.100.5', did: 'typo-phone' };
      for (let i = 0; i < 4; i++) await attempt(app, user);
      expect((await attempt(app, { ...user, password: PASSWORD })).status).toBe(200);
      for (let i = 0; i < 4; i++) expect((await attempt(app, user)).status).toBe(401);
      expect((await attempt(app, { ...user, password: PASSWORD })).status).toBe(200);
    });

    it('stuffing from one device: blocked after 5 distinct usernames, across IPs, via the routes table too', async () => {
      for (let i = 0; i < 5; i++) {
        const res = await attempt(app, { email: `leak${i}@example.com`, ip: `203.0.113.${10 + i}`, did: 'stuffer', path: '/login-table' });
        expect(res.status).toBe(401);
      }
      const blocked = await attempt(app, { email: 'leak9@example.com', ip: '203.0.113.99', did: 'stuffer' });
      expect(blocked.status).toBe(429);
      expect(blocked.body.code).toBe('credential_abuse');
      expect(blocked.headers['retry-after']).toBe('3600');
      // A genuine user on another device is unaffected.
      expect((await attempt(app, { email: 'bob@example.com', password: PASSWORD, ip: '203.0.113.99', did: 'bob-phone' })).status).toBe(200);
    });

    it('stuffing from one IP with rotating devices: blocked after 8 distinct usernames', async () => {
      for (let i = 0; i < 8; i++) {
        expect((await attempt(app, { email: `ipleak${i}@example.com`, ip: '192.0.2.50', did: `rot-${i}` })).status).toBe(401);
      }
      const blocked = await attempt(app, { email: 'someone@example.com', password: PASSWORD, ip: '192.0.2.50', did: 'fresh' });
      expect(blocked.status).toBe(429);
      expect(blocked.body.code).toBe('credential_abuse');
    });

    it('failures per IP key: 12 per window, and a success does not reset the budget', async () => {
      // Three usernames in turn: none reaches the consecutive limit (5) or the distinct-username limit (8).
      const emails = ['a1@example.com', 'a2@example.com', 'a3@example.com'];
      for (let i = 0; i < 12; i++) {
        expect((await attempt(app, { email: emails[i % 3], ip: '192.0.2.60', did: `ipfail-${i}` })).status).toBe(401);
        if (i === 5) {
          const owned = await attempt(app, { email: 'owned@example.com', password: PASSWORD, ip: '192.0.2.60', did: 'owned' });
          expect(owned.status).toBe(200);
        }
      }
      const blocked = await attempt(app, { email: 'a1@example.com', ip: '192.0.2.60', did: 'ipfail-x' });
      expect(blocked.status).toBe(429);
      expect(blocked.body.code).toBe('credential_abuse');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(3000);
    });

    it('failures per device: 10 per window, across IPs', async () => {
      for (let i = 0; i < 10; i++) {
        const email = i % 2 === 0 ? 'd1@example.com' : 'd2@example.com';
        expect((await attempt(app, { email, ip: `192.0.2.${100 + i}`, did: 'dev-budget' })).status).toBe(401);
      }
      const blocked = await attempt(app, { email: 'd1@example.com', ip: '192.0.2.200', did: 'dev-budget' });
      expect(blocked.status).toBe(429);
      expect(blocked.body.code).toBe('credential_abuse');
    });

    it('IPv6 clients in one /64 share their counters', async () => {
      for (let i = 1; i <= 5; i++) await attempt(app, { email: 'v6@example.com', ip: `2001:db8:7:7::${i}`, did: 'v6-phone' });
      expect((await attempt(app, { email: 'v6@example.com', ip: '2001:db8:7:7:abcd::1', did: 'v6-phone' })).status).toBe(429);
      expect((await attempt(app, { email: 'v6@example.com', ip: '2001:db8:7:8::1', did: 'v6-phone', password: PASSWORD })).status).toBe(200);
    });

    it('login binding: the token must be bound to the username', async () => {
      const email = 'bound@example.com';
      const good = await attester.mint({ claims: { did: 'b-phone', pay: sha256b64(email) } });
      expect((await attempt(app, { email, password: PASSWORD, ip: '192.0.2.70', did: 'b', path: '/login-bound', token: good })).status).toBe(200);
      const other = await attester.mint({ claims: { did: 'b-phone', pay: sha256b64('someone-else@example.com') } });
      const res = await attempt(app, { email, password: PASSWORD, ip: '192.0.2.70', did: 'b', path: '/login-bound', token: other });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_binding_mismatch');
    });

    it('routes without credentials.login are not counted', async () => {
      for (let i = 0; i < 20; i++) {
        await request(app.server).post('/orders').set({ 'x-forwarded-for': '192.0.2.80', 'approov-token': await attester.mint({ claims: { did: 'o' } }) }).send({});
      }
      expect((await attempt(app, { email: 'o@example.com', password: PASSWORD, ip: '192.0.2.80', did: 'o' })).status).toBe(200);
    });

    it('a spoofed X-Forwarded-For from an untrusted peer does not change the IP key', async () => {
      // The peer (127.0.0.1) is trusted here, so the rightmost entry is used; a client-written left part is ignored.
      for (let i = 0; i < 5; i++) await attempt(app, { email: 'spoof@example.com', ip: `10.${i}.0.1, 192.0.2.90`, did: 'sp' });
      expect((await attempt(app, { email: 'spoof@example.com', ip: '8.8.8.8, 192.0.2.90', did: 'sp' })).status).toBe(429);
    });
  });
}

describe('client IP without trustProxy, through every adapter', () => {
  for (const adapter of ADAPTERS) {
    it(`${adapter.name}: the socket address is the client; X-Forwarded-For is ignored`, async () => {
      const decisions: Decision[] = [];
      const config = shieldConfig(new MemoryStore(), decisions) as Record<string, unknown>;
      delete config.trustProxy;
      const app = await adapter.start(createShield(config as Parameters<typeof createShield>[0]), routes);
      try {
        // Five failures with five different spoofed addresses still lock the one real peer.
        for (let i = 0; i < 5; i++) await attempt(app, { email: 'np@example.com', ip: `203.0.113.${i}`, did: 'np' });
        expect((await attempt(app, { email: 'np@example.com', ip: '198.51.100.200', did: 'np' })).status).toBe(429);
        expect(decisions.every((d) => d.ip === '127.0.0.1')).toBe(true);
        expect(decisions.length).toBeGreaterThanOrEqual(6);
      } finally {
        await app.close();
      }
    });
  }
});

describe('store failure and explicit outcomes (Express 5 and Fastify 5)', () => {
  const broken: Store = {
    setIfAbsent: () => Promise.reject(new Error('store down')),
    get: () => Promise.reject(new Error('store down')),
    delete: () => Promise.reject(new Error('store down')),
    increment: () => Promise.reject(new Error('store down')),
    addToSet: () => Promise.reject(new Error('store down')),
    setIfGreater: () => Promise.reject(new Error('store down')),
    reserveAttempt: () => Promise.reject(new Error('store down')),
    settleAttempt: () => Promise.reject(new Error('store down')),
    reserveMember: () => Promise.reject(new Error('store down')),
    removeMember: () => Promise.reject(new Error('store down')),
  };
  for (const adapter of ADAPTERS.filter((a) => a.name === 'express5' || a.name === 'fastify5')) {
    it(`${adapter.name}: a failing store denies logins 503 (fail closed)`, async () => {
      const app = await adapter.start(createShield(shieldConfig(broken, [])), routes);
      try {
        const res = await attempt(app, { email: 'a@example.com', password: PASSWORD, ip: '192.0.2.1', did: 'd' });
        expect(res.status).toBe(503);
        expect(res.body.code).toBe('shield_unavailable');
      } finally {
        await app.close();
      }
    });
    it(`${adapter.name}: failOpen lets logins through when the store fails`, async () => {
      const app = await adapter.start(createShield(shieldConfig(broken, [], { failOpen: true })), routes);
      try {
        const res = await attempt(app, { email: 'a@example.com', password: PASSWORD, ip: '192.0.2.1', did: 'd' });
        expect(res.status).toBe(200);
      } finally {
        await app.close();
      }
    });
    it(`${adapter.name}: an explicit failure report counts even when the API answers 200`, async () => {
      let shield: Shield;
      const reporting: TestRoute = {
        method: 'POST',
        path: '/login',
        shield: { token: { binding: false }, credentials: { login: LOGIN } } as never,
        respond: ({ decision }) => {
          void shield.reportOutcome(decision!, 'failure');
          return { status: 200, body: { ok: false } };
        },
      };
      shield = createShield(shieldConfig(new MemoryStore(), []));
      const app = await adapter.start(shield, [reporting]);
      try {
        for (let i = 0; i < 5; i++) expect((await attempt(app, { email: 'r@example.com', ip: '192.0.2.2', did: 'r' })).status).toBe(200);
        expect((await attempt(app, { email: 'r@example.com', ip: '192.0.2.2', did: 'r' })).status).toBe(429);
      } finally {
        await app.close();
      }
    });
  }
});

/**
 * A MemoryStore behind a network-like delay (1 ms each way, as to a Redis): every operation still runs atomically,
 * but answers arrive later, so attempts in flight overlap as they do in production with a slow password hash.
 */
function distant(store: Store): Store {
  const wait = () => new Promise<void>((resolve) => setTimeout(resolve, 1));
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await wait();
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        await wait();
        return result;
      };
    },
  });
}

describe('issue 10: bursts and typed credential fields (every adapter)', () => {
  for (const adapter of ADAPTERS) {
    describe(adapter.name, () => {
      let app: RunningApp;
      let hits = 0;
      const counting: TestRoute['respond'] = (input) => {
        hits++;
        return loginRespond(input);
      };
      beforeAll(async () => {
        const shield = createShield(
          shieldConfig(distant(new MemoryStore()), [], {
            consecutiveFailures: { limit: 5, lockSeconds: 60 },
            ipFailures: { limit: 7, windowSeconds: 3600 },
            ipDistinctUsernames: { limit: 6, windowSeconds: 3600 },
            deviceFailures: false,
            deviceDistinctUsernames: false,
          }),
        );
        app = await adapter.start(shield, [{ ...routes[0]!, respond: counting }]);
      });
      afterAll(() => app.close());

      const burst = async (n: number, make: (i: number) => { email?: unknown; ip: string }) => {
        hits = 0;
        const token = await attester.mint({ claims: { did: 'burst-phone' } });
        const statuses = await Promise.all(
          Array.from({ length: n }, (_, i) => {
            const { email, ip } = make(i);
            return request(app.server)
              .post('/login')
              .set({ 'approov-token': token, 'x-forwarded-for': ip })
              .send({ email, password: 'wrong' })
              .then((r) => r.status);
          }),
        );
        await new Promise((r) => setTimeout(r, 50));
        return statuses;
      };

      it('200 concurrent wrong guesses on one account: at most 5 reach the password check', async () => {
        const statuses = await burst(200, () => ({ email: 'burst-victim@example.com', ip: '203.0.113.201' }));
        expect(hits).toBeLessThanOrEqual(5);
        expect(hits).toBeGreaterThan(0);
        expect(statuses.filter((s) => s === 401)).toHaveLength(hits);
        expect(statuses.filter((s) => s === 429)).toHaveLength(200 - hits);
        // Settled: the lock holds afterwards too.
        const after = await attempt(app, { email: 'burst-victim@example.com', password: PASSWORD, ip: '203.0.113.201', did: 'x' });
        expect(after.status).toBe(429);
      });

      it('a burst of distinct usernames from one IP key: at most ipDistinctUsernames.limit reach the app', async () => {
        const statuses = await burst(100, (i) => ({ email: `spray${i}@example.com`, ip: '203.0.113.202' }));
        expect(hits).toBeLessThanOrEqual(6);
        expect(hits).toBeGreaterThan(0);
        expect(statuses.filter((s) => s === 429)).toHaveLength(100 - hits);
      });

      it('a burst against the IP failure budget: at most ipFailures.limit reach the app', async () => {
        // Four usernames, each under its consecutive and the distinct limit: only the IP budget (7) can stop them.
        const statuses = await burst(100, (i) => ({ email: `budget${i % 4}@example.com`, ip: '203.0.113.203' }));
        expect(hits).toBeLessThanOrEqual(7);
        expect(hits).toBeGreaterThan(0);
        expect(statuses.filter((s) => s === 429)).toHaveLength(100 - hits);
      });

      it('a non-string username is refused 400, never skipped: ["alice"] after alice is locked reaches nothing', async () => {
        const ip = '203.0.113.204';
        for (let i = 0; i < 5; i++) await attempt(app, { email: 'typed-alice@example.com', ip, did: 'x' });
        hits = 0;
        for (const email of [['typed-alice@example.com'], { $ne: null }, 42, null, true]) {
          const res = await request(app.server)
            .post('/login')
            .set({ 'approov-token': await attester.mint(), 'x-forwarded-for': ip })
            .send({ email, password: PASSWORD });
          expect([email, res.status, res.body.code]).toEqual([email, 400, 'payload_malformed']);
        }
        expect(hits).toBe(0);
      });

      it('logins without a username count under a key of their own and lock', async () => {
        const ip = '203.0.113.205';
        hits = 0;
        for (let i = 0; i < 5; i++) {
          const res = await request(app.server)
            .post('/login')
            .set({ 'approov-token': await attester.mint(), 'x-forwarded-for': ip })
            .send({ password: 'wrong' });
          expect(res.status).toBe(401);
          await new Promise((r) => setImmediate(r));
        }
        const locked = await request(app.server)
          .post('/login')
          .set({ 'approov-token': await attester.mint(), 'x-forwarded-for': ip })
          .send({ password: PASSWORD });
        expect(locked.status).toBe(429);
        expect(hits).toBe(5);
      });
    });
  }
});
