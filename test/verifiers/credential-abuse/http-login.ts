/**
 * A login app over real HTTP (Express 5) for the credential-abuse tests: tokens signed with jose by the test attester
 * and verified by the shield, the client IP from `x-forwarded-for` (trusted from loopback), on a MemoryStore or on a
 * RedisStore of its own key prefix.
 */
import request from 'supertest';
import { approov } from '../../../src/attestation/approov.js';
import { createShield, type Shield } from '../../../src/shield.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import { RedisStore } from '../../../src/stores/redis.js';
import type { Store } from '../../../src/stores/store.js';
import { createTestAttester } from '../../../src/testing/index.js';
import type { CredentialAbuseOptions } from '../../../src/verifiers/credential-abuse/index.js';
import { ADAPTERS, type RunningApp } from '../../helpers/adapters.js';
import { REDIS_LABEL, redisAnswers } from '../../helpers/redis.js';
import { redisForTestFile } from '../../stores/redis-helpers.js';

export const PASSWORD = 'correct-password';
const attester = createTestAttester({ header: 'approov-token' });
const express = ADAPTERS.find((a) => a.name === 'express5')!;

/** Every counter off: a test turns on the one it is about. */
export const COUNTERS_OFF = {
  consecutiveFailures: false,
  ipFailures: false,
  deviceFailures: false,
  ipDistinctUsernames: false,
  deviceDistinctUsernames: false,
} as const;

/** The stores the counters run on: [label, a fresh store per call, whether it can run here]. Call in a test file. */
export function loginStores(name: string): readonly (readonly [string, () => Store, boolean])[] {
  const { client, prefix } = redisForTestFile(name);
  let stores = 0;
  return [
    ['MemoryStore', () => new MemoryStore(), true],
    [`RedisStore (${REDIS_LABEL})`, () => new RedisStore({ client, prefix: `${prefix}${(stores += 1)}:` }), redisAnswers],
  ];
}

export interface LoginApp {
  shield: Shield;
  /** One login over HTTP; resolves its status and problem code once the outcome has been counted. */
  login(email: string, options?: { ip?: string; claims?: Record<string, unknown>; password?: string }): Promise<{ status: number; code?: string }>;
  close(): Promise<void>;
}

/** A shield with these `credentials` options on `store`, serving `POST /login` (200 for {@link PASSWORD}, else 401). */
export async function startLoginApp(credentials: CredentialAbuseOptions, store: Store): Promise<LoginApp> {
  const shield = createShield({
    token: approov({ secret: attester.secret as string }),
    trustProxy: ['loopback'],
    store,
    credentials,
  });
  const app: RunningApp = await express.start(shield, [
    {
      method: 'POST',
      path: '/login',
      shield: { token: { binding: false }, credentials: { login: { username: 'body.email' } } },
      respond: ({ body }) =>
        (body as { password?: unknown }).password === PASSWORD ? { status: 200, body: { ok: true } } : { status: 401, body: { ok: false } },
    },
  ]);
  return {
    shield,
    async login(email, options = {}) {
      const res = await request(app.server)
        .post('/login')
        .set({
          'x-forwarded-for': options.ip ?? '198.51.100.7',
          'approov-token': await attester.mint({ claims: options.claims ?? { did: 'phone-1' } }),
        })
        .send({ email, password: options.password ?? 'wrong' });
      // The outcome is counted when the response has finished: let it land (a few ms on Redis).
      await new Promise((r) => setTimeout(r, 15));
      return { status: res.status, ...(typeof res.body?.code === 'string' ? { code: res.body.code as string } : {}) };
    },
    close: () => app.close(),
  };
}
