/**
 * Body parity (issue 9): every request goes to the same app twice, once without the shield and once with it
 * (global middleware before the parser, body stage after it), over real sockets, on Express 4/5 (express.json,
 * express.urlencoded extended true/false, a widened `type`), Koa 2/3 (koa-bodyparser and @koa/bodyparser at their
 * defaults) and Fastify 4/5 (its defaults plus a CSP-report parser). The handler reports the body as it received it,
 * prototypes and own keys included, and whether its parser read the stream.
 *
 * - benign requests the parser reads: the handler receives a deep-equal body (same prototypes, same keys) with and
 *   without the shield; compressed, UTF-16, BOM and empty bodies included;
 * - requests the parser refuses: the same status with and without the shield (the parser answers, not the shield);
 * - bodies no parser read: refused 415 by the shield where the payload shield applies (never passed uninspected);
 * - every attack the unshielded handler receives, in any media type its parser accepts, is blocked by the shield.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import koaBodyParser from 'koa-bodyparser';
import { bodyParser as koaBodyParserNext } from '@koa/bodyparser';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { koaShield, koaShieldBody } from '../../src/adapters/koa.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import type { Shield } from '../../src/shield.js';
import { createShield } from '../../src/shield.js';

/** The body as the handler received it, with every object's prototype and own keys spelled out. */
function snapshot(value: unknown, depth = 0): unknown {
  if (depth > 20) return '<deep>';
  if (value === null || typeof value !== 'object') return value === undefined ? '<undefined>' : value;
  if (Buffer.isBuffer(value)) return { '<buffer>': value.toString('base64') };
  const proto = Object.getPrototypeOf(value) as object | null;
  const protoName = proto === null ? 'null' : proto === Object.prototype ? 'Object' : proto === Array.prototype ? 'Array' : 'other';
  return {
    '<proto>': protoName,
    '<entries>': Reflect.ownKeys(value).map((k) => [String(k), snapshot((value as Record<PropertyKey, unknown>)[k], depth + 1)]),
  };
}

interface Echo {
  consumed: boolean;
  body: unknown;
}

function echo(req: http.IncomingMessage, body: unknown): Echo {
  return { consumed: req.readableEnded, body: snapshot(body) };
}

interface Server {
  url: string;
  close(): Promise<void>;
}

async function listen(server: http.Server): Promise<Server> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

type ExpressFactory = typeof express5;
type AppBuilder = (shield: Shield | undefined) => Promise<Server>;

function expressApp(factory: ExpressFactory, parser: (f: ExpressFactory) => express5.RequestHandler): AppBuilder {
  return async (shield) => {
    const app = factory();
    if (shield) app.use(expressShield(shield));
    app.use(parser(factory));
    if (shield) app.use(expressShieldBody(shield));
    app.post('/echo', (req, res) => void res.json(echo(req, req.body)));
    return listen(http.createServer(app));
  };
}

function koaApp(Koa: typeof Koa3, parser: () => Koa3.Middleware): AppBuilder {
  return async (shield) => {
    const app = new Koa();
    if (shield) app.use(koaShield(shield) as unknown as Koa3.Middleware);
    app.use(parser());
    if (shield) app.use(koaShieldBody(shield) as unknown as Koa3.Middleware);
    app.use((ctx) => {
      ctx.body = echo(ctx.req, (ctx.request as { body?: unknown }).body);
    });
    return listen(http.createServer(app.callback()));
  };
}

function fastifyApp(factory: typeof fastify5): AppBuilder {
  return async (shield) => {
    const app = factory();
    // A widened type, as CSP report endpoints do: parsed with Fastify's own JSON parser.
    app.addContentTypeParser('application/csp-report', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
    if (shield) await app.register(fastifyShield as never, { shield });
    app.post('/echo', async (req) => echo(req.raw, req.body));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, close: async () => void (await app.close()) };
  };
}

