/**
 * `reportLoginOutcome(request, outcome)` does not check `outcome` at run time. A JavaScript app (or a value built at
 * run time) passing anything but 'success' / 'failure' ('failed', 'FAILURE', 401 as a string, 'refused', undefined)
 * takes the request's one outcome report (`outcomeTaken`), so the status-based report is ignored, and the credential
 * verifier's `classify` reads the value as "neither": the slot is freed, the failure never counts. Guessing a
 * password then never locks the account: fail open on bad input, silently.
 */
import http from 'node:http';
import express from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { createShield } from '../../src/shield.js';
import { reportLoginOutcome } from '../../src/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { createTestAttester } from '../../src/testing/index.js';
import { listen } from '../helpers/adapters.js';

const attester = createTestAttester({ header: 'approov-token' });

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

async function start(outcome: unknown): Promise<{ port: number; errors: unknown[] }> {
  const s = createShield({
    token: approov({ secret: attester.secret as string }),
    store: new MemoryStore(),
    credentials: { consecutiveFailures: { limit: 3, lockSeconds: 600 } },
    routes: { 'POST /login': { token: { binding: false }, credentials: { login: { username: 'body.email' } } } },
  });
  const errors: unknown[] = [];
  const app = express();
  app.use(expressShield(s));
  app.use(express.json());
  app.use(expressShieldBody(s));
  app.post('/login', (req, res) => {
    // Wrong password: answered 401 (a failure by status) after reporting with a bad value.
    try {
      void reportLoginOutcome(req, outcome as 'failure').catch((e: unknown) => errors.push(e));
    } catch (e) {
      errors.push(e);
    }
    res.status(401).json({ ok: false });
  });
  const running = await listen(http.createServer(app));
  closers.push(running.close);
  return { port: Number(new URL(running.url).port), errors };
}

async function guess(port: number): Promise<number> {
  const token = await attester.mint({ claims: { did: 'd1' } });
  const res = await fetch(`http://127.0.0.1:${port}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'approov-token': token },
    body: JSON.stringify({ email: 'victim@example.com', password: 'wrong' }),
  });
  await res.arrayBuffer();
  await new Promise((r) => setTimeout(r, 10));
  return res.status;
}

describe('reportLoginOutcome with a value that is not an outcome', () => {
  for (const bad of ['failed', 'FAILURE', 'refused', undefined]) {
    it(`${String(bad)}: rejected (TypeError), and the 401 the client got still counts`, async () => {
      const { port, errors } = await start(bad);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push(await guess(port));
      expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
      expect(errors.some((e) => e instanceof TypeError)).toBe(true);
    });
  }
});
