/**
 * The shield never reads a body itself: the app's parser does, and the body stage inspects what it produced. A body
 * no parser read is refused 415 where a body-stage verifier applies (fail closed; multipart bodies are the exception,
 * see multipart.test.ts), and left in its stream for the app where none applies (`payload: false`), whatever its size.
 */
import http from 'node:http';
import express from 'express';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { koaShield, koaShieldBody } from '../../src/adapters/koa.js';
import { createShield } from '../../src/shield.js';

const multipart = [
  '--XyZ',
  'Content-Disposition: form-data; name="file"; filename="a.txt"',
  'Content-Type: text/plain',
  '',
  "O'Brien; SELECT 1 -- file contents",
  '--XyZ--',
  '',
].join('\r\n');

function readStream(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function expressApp(shield = createShield({ payload: {}, routes: { 'POST /upload': { payload: false } } }), mountBodyStage = true) {
  const app = express();
  const seen: unknown[] = [];
  app.use(expressShield(shield));
  app.use(express.json({ limit: '5mb' }));
  if (mountBodyStage) app.use(expressShieldBody(shield));
  app.post('/upload', async (req, res) => void res.json({ bytes: (await readStream(req)).length }));
  app.post('/comments', (req, res) => {
    seen.push(req.body);
    res.json({ ok: true });
  });
  return { server: http.createServer(app), seen };
}

describe('bodies stay the app parser\'s business', () => {
  it('Express: a multipart upload on a payload:false route reaches the handler unread', async () => {
    const { server } = expressApp();
    const res = await request(server).post('/upload').set('content-type', 'multipart/form-data; boundary=XyZ').send(multipart);
    expect(res.status).toBe(200);
    expect(res.body.bytes).toBe(Buffer.byteLength(multipart));
  });

  it('Express: a body no parser read, on a route the payload shield covers, is refused 415 and never reaches the handler', async () => {
    const { server, seen } = expressApp();
    const res = await request(server).post('/comments').set('content-type', 'application/octet-stream').send(Buffer.from("x' OR 1=1 --"));
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('unsupported_media_type');
    expect(seen).toEqual([]);
  });

  it('Express without a body stage mounted: bodies are refused 415 (onError told once), bodiless requests and payload:false routes pass', async () => {
    const errors: unknown[] = [];
    const shield = createShield({ payload: {}, routes: { 'POST /upload': { payload: false } }, onError: (e) => void errors.push(e) });
    const { server, seen } = expressApp(shield, false);
    const res = await request(server).post('/comments').send({ text: 'hello' });
    expect(res.status).toBe(415);
    expect((await request(server).post('/comments').send({ text: 'again' })).status).toBe(415);
    expect(seen).toEqual([]);
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['body_stage_missing']);
    expect((await request(server).post('/comments')).status).toBe(200);
    const upload = await request(server).post('/upload').set('content-type', 'application/octet-stream').send(Buffer.alloc(10, 1));
    expect(upload.body).toEqual({ bytes: 10 });
  });

  it('Express: payload:false from a route-level shield middleware (first handler) leaves a raw upload to the route', async () => {
    const shield = createShield({ payload: {} });
    const app = express();
    app.use(expressShield(shield));
    app.use(express.json());
    app.use(expressShieldBody(shield));
    app.post('/webhook', expressShield(shield, { payload: false }), async (req, res) => void res.json({ bytes: (await readStream(req)).length }));
    app.post('/other', async (req, res) => void res.json({ bytes: (await readStream(req)).length }));
    const server = http.createServer(app);
    const raw = Buffer.from('{"signed":"payload"}');
    expect((await request(server).post('/webhook').set('content-type', 'application/octet-stream').send(raw)).body).toEqual({ bytes: raw.length });
    expect((await request(server).post('/other').set('content-type', 'application/octet-stream').send(raw)).status).toBe(415);
  });

  it('a payload:false route is not capped by the shield: a 2 MiB body reaches the app within its own parser limit', async () => {
    const { server } = expressApp();
    const blob = Buffer.alloc(2 * 1024 * 1024, 97);
    const res = await request(server).post('/upload').set('content-type', 'application/octet-stream').send(blob);
    expect(res.body).toEqual({ bytes: blob.length });
  });

  it('Koa: a binary body on a payload:false route reaches the handler unread; JSON is handed on as the parser made it', async () => {
    const shield = createShield({ payload: {}, routes: { 'POST /blob': { payload: false } } });
    const app = new Koa();
    app.use(koaShield(shield));
    app.use(bodyParser());
    app.use(koaShieldBody(shield));
    app.use(async (ctx) => {
      if (ctx.path === '/blob') ctx.body = { bytes: (await readStream(ctx.req)).length };
      else ctx.body = { parsed: (ctx.request as { body?: unknown }).body ?? null };
    });
    const server = http.createServer(app.callback());
    const blob = Buffer.alloc(5000, 7);
    expect((await request(server).post('/blob').set('content-type', 'application/octet-stream').send(blob)).body).toEqual({ bytes: 5000 });
    expect((await request(server).post('/json').send({ a: 1 })).body).toEqual({ parsed: { a: 1 } });
    const refused = await request(server).post('/other').set('content-type', 'application/octet-stream').send(blob);
    expect(refused.status).toBe(415);
  });

  it('Koa without a body stage mounted: a body the parser read is still refused 415, never passed uninspected', async () => {
    const shield = createShield({ payload: {} });
    const app = new Koa();
    const seen: unknown[] = [];
    app.use(koaShield(shield));
    app.use(bodyParser());
    app.use(async (ctx) => {
      seen.push((ctx.request as { body?: unknown }).body);
      ctx.body = { ok: true };
    });
    const server = http.createServer(app.callback());
    const res = await request(server).post('/comments').send({ text: "x' OR 1=1 --" });
    expect(res.status).toBe(415);
    expect(seen).toEqual([]);
    expect((await request(server).get('/comments')).status).toBe(200);
  });

  it('an oversized upload is refused from its declared length without reading it', async () => {
    const small = createShield({ payload: { limits: { maxBodyBytes: 1000 } } });
    const app = express();
    app.use(expressShield(small));
    app.use(expressShieldBody(small));
    app.post('/upload', (_req, res) => void res.json({ ok: true }));
    const res = await request(http.createServer(app)).post('/upload').set('content-type', 'application/octet-stream').send(Buffer.alloc(5000));
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('payload_too_large');
  });
});