const widened = ['application/json', 'application/csp-report', 'application/*+json'];
const CONFIGS: readonly [string, AppBuilder][] = [
  ...([['express4', express4 as unknown as ExpressFactory], ['express5', express5]] as const).flatMap(([name, f]) => [
    [`${name} express.json()`, expressApp(f, (x) => x.json())],
    [`${name} express.urlencoded({ extended: true })`, expressApp(f, (x) => x.urlencoded({ extended: true }))],
    [`${name} express.urlencoded({ extended: false })`, expressApp(f, (x) => x.urlencoded({ extended: false }))],
    [`${name} express.json({ type: [json, csp-report, +json] })`, expressApp(f, (x) => x.json({ type: widened }))],
  ] as [string, AppBuilder][]),
  ...([['koa2', Koa2 as unknown as typeof Koa3], ['koa3', Koa3]] as const).flatMap(([name, K]) => [
    [`${name} koa-bodyparser`, koaApp(K, () => koaBodyParser() as unknown as Koa3.Middleware)],
    [`${name} @koa/bodyparser`, koaApp(K, () => koaBodyParserNext() as unknown as Koa3.Middleware)],
  ] as [string, AppBuilder][]),
  ['fastify4', fastifyApp(fastify4 as unknown as typeof fastify5)],
  ['fastify5', fastifyApp(fastify5)],
];

interface Wire {
  name: string;
  headers: Record<string, string>;
  body: Buffer;
}

const utf16be = (text: string) => {
  const le = Buffer.from(text, 'utf16le');
  for (let i = 0; i + 1 < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1]!, le[i]!];
  return le;
};

/** One JSON text in every form a mobile client or a browser sends it. */
function jsonForms(text: string): Wire[] {
  const utf8 = Buffer.from(text, 'utf8');
  return [
    { name: 'application/json', headers: { 'content-type': 'application/json' }, body: utf8 },
    { name: 'json; charset=utf-8', headers: { 'content-type': 'application/json; charset=utf-8' }, body: utf8 },
    { name: 'json gzip', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(utf8) },
    { name: 'json deflate', headers: { 'content-type': 'application/json', 'content-encoding': 'deflate' }, body: deflateSync(utf8) },
    { name: 'json br', headers: { 'content-type': 'application/json', 'content-encoding': 'br' }, body: brotliCompressSync(utf8) },
    { name: 'json utf-16le', headers: { 'content-type': 'application/json; charset=utf-16le' }, body: Buffer.from(text, 'utf16le') },
    { name: 'json utf-16be', headers: { 'content-type': 'application/json; charset=utf-16be' }, body: utf16be(text) },
    { name: 'json with BOM', headers: { 'content-type': 'application/json' }, body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]) },
    { name: 'application/csp-report', headers: { 'content-type': 'application/csp-report' }, body: utf8 },
    { name: 'application/vnd.api+json', headers: { 'content-type': 'application/vnd.api+json' }, body: utf8 },
    { name: 'application/json-patch+json', headers: { 'content-type': 'application/json-patch+json' }, body: utf8 },
    { name: 'text/plain', headers: { 'content-type': 'text/plain' }, body: utf8 },
  ];
}

function formForms(text: string): Wire[] {
  const utf8 = Buffer.from(text, 'utf8');
  return [
    { name: 'form', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: utf8 },
    { name: 'form gzip', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' }, body: gzipSync(utf8) },
  ];
}

const BENIGN: Wire[] = [
  ...jsonForms(JSON.stringify({ name: 'Ada Lovelace', tags: ['math', 'engines'], nested: { level: 2, ok: true } })),
  ...jsonForms(JSON.stringify([{ id: 1 }, { id: 2 }])),
  ...jsonForms('null'),
  ...jsonForms('"just a string"'),
  { name: 'empty json', headers: { 'content-type': 'application/json', 'content-length': '0' }, body: Buffer.alloc(0) },
  { name: 'empty form', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '0' }, body: Buffer.alloc(0) },
  ...formForms('name=Ada&tag=math&tag=engines&profile[city]=London&profile[zip]=N1'),
  ...formForms('hasOwnProperty=1&plain=yes'),
];

const ATTACKS = ["x' OR 1=1 -- ", '<script>alert(document.cookie)</script>', '1 UNION SELECT password FROM users--'];
const MARKER = 'UNION SELECT password';
const attackWires = (attack: string): Wire[] => [
  ...jsonForms(JSON.stringify({ comment: attack })),
  ...jsonForms(JSON.stringify({ 'csp-report': { 'document-uri': 'https://app.example/', 'script-sample': attack } })),
  ...formForms(`comment=${encodeURIComponent(attack)}`),
  ...formForms(`profile[bio]=${encodeURIComponent(attack)}`),
];

