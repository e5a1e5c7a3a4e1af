/**
 * A login's outcome is the status the client was sent, read from the response: not what the handler threw (an error
 * middleware earlier in a Koa chain maps it), and also when the client read a streamed 401 and hung up before the
 * response finished. Before, both cases released the slot uncounted: unlimited guesses.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import bodyParser from '@koa/bodyparser';
import express from 'express';
import fastify from 'fastify';
import Koa from 'koa';
import { afterAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { koaShield, koaShieldBody } from '../../src/adapters/koa.js';
import { createShield } from '../../src/shield.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { createTestAttester } from '../../src/testing/index.js';

const attester = createTestAttester({ header: 'approov-token' });
const PASSWORD = 'correct horse';
const shield = () =>
  createShield({
    token: approov({ secret: attester.secret as string }),
    store: new MemoryStore(),
    credentials: { consecutiveFailures: { limit: 5, lockSeconds: 60 }, holdSeconds: 1 },
    routes: { 'POST /login': { token: { binding: false }, credentials: { login: { username: 'body.email', password: 'body.password' } } } },
  });

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});
async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(resolve);
  }));
  return (server.address() as AddressInfo).port;
}

/** One login over a raw socket; `hangUp`: read the status line, then close (a client that saw the answer). */
async function login(port: number, password: string, hangUp = false): Promise<number> {
  const token = await attester.mint({ claims: { did: 'device-1' } });
  const body = JSON.stringify({ email: 'victim@example.com', password });
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () =>
      socket.write(
        `POST /login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `approov-token: ${token}\r\nConnection: close\r\n\r\n${body}`,
      ),
    );
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (hangUp && text.includes('\r\n')) {
        socket.destroy();
        resolve(Number(text.split(' ')[1]));
      }
    });
    socket.on('end', () => resolve(Number(text.split(' ')[1])));
    socket.on('error', reject);
  });
}

/**
 * Eight wrong passwords; with `hangUp`, a pause past `holdSeconds` before the last three: an attempt never counted
 * only held its slot, and held slots alone also refuse (429) until they expire, so the pause tells the two apart.
 */
async function guessesBeforeLock(port: number, hangUp = false): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) {
    if (hangUp && i === 5) await new Promise((resolve) => setTimeout(resolve, 1_300));
    statuses.push(await login(port, `wrong-${i}`, hangUp));
    await new Promise((resolve) => setTimeout(resolve, 20)); // the outcome is reported when the response ends
  }
  return statuses;
}

class InvalidCredentials extends Error {}

describe('Koa: a thrown login failure an error middleware maps to 401 counts', () => {
  it('five 401s, then locked', async () => {
    const s = shield();
    const app = new Koa();
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        if (!(error instanceof InvalidCredentials)) throw error;
        ctx.status = 401;
        ctx.body = { error: 'invalid credentials' };
      }
    });
    app.use(koaShield(s));
    app.use(bodyParser());
    app.use(koaShieldBody(s));
    app.use((ctx) => {
      if ((ctx.request.body as { password?: string }).password !== PASSWORD) throw new InvalidCredentials();
      ctx.body = { ok: true };
    });
    const statuses = await guessesBeforeLock(await listen(http.createServer(app.callback())));
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
  });
});

/** A handler that streams a 401: the status line goes out at once, the body ends 3 s later. */
function streamed401(res: http.ServerResponse): void {
  res.statusCode = 401;
  res.setHeader('content-type', 'application/json');
  res.write('{"ok":');
  setTimeout(() => res.end('false}'), 3_000).unref();
}

describe('a streamed 401 the client read and hung up on counts', () => {
  it('Express', async () => {
    const s = shield();
    const app = express();
    app.use(expressShield(s));
    app.use(express.json());
    app.use(expressShieldBody(s));
    app.post('/login', (_req, res) => streamed401(res));
    const statuses = await guessesBeforeLock(await listen(http.createServer(app)), true);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
  });

  it('Fastify', async () => {
    const app = fastify();
    await app.register(fastifyShield, { shield: shield() });
    app.post('/login', (_req, reply) => {
      reply.hijack();
      streamed401(reply.raw);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => app.close());
    const statuses = await guessesBeforeLock((app.server.address() as AddressInfo).port, true);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
  });

  it('Koa', async () => {
    const s = shield();
    const app = new Koa();
    app.use(koaShield(s));
    app.use(bodyParser());
    app.use(koaShieldBody(s));
    app.use((ctx) => {
      ctx.respond = false;
      streamed401(ctx.res);
    });
    const statuses = await guessesBeforeLock(await listen(http.createServer(app.callback())), true);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
  });
});
