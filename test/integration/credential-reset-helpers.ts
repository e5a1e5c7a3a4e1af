/** The login app, shield and HTTP login of the credentials.reset end-to-end tests (adapters, Redis, Redis Cluster). */
import request from 'supertest';
import { approov } from '../../src/attestation/approov.js';
import { createShield, type Shield } from '../../src/shield.js';
import type { Store } from '../../src/stores/store.js';
import { createTestAttester } from '../../src/testing/index.js';
import type { RunningApp, TestRoute } from '../helpers/adapters.js';

const attester = createTestAttester({ header: 'approov-token' });
const PASSWORD = 'correct-password';
/** POST /login: 200 for the right password, 401 otherwise. */
export const RESET_ROUTES: TestRoute[] = [
  {
    method: 'POST',
    path: '/login',
    shield: { token: { binding: false }, credentials: { login: { username: 'body.email' } } },
    respond: ({ body }) =>
      (body as { password?: unknown }).password === PASSWORD ? { status: 200, body: { ok: true } } : { status: 401, body: { ok: false } },
  },
];

/** Small limits, so each counter trips in a few requests. */
export function resetShield(store: Store): Shield {
  return createShield({
    token: approov({ secret: attester.secret as string }),
    trustProxy: ['loopback'],
    store,
    credentials: {
      consecutiveFailures: { limit: 3, lockSeconds: 600, maxLockSeconds: 3600 },
      ipFailures: { limit: 6, windowSeconds: 3600 },
      deviceFailures: { limit: 4, windowSeconds: 3600 },
      ipDistinctUsernames: false,
      deviceDistinctUsernames: false,
    },
  });
}

/** One login over HTTP; resolves the status once the outcome has been counted. */
export async function login(app: RunningApp, email: string, ip: string, did: string, password = 'wrong'): Promise<number> {
  const res = await request(app.server)
    .post('/login')
    .set({ 'x-forwarded-for': ip, 'approov-token': await attester.mint({ claims: { did } }) })
    .send({ email, password });
  // The outcome is reported when the response has finished: let the counting land (a few ms on Redis).
  await new Promise((r) => setTimeout(r, 15));
  return res.status;
}

