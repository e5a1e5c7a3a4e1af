/**
 * Multipart field inspection (issue 9) on Express 4/5, Koa 2/3 and Fastify 4/5: a `multipart/form-data` body that the
 * app parses after the body stage (its multipart parser on the route, here busboy in the handler as multer would use
 * it; in Fastify, a content-type parser that leaves the stream as @fastify/multipart does) has its
 * field values inspected while its bytes are held back, then handed to the app's parser intact, files included.
 * Every request goes to the app with and without the shield; the handler reports what its own parser read.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import busboy from 'busboy';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import koaBodyParser from 'koa-bodyparser';
import Router, { type RouterMiddleware } from '@koa/router';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { koaShield, koaShieldBody } from '../../src/adapters/koa.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import type { Shield } from '../../src/shield.js';
import { createShield } from '../../src/shield.js';
import { listen, type RunningApp } from '../helpers/adapters.js';

/** What these tests need of a server: its URL and how to close it (Fastify builds its own). */
type Running = Pick<RunningApp, 'url' | 'close'>;

interface Parsed {
  fields: [string, string][];
  files: [string, string, number][];
}

/** The app's own multipart parser: every field, and each file's SHA-256 and size. */
function parseMultipart(req: http.IncomingMessage): Promise<Parsed> {
  return new Promise((resolve, reject) => {
    const out: Parsed = { fields: [], files: [] };
    const pending: Promise<void>[] = [];
    const parser = busboy({ headers: req.headers as busboy.BusboyConfig['headers'] });
    parser.on('field', (name, value) => out.fields.push([name, value]));
    parser.on('file', (name, stream) => {
      const hash = createHash('sha256');
      let size = 0;
      pending.push(new Promise((done) => {
        stream.on('data', (c: Buffer) => {
          hash.update(c);
          size += c.length;
        });
        stream.on('end', () => {
          out.files.push([name, hash.digest('hex'), size]);
          done();
        });
      }));
    });
    parser.on('close', () => void Promise.all(pending).then(() => resolve(out)));
    parser.on('error', reject);
    req.pipe(parser);
  });
}

type Builder = (shield: Shield | undefined) => Promise<Running>;

const expressApp = (factory: typeof express5): Builder => async (shield) => {
  const app = factory();
  if (shield) app.use(expressShield(shield));
  app.use(factory.json());
  if (shield) app.use(expressShieldBody(shield));
  const handler: express5.RequestHandler = (req, res, next) => void parseMultipart(req).then((p) => res.json(p), next);
  app.post('/upload', handler);
  app.post('/raw-upload', handler);
  return listen(http.createServer(app));
};

const koaApp = (Koa: typeof Koa3): Builder => async (shield) => {
  const app = new Koa();
  if (shield) app.use(koaShield(shield) as unknown as Koa3.Middleware);
  app.use(koaBodyParser() as unknown as Koa3.Middleware);
  if (shield) app.use(koaShieldBody(shield) as unknown as Koa3.Middleware);
  app.use(async (ctx) => {
    ctx.body = await parseMultipart(ctx.req);
  });
  return listen(http.createServer(app.callback()));
};

/** Fastify with a multipart content-type parser that leaves the body in the stream, as @fastify/multipart does. */
const fastifyApp = (factory: typeof fastify5): Builder => async (shield) => {
  const app = factory();
  app.addContentTypeParser('multipart/form-data', (_req, _payload, done) => done(null));
  if (shield) await app.register(fastifyShield as never, { shield });
  const handler = async (req: { raw: http.IncomingMessage }) => parseMultipart(req.raw);
  app.post('/upload', handler);
  app.post('/raw-upload', handler);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: async () => void (await app.close()) };
};

const APPS: readonly [string, Builder][] = [
  ['fastify4', fastifyApp(fastify4 as unknown as typeof fastify5)],
  ['fastify5', fastifyApp(fastify5)],
  ['express4', expressApp(express4 as unknown as typeof express5)],
  ['express5', expressApp(express5)],
  ['koa2', koaApp(Koa2 as unknown as typeof Koa3)],
  ['koa3', koaApp(Koa3)],
];

