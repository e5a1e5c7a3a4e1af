/**
 * The payload shield inspects the query the handler reads. A query-parser setting or a custom parser (Express's
 * `query parser`, Fastify's `querystringParser`, Koa's `request.query` replaced as koa-qs does) can build a query
 * the shield's own parse of the raw string does not: `qs` with `;` as a second delimiter hands the handler
 * `{ password: { $ne: 'x' } }` from `?a=1;password[$ne]=x`, where the raw string reads as one value `a`. Each case is
 * a differential test over raw sockets: the bare app's handler reads the structure, the shielded app refuses it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import Router from '@koa/router';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import qs from 'qs';
import { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { koaShield } from '../../src/adapters/koa.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { createShield, type Shield } from '../../src/shield.js';
import { rawRequest } from '../helpers/raw-http.js';

type Parse = (text: string) => unknown;
/** Starts an app whose `GET /api/users` and `GET /api/items` answer the query their handler reads. */
type Start = (parse: Parse, shield: Shield | undefined) => Promise<{ port: number; close(): Promise<unknown> }>;

async function listening(server: http.Server): Promise<{ port: number; close(): Promise<unknown> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

function express(factory: typeof express5): Start {
  return (parse, shield) => {
    const app = factory();
    app.set('query parser', parse);
    if (shield) app.use(expressShield(shield));
    for (const path of ['/api/users', '/api/items']) app.get(path, (req, res) => void res.json({ query: req.query }));
    return listening(http.createServer(app));
  };
}

function koa(Koa: typeof Koa3): Start {
  return (parse, shield) => {
    const app = new Koa();
    // What koa-qs does: the request's `query` getter parses with another parser.
    Object.defineProperty(app.request, 'query', {
      configurable: true,
      get(this: { querystring: string }) {
        return parse(this.querystring);
      },
    });
    if (shield) app.use(koaShield(shield) as unknown as Koa3.Middleware);
    const router = new Router();
    for (const path of ['/api/users', '/api/items']) {
      router.get(path, (ctx) => {
        ctx.body = { query: ctx.query };
      });
    }
    app.use(router.routes() as unknown as Koa3.Middleware);
    return listening(http.createServer(app.callback()));
  };
}

function fastify(factory: typeof fastify5, routerOptions: boolean): Start {
  return async (parse, shield) => {
    // Fastify 5 takes the parser in `routerOptions` (the top-level option is deprecated there); Fastify 4 at top level.
    const querystringParser = parse as (text: string) => Record<string, unknown>;
    const app = factory(routerOptions ? { routerOptions: { querystringParser } } : { querystringParser });
    if (shield) await app.register(fastifyShield as never, { shield });
    for (const path of ['/api/users', '/api/items']) app.get(path, async (req) => ({ query: req.query }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
  };
}

const FRAMEWORKS: readonly (readonly [string, Start])[] = [
  ['express4', express(express4 as unknown as typeof express5)],
  ['express5', express(express5)],
  ['koa2', koa(Koa2 as unknown as typeof Koa3)],
  ['koa3', koa(Koa3)],
  ['fastify4', fastify(fastify4 as unknown as typeof fastify5, false)],
  ['fastify5', fastify(fastify5, true)],
];

const semicolons: Parse = (text) => qs.parse(text, { delimiter: /[&;]/ });
const commas: Parse = (text) => qs.parse(text, { comma: true });

function newShield(): Shield {
  // The query schema checks the query the handler reads: `id` must be one short string.
  return createShield({ payload: {}, routes: { 'GET /api/items': { payload: { query: z.object({ id: z.string().max(20) }) } } } });
}

const running: { close(): Promise<unknown> }[] = [];
afterAll(async () => {
  for (const app of running) await app.close();
});

async function start(framework: Start, parse: Parse, shielded: boolean): Promise<number> {
  const app = await framework(parse, shielded ? newShield() : undefined);
  running.push(app);
  return app.port;
}

describe.each(FRAMEWORKS)('%s: the query the handler reads', (_name, framework) => {
  it('a parser with ";" as a delimiter: the bare handler reads an operator, the shield refuses it', async () => {
    const bare = await start(framework, semicolons, false);
    const shielded = await start(framework, semicolons, true);
    for (const target of ['/api/users?a=1;password[$ne]=x', '/api/users?a=1;password%5B%24ne%5D=x']) {
      expect(JSON.parse((await rawRequest(bare, 'GET', target)).body)).toEqual({ query: { a: '1', password: { $ne: 'x' } } });
      const answer = await rawRequest(shielded, 'GET', target);
      expect([target, answer.status, JSON.parse(answer.body).code]).toEqual([target, 403, 'payload_attack']);
    }
    const plain = await rawRequest(shielded, 'GET', '/api/users?a=1;name=alice');
    expect([plain.status, JSON.parse(plain.body)]).toEqual([200, { query: { a: '1', name: 'alice' } }]);
  });

  it('a parser that splits commas: the query schema checks the array the handler reads', async () => {
    const bare = await start(framework, commas, false);
    const shielded = await start(framework, commas, true);
    expect(JSON.parse((await rawRequest(bare, 'GET', '/api/items?id=a,b')).body)).toEqual({ query: { id: ['a', 'b'] } });
    const refused = await rawRequest(shielded, 'GET', '/api/items?id=a,b');
    expect([refused.status, JSON.parse(refused.body).code]).toEqual([422, 'payload_invalid']);
    const one = await rawRequest(shielded, 'GET', '/api/items?id=ab');
    expect([one.status, JSON.parse(one.body)]).toEqual([200, { query: { id: 'ab' } }]);
  });
});

describe.each(FRAMEWORKS)('%s: an exclusion on one query key', (_name, framework) => {
  it('does not hide the same rule on a value only a flat parser keeps (`id=<attack>&id[x]=1`)', async () => {
    // A flat parser (Node's querystring, as Express 5's default and Koa's) keeps `id` as the attack; a nesting one
    // puts `id[x]` beside it. The shield reads every value the client sent, so the attack is refused either way.
    const flat: Parse = (text) => Object.fromEntries(new URLSearchParams(text));
    const app = await framework(flat, createShield({ payload: { exclusions: [{ categories: ['sqli'], targets: ['query.q'] }] } }));
    running.push(app);
    const attack = encodeURIComponent("1' OR '1'='1");
    expect((await rawRequest(app.port, 'GET', `/api/users?q=${attack}`)).status).toBe(200); // excluded where configured
    expect((await rawRequest(app.port, 'GET', `/api/users?q=${attack}&id=${attack}`)).status).toBe(403);
    expect((await rawRequest(app.port, 'GET', `/api/users?q=${attack}&id=${attack}&id[x]=1`)).status).toBe(403);
  });
});

describe('Express 5: a sub-application with a query parser of its own', () => {
  /** The parent app (shielded) mounts a sub-app at /api; `parentParser` is set on the parent when given. */
  async function subApp(shielded: boolean, parentParser: Parse | undefined): Promise<number> {
    const app = express5();
    if (parentParser) app.set('query parser', parentParser);
    if (shielded) app.use(expressShield(newShield()));
    const api = express5();
    api.set('query parser', semicolons);
    api.get('/users', (req, res) => void res.json({ query: req.query }));
    app.use('/api', api);
    const server = await listening(http.createServer(app));
    running.push(server);
    return server.port;
  }
  it('with the same parser set on the app the shield is mounted in (as docs/mounting.md says), the shield refuses', async () => {
    const target = '/api/users?a=1;password[$ne]=x';
    const bare = await subApp(false, undefined);
    expect(JSON.parse((await rawRequest(bare, 'GET', target)).body)).toEqual({ query: { a: '1', password: { $ne: 'x' } } });
    const shielded = await subApp(true, semicolons);
    const answer = await rawRequest(shielded, 'GET', target);
    expect([answer.status, JSON.parse(answer.body).code]).toEqual([403, 'payload_attack']);
  });
});
