/**
 * Redis stopped mid-run, through the adapters: requests that need the store are denied `shield_unavailable` (or
 * pass with `failOpen`), never hang past the command timeout, and the shield recovers by itself once Redis is back.
 * Uses a private redis-server on a free loopback port so the shared one is never disturbed.
 */
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { createShield } from '../../src/shield.js';
import { RedisStore } from '../../src/stores/redis.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, type RunningApp, type TestRoute } from '../helpers/adapters.js';
import { freePort, startRedisServer, stopProcess } from '../stores/redis-helpers.js';

const attester = createTestAttester({ header: 'approov-token' });
const COMMAND_TIMEOUT_MS = 300;
const routes: TestRoute[] = [
  {
    method: 'POST',
    path: '/login',
    shield: { token: { binding: false }, credentials: { login: { username: 'body.email' } } } as never,
  },
  { method: 'POST', path: '/transfer', shield: { token: { binding: false, replay: true } } },
];

function config(client: Redis, failOpen: boolean) {
  return {
    token: approov({ secret: attester.secret as string }),
    store: new RedisStore({ client, prefix: 'outage:', commandTimeoutMs: COMMAND_TIMEOUT_MS }),
    credentials: { failOpen },
  } as unknown as Parameters<typeof createShield>[0];
}

const login = async (app: RunningApp) => {
  const started = Date.now();
  const res = await request(app.server)
    .post('/login')
    .set('approov-token', await attester.mint({ claims: { did: 'outage-phone' } }))
    .send({ email: 'user@example.com', password: 'x' });
  return { status: res.status, code: (res.body as { code?: string }).code, ms: Date.now() - started };
};
const transfer = async (app: RunningApp) => {
  const started = Date.now();
  const res = await request(app.server)
    .post('/transfer')
    .set('approov-token', await attester.mint({ singleUse: true }))
    .send({});
  return { status: res.status, code: (res.body as { code?: string }).code, ms: Date.now() - started };
};

describe('Redis outage through the adapters', () => {
  let port = 0;
  let server: ChildProcess;
  let client: Redis;
  const apps: { name: string; closed: RunningApp; open: RunningApp }[] = [];
  const harnesses = ADAPTERS.filter((a) => ['express4', 'koa3', 'fastify5'].includes(a.name));

  beforeAll(async () => {
    port = await freePort();
    server = await startRedisServer(port);
    client = new Redis({ host: '127.0.0.1', port, retryStrategy: () => 50 });
    client.on('error', () => {}); // expected while the server is down; the store reports through its promises
    for (const adapter of harnesses) {
      apps.push({
        name: adapter.name,
        closed: await adapter.start(createShield(config(client, false)), routes),
        open: await adapter.start(createShield(config(client, true)), routes),
      });
    }
  });
  afterAll(async () => {
    for (const app of apps) await Promise.all([app.closed.close(), app.open.close()]);
    client.disconnect();
    server.kill('SIGCONT');
    await stopProcess(server);
  });

  it('healthy: logins and single-use tokens work', async () => {
    for (const app of apps) {
      expect((await login(app.closed)).status, app.name).toBe(200);
      expect((await transfer(app.closed)).status, app.name).toBe(200);
    }
  });

  it('hung (SIGSTOP): 503 shield_unavailable within the command timeout; failOpen logins pass', async () => {
    server.kill('SIGSTOP');
    try {
      for (const app of apps) {
        const denied = await login(app.closed);
        expect(denied, app.name).toMatchObject({ status: 503, code: 'shield_unavailable' });
        expect(denied.ms, app.name).toBeLessThan(COMMAND_TIMEOUT_MS + 700);
        expect(await transfer(app.closed), app.name).toMatchObject({ status: 503, code: 'shield_unavailable' });
        const open = await login(app.open);
        expect(open.status, app.name).toBe(200);
        expect(open.ms, app.name).toBeLessThan(COMMAND_TIMEOUT_MS + 700);
      }
    } finally {
      server.kill('SIGCONT');
    }
  });

  it('stopped: 503 within the command timeout, then recovery without restarting anything', async () => {
    await stopProcess(server);
    for (const app of apps) {
      const denied = await login(app.closed);
      expect(denied, app.name).toMatchObject({ status: 503, code: 'shield_unavailable' });
      expect(denied.ms, app.name).toBeLessThan(COMMAND_TIMEOUT_MS + 700);
      expect((await login(app.open)).status, app.name).toBe(200);
    }
    server = await startRedisServer(port);
    for (const app of apps) {
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = (await login(app.closed)).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status, app.name).toBe(200);
      expect((await transfer(app.closed)).status, app.name).toBe(200);
    }
  });
});
