/**
 * The core awaited every verifier's `onResponse` one after another, with no deadline (unlike `verify`, which has
 * verifierTimeoutMs): one whose onResponse never settled (a custom module ordered before credentials, as the docs'
 * example at order 150) meant reportLoginOutcome() never resolved (the handler awaiting it hung) and the listeners
 * after it, the credential verifier among them, never heard the outcome. Listeners now hear it side by side, each
 * bounded by its verifier's deadline, a timeout reported to onError.
 */
import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { defineVerifierModule, reportLoginOutcome } from '../../src/index.js';
import { createShield } from '../../src/shield.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { approov } from '../../src/attestation/approov.js';
import { createTestAttester } from '../../src/testing/index.js';

const never = () => new Promise<void>(() => {});
const listening = (key: string, order: number, onResponse: (outcome: unknown) => void | Promise<void>, timeoutMs?: number) =>
  defineVerifierModule({
    key,
    order,
    configSchema: z.object({}).strict(),
    create: () => ({ name: key, ...(timeoutMs ? { timeoutMs } : {}), verify: () => ({ outcome: 'pass' as const }), onResponse: (_ctx, outcome) => onResponse(outcome) }),
  });
const req = { method: 'POST', path: '/login', headers: {}, ip: '203.0.113.1' };
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), ms)));
  return Promise.race([promise, hung]).finally(() => clearTimeout(timer));
}

describe('a verifier whose onResponse never settles', () => {
  it('does not hang reportLoginOutcome nor starve the verifiers after it', async () => {
    const heard: unknown[] = [];
    const stuck = listening('stuck', 150, never);
    const listener = listening('listener', 350, (outcome) => void heard.push(outcome));
    const shield = createShield({ verifierTimeoutMs: 200, modules: [stuck, listener], stuck: {}, listener: {} } as never);
    const decision = await shield.check(req);
    expect(decision.allowed).toBe(true);
    const settled = await within(reportLoginOutcome(decision, 'failure').then(() => 'settled'), 3000);
    expect(heard).toEqual(['failure']);
    expect(settled).toBe('settled');
  });

  it("times out at the verifier's own timeoutMs, reported to onError naming it", async () => {
    const errors: [string, string][] = [];
    const stuck = listening('stuck', 150, never, 100);
    const shield = createShield({
      verifierTimeoutMs: 60_000,
      modules: [stuck],
      stuck: {},
      onError: (error: unknown, info: { verifier: string }) => void errors.push([(error as Error).message, info.verifier]),
    } as never);
    const decision = await shield.check(req);
    const started = Date.now();
    expect(await within(reportLoginOutcome(decision, 'success').then(() => 'settled'), 3000)).toBe('settled');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(errors).toEqual([['verifier "stuck" onResponse timed out after 100 ms', 'stuck']]);
  });

  it('a listener that throws or rejects neither stops the others nor rejects the report', async () => {
    const heard: unknown[] = [];
    const errors: string[] = [];
    const shield = createShield({
      modules: [
        listening('thrower', 150, () => {
          throw new Error('sync');
        }),
        listening('rejecter', 160, () => Promise.reject(new Error('async'))),
        listening('listener', 350, (outcome) => void heard.push(outcome)),
      ],
      thrower: {},
      rejecter: {},
      listener: {},
      onError: (error: unknown, info: { verifier: string }) => void errors.push(`${info.verifier}: ${(error as Error).message}`),
    } as never);
    await expect(reportLoginOutcome(await shield.check(req), 'failure')).resolves.toBeUndefined();
    expect(heard).toEqual(['failure']);
    expect(errors.sort()).toEqual(['rejecter: async', 'thrower: sync']);
  });
});

describe('over real HTTP: a login handler awaiting reportLoginOutcome', () => {
  const attester = createTestAttester({ header: 'approov-token' });

  it('answers, and the credential verifier still counts the failures (the account locks)', async () => {
    const shield = createShield({
      verifierTimeoutMs: 200,
      store: new MemoryStore(),
      modules: [listening('stuck', 150, never)],
      stuck: {},
      token: approov({ secret: attester.secret as string }),
      credentials: { consecutiveFailures: { limit: 2, lockSeconds: 60 }, holdSeconds: 1 },
      routes: { 'POST /login': { token: { binding: false }, credentials: { login: { username: 'body.email', password: 'body.password' } } } },
    } as never);
    const app = express();
    app.use(express.json());
    app.use(expressShield(shield) as never);
    app.use(expressShieldBody(shield) as never);
    app.post('/login', async (req, res) => {
      // An API that answers failed logins with 200: only the explicit report tells the shield.
      await reportLoginOutcome(req as never, 'failure');
      res.status(200).json({ ok: false });
    });
    const login = async () => {
      const token = await attester.mint({ claims: { did: 'device-1' } });
      const sent = request(app).post('/login').set('approov-token', token).send({ email: 'victim@example.com', password: 'wrong' });
      return within(sent.then((r) => r), 5000);
    };
    for (let i = 0; i < 2; i++) {
      const response = await login();
      expect(response).not.toBe('hung');
      expect((response as request.Response).body).toEqual({ ok: false });
    }
    const locked = await login();
    expect(locked).not.toBe('hung');
    expect((locked as request.Response).status).toBe(429);
    expect((locked as request.Response).body.code).toBe('login_locked');
  });
});
