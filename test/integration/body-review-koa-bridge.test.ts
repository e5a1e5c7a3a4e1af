/**
 * Koa body parity, review (differential, over real sockets): a parser written for Express, bridged into Koa the way
 * koa-connect does it (`parser(ctx.req, ctx.res, next)`), leaves the body on `ctx.req.body`, where the handler reads
 * it; Koa's `ctx.request.body` stays unset. The shield read `ctx.request.body` only, so every attack such a parser
 * handed the handler passed uninspected (express.json(), express.urlencoded(), multer's fields). Now the body stage
 * reads `ctx.req.body` when Koa's own is unset, and both when a middleware set both to different values.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import multer from 'multer';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import koaBodyParser from 'koa-bodyparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { koaShield, koaShieldBody } from '../../src/adapters/koa.js';
import type { Shield } from '../../src/shield.js';
import { createShield } from '../../src/shield.js';

type NodeMiddleware = (req: http.IncomingMessage, res: http.ServerResponse, next: (error?: unknown) => void) => void;

/** koa-connect's bridge: an Express middleware run on the Node request, then the rest of the Koa chain. */
const bridge =
  (middleware: NodeMiddleware): Koa3.Middleware =>
  (ctx, next) =>
    new Promise<void>((resolve, reject) => middleware(ctx.req, ctx.res, (error) => (error ? reject(error) : resolve()))).then(next);

/** A middleware of the app that unwraps a base64 `data` field into `ctx.req.body`, beside the parser's own body. */
const unwrap: Koa3.Middleware = (ctx, next) => {
  const data = (ctx.request as { body?: { data?: unknown } }).body?.data;
  if (typeof data === 'string') (ctx.req as { body?: unknown }).body = JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
  return next();
};

const B = 'BridgeBoundary';
const ATTACK = "x' UNION SELECT password FROM users--";
const BENIGN = "O'Brien's order, 2 items";

interface Parser {
  name: string;
  chain: () => Koa3.Middleware[];
  request: (comment: string) => { type: string; body: string };
}

const PARSERS: Parser[] = [
  { name: 'express.json()', chain: () => [bridge(express.json() as NodeMiddleware)], request: (c) => ({ type: 'application/json', body: JSON.stringify({ comment: c }) }) },
  {
    name: 'express.urlencoded()',
    chain: () => [bridge(express.urlencoded({ extended: true }) as NodeMiddleware)],
    request: (c) => ({ type: 'application/x-www-form-urlencoded', body: `order[comment]=${encodeURIComponent(c)}` }),
  },
  {
    name: 'multer().none()',
    chain: () => [bridge(multer().none() as unknown as NodeMiddleware)],
    request: (c) => ({ type: `multipart/form-data; boundary=${B}`, body: `--${B}\r\nContent-Disposition: form-data; name="comment"\r\n\r\n${c}\r\n--${B}--\r\n` }),
  },
  {
    name: 'koa-bodyparser, then a middleware unwrapping a field into ctx.req.body',
    chain: () => [koaBodyParser() as unknown as Koa3.Middleware, unwrap],
    request: (c) => ({ type: 'application/json', body: JSON.stringify({ data: Buffer.from(JSON.stringify({ comment: c })).toString('base64') }) }),
  },
];

interface Server {
  url: string;
  close(): Promise<void>;
}

async function start(Koa: typeof Koa3, parser: Parser, shield: Shield | undefined): Promise<Server> {
  const app = new Koa();
  app.silent = true;
  if (shield) app.use(koaShield(shield) as unknown as Koa3.Middleware);
  for (const middleware of parser.chain()) app.use(middleware);
  if (shield) app.use(koaShieldBody(shield) as unknown as Koa3.Middleware);
  // The handler reads the body where the bridged parser left it.
  app.use((ctx) => {
    ctx.body = { got: (ctx.req as { body?: unknown }).body ?? null };
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function post(server: Server, request: { type: string; body: string }): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.url}/orders`, { method: 'POST', headers: { 'content-type': request.type }, body: request.body });
  return { status: res.status, text: await res.text() };
}

for (const [koaName, Koa] of [['Koa 2', Koa2 as unknown as typeof Koa3], ['Koa 3', Koa3]] as const) {
  for (const parser of PARSERS) {
    describe(`${koaName}: ${parser.name}`, () => {
      let plain: Server;
      let shielded: Server;
      beforeAll(async () => {
        [plain, shielded] = await Promise.all([start(Koa, parser, undefined), start(Koa, parser, createShield({ payload: {} }))]);
      });
      afterAll(async () => {
        await Promise.all([plain.close(), shielded.close()]);
      });

      it('an attack the handler reads from ctx.req.body is refused; a benign body reaches it unchanged', async () => {
        const without = await post(plain, parser.request(ATTACK));
        expect([without.status, without.text.includes('UNION SELECT password')]).toEqual([200, true]);
        expect((await post(shielded, parser.request(ATTACK))).status).toBe(403);
        const [benignWithout, benignWith] = [await post(plain, parser.request(BENIGN)), await post(shielded, parser.request(BENIGN))];
        expect(benignWith).toEqual(benignWithout);
        expect(benignWith.text).toContain("O'Brien's order");
      });
    });
  }
}
