/**
 * Endpoints mounted behind the application's own body parser (express.json() / express.urlencoded(), @koa/bodyparser):
 * the endpoint's `maxBodyBytes` and its JSON-only content type still hold, so a request gets the same answer whether
 * the endpoint read the body itself or a framework parser ran first. Over real sockets, Express 4/5 and Koa 2/3.
 * (Fastify is not here: `fastifyEndpoints` replaces every content-type parser in its encapsulated context, so
 * Fastify's own parser never runs ahead of it; its own-read path is covered by endpoints.test.ts.)
 */
import http from 'node:http';
import net from 'node:net';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import { bodyParser } from '@koa/bodyparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressEndpoints } from '../../src/adapters/express.js';
import { koaEndpoints } from '../../src/adapters/koa.js';
import type { EndpointRequest, Endpoints } from '../../src/core/endpoints.js';
import { listen, type RunningApp } from '../helpers/adapters.js';

function echoEndpoints(): Endpoints & { seen: EndpointRequest[] } {
  const seen: EndpointRequest[] = [];
  return {
    seen,
    maxBodyBytes: 1024,
    routes: [{ method: 'POST', path: '/echo' }],
    async handle(req) {
      seen.push(req);
      return { status: 200, headers: {}, body: { body: req.body ?? null } };
    },
  };
}

/** Sends `head` + `body` as written on a fresh socket and reads the whole answer (`Connection: close`). */
function send(url: string, head: string, body: string): Promise<{ status: number; type: string; json: { code?: string; body?: unknown } }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [headPart = '', bodyPart = ''] = text.split('\r\n\r\n');
      const type = /content-type: ([^\r\n;]*)/i.exec(headPart)?.[1] ?? '';
      resolve({ status: Number(headPart.split(' ')[1]), type, json: JSON.parse(bodyPart || '{}') as { code?: string } });
    });
    socket.write(`${head}Host: x\r\nConnection: close\r\n\r\n${body}`);
  });
}

function post(url: string, type: string, body: string) {
  return send(url, `POST /echo HTTP/1.1\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`, body);
}

/** The same body sent chunked (no Content-Length), in one chunk. */
function postChunked(url: string, body: string) {
  const chunk = `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
  return send(url, `POST /echo HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n`, chunk);
}

const PARSED_APPS: readonly { name: string; start(endpoints: Endpoints): Promise<RunningApp> }[] = [
  ...([['express4', express4 as unknown as typeof express5], ['express5', express5]] as const).map(([name, express]) => ({
    name,
    start: (endpoints: Endpoints) => {
      const app = express();
      app.use(express.json());
      app.use(express.urlencoded({ extended: true }));
      app.use(expressEndpoints(endpoints) as unknown as express5.RequestHandler);
      return listen(http.createServer(app));
    },
  })),
  ...([['koa2', Koa2 as unknown as typeof Koa3], ['koa3', Koa3]] as const).map(([name, Koa]) => ({
    name,
    start: (endpoints: Endpoints) => {
      const app = new Koa();
      app.use(bodyParser() as unknown as Koa3.Middleware);
      app.use(koaEndpoints(endpoints) as unknown as Koa3.Middleware);
      return listen(http.createServer(app.callback()));
    },
  })),
];

describe.each(PARSED_APPS)('endpoints behind the framework body parser ($name)', (harness) => {
  let app: RunningApp;
  let endpoints: ReturnType<typeof echoEndpoints>;
  beforeAll(async () => {
    endpoints = echoEndpoints();
    app = await harness.start(endpoints);
  });
  afterAll(() => app.close());

  it('answers a body over maxBodyBytes 413 although the parser (limit 100 kB) accepted it', async () => {
    const ok = await post(app.url, 'application/json', JSON.stringify({ pad: 'x'.repeat(500) }));
    expect([ok.status, ok.json.body]).toEqual([200, { pad: 'x'.repeat(500) }]);
    const big = await post(app.url, 'application/json', JSON.stringify({ pad: 'x'.repeat(5000) }));
    expect([big.status, big.type, big.json.code]).toEqual([413, 'application/problem+json', 'payload_too_large']);
  });

  it('answers an oversized chunked body (no Content-Length) 413 too', async () => {
    const big = await postChunked(app.url, JSON.stringify({ pad: 'x'.repeat(5000) }));
    expect([big.status, big.type, big.json.code]).toEqual([413, 'application/problem+json', 'payload_too_large']);
    const ok = await postChunked(app.url, JSON.stringify({ pad: 'x'.repeat(500) }));
    expect(ok.status).toBe(200);
  });

  it('answers a form body 415 as it does when it reads the body itself (a form parser ran first)', async () => {
    const form = await post(app.url, 'application/x-www-form-urlencoded', 'a=1&b[c]=2');
    expect([form.status, form.type, form.json.code]).toEqual([415, 'application/problem+json', 'unsupported_media_type']);
    expect(endpoints.seen.some((r) => (r.body as { a?: unknown } | undefined)?.a === '1')).toBe(false);
  });
});

describe.each(PARSED_APPS.filter((h) => h.name.startsWith('koa')))('a Koa body parser keeps the text ($name)', (harness) => {
  it('measures a chunked body by that text, as the endpoint would measure it reading the body itself', async () => {
    const app = await harness.start(echoEndpoints());
    try {
      // 7 bytes of JSON in 2 kB of whitespace: re-serialised it is small, but the body was over the limit.
      const padded = await postChunked(app.url, `{"a":1}${' '.repeat(2048)}`);
      expect([padded.status, padded.type, padded.json.code]).toEqual([413, 'application/problem+json', 'payload_too_large']);
    } finally {
      await app.close();
    }
  });
});