/** Media types that, by each parser's documented defaults, carry an attack to the unshielded handler. */
const EXPECTED_REACH: Record<string, string[]> = {
  'koa2 koa-bodyparser': ['application/csp-report', 'application/json', 'json gzip', 'json br', 'json with BOM', 'form'],
  'koa3 @koa/bodyparser': ['application/csp-report', 'application/json', 'json gzip', 'form'],
  'express5 express.json({ type: [json, csp-report, +json] })': ['application/csp-report', 'application/vnd.api+json', 'json gzip', 'json br', 'json utf-16le', 'json with BOM'],
  'express4 express.urlencoded({ extended: true })': ['form', 'form gzip'],
  'express5 express.urlencoded({ extended: false })': ['form', 'form gzip'],
  fastify5: ['application/csp-report', 'application/json'],
};

interface Reply {
  status: number;
  text: string;
}

function send(url: string, wire: Wire): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = { 'content-length': String(wire.body.length), ...wire.headers };
    const req = http.request(`${url}/echo`, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(wire.body);
  });
}

function received(reply: Reply): Echo | undefined {
  return reply.status === 200 ? (JSON.parse(reply.text) as Echo) : undefined;
}

for (const [name, build] of CONFIGS) {
  describe(`body parity: ${name}`, () => {
    let plain: Server;
    let shielded: Server;
    beforeAll(async () => {
      plain = await build(undefined);
      shielded = await build(createShield({ payload: {} }));
    });
    afterAll(async () => {
      await plain.close();
      await shielded.close();
    });

    it('benign requests: the handler receives the same body, or the parser answers the same, with and without the shield', async () => {
      let parsedCount = 0;
      for (const wire of BENIGN) {
        const [without, withShield] = await Promise.all([send(plain.url, wire), send(shielded.url, wire)]);
        const echoed = received(without);
        if (echoed === undefined) {
          expect({ wire: wire.name, status: withShield.status }).toEqual({ wire: wire.name, status: without.status });
        } else if (echoed.consumed || wire.body.length === 0) {
          // Read by the parser, or nothing to read: the shield changes nothing the handler sees.
          parsedCount++;
          expect({ wire: wire.name, status: withShield.status }).toEqual({ wire: wire.name, status: 200 });
          expect({ wire: wire.name, echo: received(withShield) }).toEqual({ wire: wire.name, echo: echoed });
        } else {
          // The parser left the body in its stream: the shield cannot inspect it and refuses it.
          expect({ wire: wire.name, status: withShield.status }).toEqual({ wire: wire.name, status: 415 });
        }
      }
      expect(parsedCount).toBeGreaterThan(0);
    });

    it('every attack the unshielded handler receives, in any media type its parser accepts, is blocked', async () => {
      const reachedPlain = new Set<string>();
      for (const attack of ATTACKS) {
        for (const wire of attackWires(attack)) {
          const [without, withShield] = await Promise.all([send(plain.url, wire), send(shielded.url, wire)]);
          const echoed = received(without);
          if (echoed === undefined || !echoed.consumed) continue;
          // Prove the unshielded handler really got the attack (any parse of it), then that the shield stopped it.
          const got = JSON.stringify(echoed.body);
          if (!got.includes(attack.slice(0, 12).replace(/"/g, '\\"')) && !got.includes(MARKER)) continue;
          reachedPlain.add(wire.name);
          if (process.env.PARITY_DEBUG) console.log(name, wire.name);
          expect({ wire: wire.name, attack, status: withShield.status }).toEqual({ wire: wire.name, attack, status: 403 });
        }
      }
      // Not vacuous: the media types this parser accepts did carry attacks to the unshielded handler.
      expect([...reachedPlain].sort()).toEqual(expect.arrayContaining(EXPECTED_REACH[name] ?? []));
      expect(reachedPlain.size).toBeGreaterThan(0);
    });
  });
}
