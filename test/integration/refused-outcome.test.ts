/**
 * A request the shield denies and answers itself ran no handler: the verifiers waiting for its outcome hear
 * `'refused'` once, never the status of the shield's own problem response. Through every adapter over HTTP: a login
 * the payload shield refuses after the credential verifier reserved its slot frees the slot (it neither counts as a
 * failed login nor holds the account until `holdSeconds`), and a custom listener sees each outcome exactly once.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RequestOutcome, Verifier } from '../../src/core/verifier.js';
import { createShield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, type RunningApp, type TestRoute } from '../helpers/adapters.js';
import { LOGIN, loginRefusalShield, settled } from './login-refusal-helpers.js';

const attester = createTestAttester({ header: 'approov-token' });
const PASSWORD = 'correct-password';

const loginRespond: TestRoute['respond'] = ({ body }) =>
  (body as { password?: unknown } | undefined)?.password === PASSWORD ? { status: 200, body: { ok: true } } : { status: 401, body: { ok: false } };
// Login options from the routes table (global middleware only), and from the adapter's route argument (Express and
// Koa add a route-level middleware, whose check the global one defers its report to; Fastify reads `config.shield`).
const logins: TestRoute[] = [
  { method: 'POST', path: '/login', respond: loginRespond },
  { method: 'POST', path: '/login-route', shield: { token: { binding: false }, credentials: { login: LOGIN } } as never, respond: loginRespond },
];


for (const adapter of ADAPTERS) {
  describe(`a login the shield refuses is no attempt, through ${adapter.name}`, () => {
    let app: RunningApp;
    beforeAll(async () => {
      // Date alone is faked and never advanced: a slot held until `holdSeconds` would stay held for the whole test.
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
      const shield = loginRefusalShield(attester.secret as string);
      app = await adapter.start(shield, logins);
    });
    afterAll(async () => {
      vi.useRealTimers();
      await app.close();
    });

    const post = async (path: string, body: object, ip: string) => {
      const token = await attester.mint({ claims: { did: `phone-${ip}` } });
      const res = await request(app.server).post(path).set({ 'approov-token': token, 'x-forwarded-for': ip }).send(body);
      await settled();
      return res;
    };

    for (const [path, ip] of [
      ['/login', '192.0.2.10'],
      ['/login-route', '192.0.2.20'],
    ] as const) {
      it(`${path}: ten logins the payload shield denies after the credential check leave the account and the IP budget free`, async () => {
        for (let i = 0; i < 10; i++) {
          const res = await post(path, { email: 'alice@example.com', password: 'x', note: "' OR 1=1 --" }, ip);
          expect([i, res.status, res.body.code]).toEqual([i, 403, 'payload_attack']);
        }
        // Counted as failures (the 403) the account would be locked after 3; held, the IP's 4 slots would be taken.
        expect((await post(path, { email: 'alice@example.com', password: PASSWORD }, ip)).status).toBe(200);
        // The counters still count real failures: three wrong passwords lock the account.
        for (let i = 0; i < 3; i++) expect((await post(path, { email: 'bob@example.com', password: 'wrong' }, ip)).status).toBe(401);
        const locked = await post(path, { email: 'bob@example.com', password: PASSWORD }, ip);
        expect([locked.status, locked.body.code]).toEqual([429, 'login_locked']);
      });
    }
  });
}

/** Records every outcome it hears, keyed by the request's `x-id`; passes, synchronously or after a tick. */
function recorder(stage: 'headers' | 'body', heard: Map<string, RequestOutcome[]>): Verifier {
  return {
    name: `recorder-${stage}`,
    stage,
    verify: () => ({ outcome: 'pass' }),
    onResponse(ctx, outcome) {
      const id = String(ctx.request.headers['x-id']);
      heard.set(id, [...(heard.get(id) ?? []), outcome]);
    },
  };
}

/** Denies (`device_untrusted`, 403) when `x-deny` names its stage; answers after a tick when `x-async: 1`. */
function denier(stage: 'headers' | 'body'): Verifier {
  return {
    name: `denier-${stage}`,
    stage,
    verify(ctx) {
      const outcome = ctx.request.headers['x-deny'] === stage ? ({ outcome: 'deny', code: 'device_untrusted' } as const) : ({ outcome: 'pass' } as const);
      return ctx.request.headers['x-async'] === '1' ? Promise.resolve(outcome) : outcome;
    },
  };
}

for (const adapter of ADAPTERS) {
  describe(`outcome listeners hear a refusal once, through ${adapter.name}`, () => {
    let app: RunningApp;
    const heard = new Map<string, RequestOutcome[]>();
    beforeAll(async () => {
      const shield = createShield({ verifiers: [recorder('headers', heard), denier('headers'), recorder('body', heard), denier('body')] });
      app = await adapter.start(shield, [{ method: 'POST', path: '/x' }]);
    });
    afterAll(() => app.close());

    it('allowed: the status; denied at either stage, sync or async: refused, once, for each recorder that ran', async () => {
      const cases: [id: string, deny: string, async: string, status: number, expected: Record<string, RequestOutcome[]>][] = [];
      for (const async of ['0', '1']) {
        cases.push([`ok-${async}`, 'none', async, 200, { headers: [200], body: [200] }]);
        // Denied at the header stage: the body recorder never ran, so it hears nothing.
        cases.push([`h-${async}`, 'headers', async, 403, { headers: ['refused'] }]);
        // Denied at the body stage after both recorders ran (Fastify listens for `finish` from the header stage).
        cases.push([`b-${async}`, 'body', async, 403, { headers: ['refused'], body: ['refused'] }]);
      }
      for (const [id, deny, async, status] of cases) {
        const res = await request(app.server).post('/x').set({ 'x-id': id, 'x-deny': deny, 'x-async': async }).send({ a: 1 });
        expect([id, res.status]).toEqual([id, status]);
      }
      await settled();
      for (const [id, , , , expected] of cases) {
        const outcomes = heard.get(id) ?? [];
        // One report per request reaches every recorder that ran, in order: headers recorder first.
        const want = [...(expected.headers ?? []), ...(expected.body ?? [])];
        expect([id, outcomes]).toEqual([id, want]);
      }
    });
  });
}
