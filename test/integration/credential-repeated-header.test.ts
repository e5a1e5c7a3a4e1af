/**
 * docs/credential-abuse.md: "Every configured credential field ... that is present must be one string: ... a repeated
 * header is refused 400 payload_malformed before anything is counted, so a lock can never be dodged by changing a
 * field's type." Over real HTTP Node joins a repeated custom header into one string ("victim, victim"), so the
 * shield never sees the repetition: the login is counted under the key of "victim, victim", not refused. An app that
 * reads the first value (`req.headersDistinct['x-user'][0]`, or splits the list) then tries victim's password while
 * the lock on victim holds: each extra repetition is a fresh counter key.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Koa from 'koa';
import fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { koaShield, koaShieldBody } from '../../src/adapters/koa.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { createShield } from '../../src/shield.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { createTestAttester } from '../../src/testing/index.js';
import { listen } from '../helpers/adapters.js';

const attester = createTestAttester({ header: 'approov-token' });
const makeShield = () =>
  createShield({
    token: approov({ secret: attester.secret as string }),
    store: new MemoryStore(),
    credentials: { consecutiveFailures: { limit: 2, lockSeconds: 600 }, ipDistinctUsernames: false, deviceDistinctUsernames: false },
    routes: { 'POST /login': { token: { binding: false }, credentials: { login: { username: 'header.x-user' } } } },
  });

/** The app's login check: the first X-User value the client sent. */
const firstUser = (req: http.IncomingMessage): string | undefined => req.headersDistinct['x-user']?.[0];
const verdict = (user: string | undefined, password: unknown) => (user === 'victim' && password === 'right' ? 200 : 401);

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});
/** A loopback port for `server` (closed after the file's tests). */
async function serve(server: http.Server): Promise<number> {
  const running = await listen(server);
  closers.push(running.close);
  return Number(new URL(running.url).port);
}

async function login(port: number, users: string[]): Promise<{ status: number; body: string }> {
  const token = await attester.mint({ claims: { did: 'device-1' } });
  const body = JSON.stringify({ password: 'wrong' });
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        port,
        host: '127.0.0.1',
        method: 'POST',
        path: '/login',
        // An array is sent as one header line per value.
        headers: { 'content-type': 'application/json', 'approov-token': token, 'x-user': users.length === 1 ? users[0] : users },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => setTimeout(() => resolve({ status: res.statusCode ?? 0, body: text }), 10));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const apps: Record<string, () => Promise<number>> = {
  express5: async () => {
    const s = makeShield();
    const app = express();
    app.use(expressShield(s));
    app.use(express.json());
    app.use(expressShieldBody(s));
    app.post('/login', (req, res) => void res.status(verdict(firstUser(req), req.body?.password)).json({}));
    return serve(http.createServer(app));
  },
  koa3: async () => {
    const s = makeShield();
    const app = new Koa();
    app.use(koaShield(s));
    app.use(async (ctx, next) => {
      // a tiny JSON parser standing in for koa-bodyparser
      let raw = '';
      for await (const c of ctx.req) raw += c;
      (ctx.request as { body?: unknown }).body = raw ? JSON.parse(raw) : {};
      await next();
    });
    app.use(koaShieldBody(s));
    app.use((ctx) => {
      ctx.status = verdict(firstUser(ctx.req), (ctx.request as { body?: { password?: string } }).body?.password);
      ctx.body = {};
    });
    return serve(http.createServer(app.callback()));
  },
  fastify5: async () => {
    const app = fastify();
    await app.register(fastifyShield, { shield: makeShield() });
    app.post('/login', async (req, reply) => reply.code(verdict(firstUser(req.raw), (req.body as { password?: string })?.password)).send({}));
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => app.close());
    return (app.server.address() as AddressInfo).port;
  },
};

for (const [name, start] of Object.entries(apps)) {
  describe(`repeated username header through ${name}`, () => {
    it('is refused 400 payload_malformed, as documented', async () => {
      const port = await start();
      const res = await login(port, ['victim', 'victim']);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).code).toBe('payload_malformed');
    });

    it('cannot be used to keep guessing a locked username', async () => {
      const port = await start();
      expect((await login(port, ['victim'])).status).toBe(401);
      expect((await login(port, ['victim'])).status).toBe(401);
      expect((await login(port, ['victim'])).status).toBe(429); // locked
      // Each repetition count is a new counter key; the handler still tries "victim".
      const reached: number[] = [];
      for (let n = 2; n <= 6; n++) reached.push((await login(port, Array(n).fill('victim'))).status);
      expect(reached.filter((s) => s === 401)).toEqual([]); // none of these guesses may reach the handler
    });
  });
}
