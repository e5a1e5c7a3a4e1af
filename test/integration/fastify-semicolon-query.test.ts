/**
 * Fastify can end the query string at `;` as well as `?` (`useSemicolonDelimiter`: on by default in Fastify 4, an
 * option in 5). The handler then reads the query after the `;`; the shield must inspect that query, not the text
 * after a `?` that is not there. With a bracket-aware parser (qs), `/api/users;password[$ne]=x` hands the handler a
 * MongoDB operator. Raw request lines over a socket: inject() would not send the target as written.
 */
import type { AddressInfo } from 'node:net';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import fastify40 from 'fastify40';
import qs from 'qs';
import { afterAll, describe, expect, it } from 'vitest';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { createShield } from '../../src/shield.js';
import { rawRequest } from '../helpers/raw-http.js';

type Factory = (options: object) => {
  register(plugin: unknown, options: object): Promise<unknown>;
  get(path: string, handler: (req: { query: unknown }) => Promise<unknown>): unknown;
  listen(options: { port: number; host: string }): Promise<unknown>;
  close(): Promise<unknown>;
  server: { address(): AddressInfo | string | null };
};

const FASTIFY: readonly (readonly [string, Factory])[] = [
  ['fastify4', fastify4 as unknown as Factory],
  ['fastify4.0', fastify40 as unknown as Factory],
  ['fastify5', fastify5 as unknown as Factory],
];

const apps: { close(): Promise<unknown> }[] = [];
afterAll(async () => {
  for (const app of apps) await app.close();
});

/** A Fastify app that answers the query its handler reads; shielded by the payload shield when asked. */
async function start(factory: Factory, shielded: boolean, parse: (text: string) => unknown = (text) => qs.parse(text)): Promise<number> {
  const app = factory({ useSemicolonDelimiter: true, querystringParser: parse });
  if (shielded) await app.register(fastifyShield, { shield: createShield({ payload: {} }) });
  app.get('/api/users', async (req) => ({ query: req.query }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  apps.push(app);
  return (app.server.address() as AddressInfo).port;
}

const TARGETS = ['/api/users;password[$ne]=x', '/api/users;password%5B%24ne%5D=x', '/api/users?password[$ne]=x'];

describe.each(FASTIFY)('%s with a semicolon query delimiter', (_name, factory) => {
  it('the handler reads an operator from a query after ";" (the bare app)', async () => {
    const port = await start(factory, false);
    for (const target of TARGETS) {
      const answer = await rawRequest(port, 'GET', target);
      expect([target, answer.status, JSON.parse(answer.body)]).toEqual([target, 200, { query: { password: { $ne: 'x' } } }]);
    }
  });

  it('the shield inspects that query and refuses it', async () => {
    const port = await start(factory, true);
    for (const target of TARGETS) {
      const answer = await rawRequest(port, 'GET', target);
      expect([target, answer.status, JSON.parse(answer.body).code]).toEqual([target, 403, 'payload_attack']);
    }
    const plain = await rawRequest(port, 'GET', '/api/users;name=alice');
    expect([plain.status, JSON.parse(plain.body)]).toEqual([200, { query: { name: 'alice' } }]);
  });
});

describe('a query parser with dots on (qs allowDots), Fastify 5', () => {
  const dotted = (text: string) => qs.parse(text, { allowDots: true });
  const targets = ['/api/users?password.$ne=x', '/api/users?password.%24ne=x'];
  it('the handler reads an operator from a dotted key (the bare app), the shield refuses it', async () => {
    const bare = await start(fastify5 as unknown as Factory, false, dotted);
    const shielded = await start(fastify5 as unknown as Factory, true, dotted);
    for (const target of targets) {
      expect(JSON.parse((await rawRequest(bare, 'GET', target)).body)).toEqual({ query: { password: { $ne: 'x' } } });
      const answer = await rawRequest(shielded, 'GET', target);
      expect([target, answer.status, JSON.parse(answer.body).code]).toEqual([target, 403, 'payload_attack']);
    }
  });
});
