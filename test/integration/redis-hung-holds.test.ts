/**
 * A login refused 503 because Redis hung (past `commandTimeoutMs`) keeps no counter slot once Redis answers again.
 * The reservations already written to the socket run when Redis resumes; the shield releases them like granted ones,
 * so the user's next login is not refused "in flight" (429 `login_locked`) for `holdSeconds` by attempts that never
 * reached the password check. A private redis-server: SIGSTOP never touches the shared one.
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
const routes: TestRoute[] = [
  {
    method: 'POST',
    path: '/login',
    shield: { token: { binding: false }, credentials: { login: { username: 'body.email' } } },
    respond: () => ({ status: 200, body: { ok: true } }),
  },
];

let server: ChildProcess;
let client: Redis;
beforeAll(async () => {
  const port = await freePort();
  server = await startRedisServer(port);
  client = new Redis({ host: '127.0.0.1', port, retryStrategy: () => 50 });
  client.on('error', () => {});
});
afterAll(async () => {
  client.disconnect();
  server.kill('SIGCONT');
  await stopProcess(server);
});

describe.each(['express5', 'koa3', 'fastify5'])('%s: logins refused 503 while Redis hung', (adapter) => {
  let app: RunningApp;
  beforeAll(async () => {
    const shield = createShield({
      token: approov({ secret: attester.secret! }),
      // Defaults: 5 consecutive failures per username + IP, a slot held 60 s by an attempt never settled.
      store: new RedisStore({ client, prefix: `hung-${adapter}:`, commandTimeoutMs: 200 }),
      credentials: {},
    });
    app = await ADAPTERS.find((a) => a.name === adapter)!.start(shield, routes);
  });
  afterAll(() => app.close());

  const login = async (): Promise<{ status: number; code?: string }> => {
    const res = await request(app.server)
      .post('/login')
      .set('approov-token', await attester.mint({ claims: { did: 'phone-1' } }))
      .send({ email: 'alice@example.com', password: 'right' });
    return { status: res.status, code: (res.body as { code?: string }).code };
  };

  it('hold no slot once Redis answers again: the next login goes through', async () => {
    expect((await login()).status).toBe(200);
    server.kill('SIGSTOP');
    try {
      // As many retries as the failure limit, each refused 503 (fail closed): none reaches the handler.
      for (let i = 0; i < 5; i++) expect(await login()).toEqual({ status: 503, code: 'shield_unavailable' });
    } finally {
      server.kill('SIGCONT');
    }
    await client.ping(); // answered after everything queued before it: the late reservations and their releases
    expect(await login()).toEqual({ status: 200, code: undefined });
  });
});
