/**
 * The shield reads a body only when it inspects it (JSON, forms, text/XML). A multipart upload or a binary body
 * stays in its stream for the application's own parser, in Express and Koa alike.
 */
import http from 'node:http';
import express from 'express';
import Koa from 'koa';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { koaShield } from '../../src/adapters/koa.js';
import { createShield } from '../../src/shield.js';

const shield = createShield({ payload: {} });
const multipart = [
  '--XyZ',
  'Content-Disposition: form-data; name="file"; filename="a.txt"',
  'Content-Type: text/plain',
  '',
  "O'Brien; SELECT 1 -- not inspected as multipart",
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

describe('bodies the shield does not inspect stay in the stream', () => {
  it('Express: a multipart upload reaches the handler unread', async () => {
    const app = express();
    app.use(expressShield(shield));
    app.post('/upload', async (req, res) => void res.json({ bytes: (await readStream(req)).length }));
    const res = await request(http.createServer(app)).post('/upload').set('content-type', 'multipart/form-data; boundary=XyZ').send(multipart);
    expect(res.status).toBe(200);
    expect(res.body.bytes).toBe(Buffer.byteLength(multipart));
  });

  it('Koa: a binary body reaches the handler unread; a JSON body is parsed and handed on', async () => {
    const app = new Koa();
    app.use(koaShield(shield));
    app.use(async (ctx) => {
      if (ctx.path === '/blob') ctx.body = { bytes: (await readStream(ctx.req)).length };
      else ctx.body = { parsed: (ctx.request as { body?: unknown }).body ?? null };
    });
    const server = http.createServer(app.callback());
    const blob = Buffer.alloc(5000, 7);
    const res = await request(server).post('/blob').set('content-type', 'application/octet-stream').send(blob);
    expect(res.body).toEqual({ bytes: 5000 });
    const json = await request(server).post('/json').send({ a: 1 });
    expect(json.body).toEqual({ parsed: { a: 1 } });
  });

  it('an oversized upload is refused from its declared length without reading it', async () => {
    const small = createShield({ payload: { limits: { maxBodyBytes: 1000 } } });
    const app = express();
    app.use(expressShield(small));
    app.post('/upload', (_req, res) => void res.json({ ok: true }));
    const res = await request(http.createServer(app)).post('/upload').set('content-type', 'application/octet-stream').send(Buffer.alloc(5000));
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('payload_too_large');
  });
});