const BOUNDARY = 'ShieldBoundary7MA4YWxkTrZu0gW';
function multipart(fields: [string, string][], files: [string, Buffer][] = []): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  for (const [name, content] of files) {
    parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`));
    parts.push(content, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(parts);
}

/** Sends a body in chunks over a real socket, with or without Content-Length (chunked when without). */
function send(url: string, path: string, body: Buffer, withLength = true): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
    if (withLength) headers['content-length'] = String(body.length);
    const req = http.request(`${url}${path}`, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, json: text.startsWith('{') ? JSON.parse(text) : text });
      });
    });
    req.on('error', reject);
    // Several writes, so bytes arrive both before and after the body stage starts holding them.
    const step = Math.max(1, Math.ceil(body.length / 5));
    let offset = 0;
    const writeNext = (): void => {
      if (offset >= body.length) return void req.end();
      req.write(body.subarray(offset, offset + step));
      offset += step;
      setTimeout(writeNext, 2);
    };
    writeNext();
  });
}

const FILE = Buffer.alloc(200_000);
for (let i = 0; i < FILE.length; i++) FILE[i] = (i * 31) & 0xff;

for (const [name, build] of APPS) {
  describe(`multipart fields: ${name}`, () => {
    let plain: Running;
    let shielded: Running;
    beforeAll(async () => {
      plain = await build(undefined);
      shielded = await build(createShield({ payload: {}, routes: { 'POST /raw-upload': { payload: false } } }));
    });
    afterAll(async () => {
      await plain.close();
      await shielded.close();
    });

    it('benign fields and files reach the app\'s parser intact, as without the shield', async () => {
      // The file holds SQL-looking bytes: file contents are not inspected.
      const body = multipart([['title', 'Holiday photos'], ['tags', 'beach'], ['tags', 'sea']], [['photo', FILE], ['notes', Buffer.from("x' OR 1=1 --")]]);
      for (const withLength of [true, false]) {
        const [without, withShield] = await Promise.all([send(plain.url, '/upload', body, withLength), send(shielded.url, '/upload', body, withLength)]);
        expect(without.status).toBe(200);
        expect(withShield).toEqual(without);
        expect((withShield.json as Parsed).files[0]).toEqual(['photo', createHash('sha256').update(FILE).digest('hex'), FILE.length]);
      }
    });

    it('an attack in a field value is blocked before the app sees the body', async () => {
      for (const attack of ["1' UNION SELECT password FROM users--", '<script>alert(document.cookie)</script>']) {
        const body = multipart([['title', 'ok'], ['comment', attack]], [['photo', FILE]]);
        const [without, withShield] = await Promise.all([send(plain.url, '/upload', body), send(shielded.url, '/upload', body)]);
        expect((without.json as Parsed).fields).toContainEqual(['comment', attack]);
        expect(withShield.status).toBe(403);
      }
    });

    it('a field in UTF-16LE (declared by its part) is decoded as the app decodes it, and an attack in it blocked', async () => {
      const attack = "1' UNION SELECT password FROM users--";
      const body = Buffer.concat([
        Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="comment"\r\nContent-Type: text/plain; charset=utf-16le\r\n\r\n`),
        Buffer.from(attack, 'utf16le'),
        Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
      ]);
      const [without, withShield] = await Promise.all([send(plain.url, '/upload', body), send(shielded.url, '/upload', body)]);
      expect((without.json as Parsed).fields).toEqual([['comment', attack]]);
      expect(withShield.status).toBe(403);
    });

    it('a part whose Content-Disposition busboy cannot read is refused, not passed unread (lenient parsers read it)', async () => {
      // @fastify/multipart's parser hands `name="q"; x` to the app as field q; busboy 1.x skips the part silently.
      for (const disposition of ['form-data; name="q"; x', 'attachment; name="q"']) {
        const body = Buffer.concat([
          Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n\r\n1' UNION SELECT password FROM users--\r\n`),
          Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nok\r\n--${BOUNDARY}--\r\n`),
        ]);
        const res = await send(shielded.url, '/upload', body);
        expect([disposition, res.status, (res.json as { code?: string }).code]).toEqual([disposition, 400, 'payload_malformed']);
      }
    });

    it('a chunked multipart body over the shield\'s limit is refused while it is held', async () => {
      const big = multipart([['title', 'x']], [['photo', Buffer.alloc(1_200_000, 1)]]);
      const res = await send(shielded.url, '/upload', big, false);
      expect(res.status).toBe(413);
    });

    it('a payload:false route is never read by the shield: its fields are not inspected', async () => {
      const body = multipart([['comment', "1' UNION SELECT password FROM users--"]]);
      const res = await send(shielded.url, '/raw-upload', body);
      expect(res.status).toBe(200);
      expect((res.json as Parsed).fields).toEqual([['comment', "1' UNION SELECT password FROM users--"]]);
    });

    it('a login username sent as email[] (multer nests it: an array) is refused, not counted under no username', async () => {
      const login = await build(
        createShield({ credentials: {}, routes: { 'POST /upload': { token: false, credentials: { login: { username: 'body.email', password: 'body.password' } } } } }),
      );
      try {
        const bracketed = await send(login.url, '/upload', multipart([['email[]', 'victim@example.com'], ['password', 'guess']]));
        expect(bracketed.json).toMatchObject({ code: 'payload_malformed' });
        expect(bracketed.status).toBe(400);
        expect((bracketed.json as { code?: string }).code).toBe('payload_malformed');
        const flat = await send(login.url, '/upload', multipart([['email', 'victim@example.com'], ['password', 'guess']]));
        expect(flat.status).toBe(200);
      } finally {
        await login.close();
      }
    });
  });
}

describe('multipart fields behind a route-level shield (the route parses the body after it)', () => {
  const shieldOptions = { payload: { exclusions: [{ categories: ['xss' as const], targets: ['body.html'] }] } };
  const builders: [string, Builder][] = [
    ['express4', async (shield) => {
      const app = (express4 as unknown as typeof express5)();
      if (shield) app.use(expressShield(shield));
      if (shield) app.use(expressShieldBody(shield));
      const handlers: express5.RequestHandler[] = shield ? [expressShield(shield, shieldOptions) as unknown as express5.RequestHandler] : [];
      app.post('/upload', ...handlers, (req, res, next) => void parseMultipart(req).then((p) => res.json(p), next));
      return listen(http.createServer(app));
    }],
    ['koa3', async (shield) => {
      const app = new Koa3();
      const router = new Router();
      if (shield) app.use(koaShield(shield) as unknown as Koa3.Middleware);
      if (shield) app.use(koaShieldBody(shield) as unknown as Koa3.Middleware);
      const stack: RouterMiddleware[] = shield ? [koaShield(shield, shieldOptions) as unknown as RouterMiddleware] : [];
      router.post('/upload', ...stack, async (ctx) => {
        ctx.body = await parseMultipart(ctx.req);
      });
      app.use(router.routes());
      return listen(http.createServer(app.callback()));
    }],
  ];
  for (const [name, build] of builders) {
    it(`${name}: the route's options apply, attacks are blocked, the file reaches the route's parser intact`, async () => {
      const plain = await build(undefined);
      const shielded = await build(createShield({ payload: {} }));
      try {
        // Excluded on this route: HTML in body.html passes, with the file, as without the shield.
        const allowed = multipart([['html', '<b onmouseover=alert(1)>hi</b>']], [['photo', FILE]]);
        const [without, withShield] = await Promise.all([send(plain.url, '/upload', allowed), send(shielded.url, '/upload', allowed)]);
        expect(without.status).toBe(200);
        expect(withShield).toEqual(without);
        const attack = multipart([['comment', "1' UNION SELECT password FROM users--"]], [['photo', FILE]]);
        expect((await send(shielded.url, '/upload', attack)).status).toBe(403);
      } finally {
        await plain.close();
        await shielded.close();
      }
    });
  }
});
