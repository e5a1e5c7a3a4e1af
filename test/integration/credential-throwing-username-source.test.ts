/**
 * A function username source that throws is read as "no username" (field-source.ts compileFieldSource), so the login
 * is counted under the shared `~absent` key instead of being refused. The docs promise that a present credential
 * field that is not one string (`{"email": ["alice"]}`, "which many apps turn into \"alice\"") is refused 400
 * before anything is counted, and the project rule is fail closed. With the natural source
 * `(req, body) => body.email.trim()`, `{"email": ["victim"]}` makes it throw: the login is not refused, it escapes
 * victim's username + IP lock, and the handler (`String(req.body.email)`) tries victim's password.
 */
import http from 'node:http';
import express from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { createShield } from '../../src/shield.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { createTestAttester } from '../../src/testing/index.js';
import { listen } from '../helpers/adapters.js';

const attester = createTestAttester({ header: 'approov-token' });
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

async function start(): Promise<{ port: number; tried: string[] }> {
  const s = createShield({
    token: approov({ secret: attester.secret as string }),
    store: new MemoryStore(),
    credentials: { consecutiveFailures: { limit: 2, lockSeconds: 600 }, ipDistinctUsernames: false, deviceDistinctUsernames: false },
    routes: {
      'POST /login': {
        token: { binding: false },
        credentials: { login: { username: (_req, body) => (body as { email: string }).email.trim() } },
      },
    },
  });
  const tried: string[] = [];
  const app = express();
  app.use(expressShield(s));
  app.use(express.json());
  app.use(expressShieldBody(s));
  app.post('/login', (req, res) => {
    tried.push(String(req.body.email).trim());
    res.status(401).json({ ok: false });
  });
  const running = await listen(http.createServer(app));
  closers.push(running.close);
  return { port: Number(new URL(running.url).port), tried };
}

async function guess(port: number, email: unknown): Promise<{ status: number; code?: string }> {
  const token = await attester.mint({ claims: { did: 'd1' } });
  const res = await fetch(`http://127.0.0.1:${port}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'approov-token': token },
    body: JSON.stringify({ email, password: 'wrong' }),
  });
  const body = (await res.json()) as { code?: string };
  await new Promise((r) => setTimeout(r, 10));
  return { status: res.status, code: body.code };
}

describe('a username source function that throws on the input', () => {
  it('refuses the login (400 payload_malformed) instead of counting it under no username', async () => {
    const { port } = await start();
    const res = await guess(port, ['victim']);
    expect(res.status).toBe(400);
    expect(res.code).toBe('payload_malformed');
  });

  it('cannot be used to keep guessing a locked username', async () => {
    const { port, tried } = await start();
    expect((await guess(port, 'victim')).status).toBe(401);
    expect((await guess(port, 'victim')).status).toBe(401);
    expect((await guess(port, 'victim')).status).toBe(429); // victim locked on this IP
    tried.length = 0;
    for (let i = 0; i < 4; i++) await guess(port, ['victim']);
    expect(tried).toEqual([]); // no further guess on victim may reach the handler while the lock holds
  });
});
