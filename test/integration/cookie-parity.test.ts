/**
 * The payload shield inspects the cookies the handler reads. Handlers read the first pair of a repeated name
 * (cookie-parser, @fastify/cookie, Koa's `ctx.cookies`), read pairs past any count, and cookie-parser turns a
 * `j:<json>` value into the parsed object. Differential tests over raw sockets: the bare app's handler reads the
 * attack, the shielded app refuses it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import fastify5 from 'fastify';
import fastifyCookie from '@fastify/cookie';
import cookieParser from 'cookie-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { koaShield } from '../../src/adapters/koa.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { createShield, type Shield } from '../../src/shield.js';
import { rawRequest } from '../helpers/raw-http.js';

/** Starts an app whose `GET /me` answers the `session` cookie its handler reads. */
type Start = (shield: Shield | undefined) => Promise<{ port: number; close(): Promise<unknown> }>;

async function listening(server: http.Server): Promise<{ port: number; close(): Promise<unknown> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(resolve)) };
}

function express(factory: typeof express5): Start {
  return (shield) => {
    const app = factory();
    if (shield) app.use(expressShield(shield));
    app.use(cookieParser());
    app.get('/me', (req, res) => void res.json({ session: (req.cookies as Record<string, unknown>).session ?? null }));
    return listening(http.createServer(app));
  };
}

function koa(Koa: typeof Koa3): Start {
  return (shield) => {
    const app = new Koa();
    if (shield) app.use(koaShield(shield) as unknown as Koa3.Middleware);
    app.use((ctx) => {
      ctx.body = { session: ctx.cookies.get('session') ?? null };
    });
    return listening(http.createServer(app.callback()));
  };
}

const fastify: Start = async (shield) => {
  const app = fastify5();
  await app.register(fastifyCookie);
  if (shield) await app.register(fastifyShield as never, { shield });
  app.get('/me', async (req) => ({ session: req.cookies.session ?? null }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
};

const FRAMEWORKS: readonly (readonly [string, Start, boolean])[] = [
  // [name, start, reads `j:` JSON cookies as objects]
  ['express4 + cookie-parser', express(express4 as unknown as typeof express5), true],
  ['express5 + cookie-parser', express(express5), true],
  ['koa2', koa(Koa2 as unknown as typeof Koa3), false],
  ['koa3', koa(Koa3), false],
  ['fastify5 + @fastify/cookie', fastify, false],
];

const running: { close(): Promise<unknown> }[] = [];
afterAll(async () => {
  for (const app of running) await app.close();
});

async function start(framework: Start, shielded: boolean): Promise<number> {
  const app = await framework(shielded ? createShield({ payload: {} }) : undefined);
  running.push(app);
  return app.port;
}

const ATTACK = "' or 1=1--";
const JUNK = Array.from({ length: 100 }, (_, i) => `p${i}=1`).join('; ');

describe.each(FRAMEWORKS)('%s: the cookies the handler reads', (_name, framework, jsonCookies) => {
  it('a repeated name and pairs past the hundredth: the bare handler reads the attack, the shield refuses it', async () => {
    const bare = await start(framework, false);
    const shielded = await start(framework, true);
    for (const cookie of [`session=${ATTACK}; session=ok`, `${JUNK}; session=${ATTACK}`, `${';'.repeat(100)}session=${ATTACK}`]) {
      expect(JSON.parse((await rawRequest(bare, 'GET', '/me', { cookie })).body)).toEqual({ session: ATTACK });
      const answer = await rawRequest(shielded, 'GET', '/me', { cookie });
      expect([cookie.slice(-40), answer.status, JSON.parse(answer.body).code]).toEqual([cookie.slice(-40), 403, 'payload_attack']);
    }
    const plain = await rawRequest(shielded, 'GET', '/me', { cookie: 'session=abc123; theme=j:{"dark":true}' });
    expect([plain.status, JSON.parse(plain.body)]).toEqual([200, { session: 'abc123' }]);
  });

  it('a quoted value: the handler reads it unquoted, the shield refuses what that reading is', async () => {
    const bare = await start(framework, false);
    const shielded = await start(framework, true);
    for (const value of ['http://169.254.169.254/latest/meta-data/', 'gopher://127.0.0.1:6379/_INFO']) {
      const cookie = `session="${value}"`;
      const read = (JSON.parse((await rawRequest(bare, 'GET', '/me', { cookie })).body) as { session: string }).session;
      const answer = await rawRequest(shielded, 'GET', '/me', { cookie });
      // Fastify's cookie parser keeps the quotes, the others strip them; the shield refuses either way.
      expect([cookie, read === value || read === `"${value}"`, answer.status]).toEqual([cookie, true, 403]);
    }
    const benign = await rawRequest(shielded, 'GET', '/me', { cookie: 'session="abc123"' });
    expect(benign.status).toBe(200);
  });

  it.runIf(jsonCookies)('a j: JSON cookie: the bare handler reads an operator object, the shield refuses it', async () => {
    const bare = await start(framework, false);
    const shielded = await start(framework, true);
    for (const [cookie, read] of [
      ['session=j:{"$type":"string"}', { $type: 'string' }],
      ['session=j%3A%7B%22%24size%22%3A0%7D', { $size: 0 }],
      ['session="j:{}"; session=x', {}],
    ] as const) {
      expect(JSON.parse((await rawRequest(bare, 'GET', '/me', { cookie })).body)).toEqual({ session: read });
      if (Object.keys(read).length === 0) continue;
      const answer = await rawRequest(shielded, 'GET', '/me', { cookie });
      expect([cookie, answer.status, JSON.parse(answer.body).code]).toEqual([cookie, 403, 'payload_attack']);
    }
  });
});
