/**
 * Multipart file names kept outside the body by parsers other than multer, when the parser runs before the body stage
 * (differential, over real sockets). koa-body hands Koa handlers formidable's files (`ctx.request.files`, by field
 * name, each `{ originalFilename, newFilename, filepath, mimetype, size }`), express-fileupload hands Express handlers
 * `req.files` (by field name, each `{ name, data, size, mimetype, md5, mv }`). The shield read multer's `originalname`
 * only: a malicious client file name in those shapes reached the handler uninspected (the shield's own multipart reader
 * denies it). The stand-ins below parse with busboy and leave the files in each parser's documented shape, as the
 * Fastify 4 stand-in of payload-fastify-multipart.test.ts does (neither package is a dependency here).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import busboy from 'busboy';
import express from 'express';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { koaShield, koaShieldBody } from '../../src/adapters/koa.js';
import { createShield } from '../../src/shield.js';

interface ReadFile {
  field: string;
  filename: string;
  data: Buffer;
  mimetype: string;
}

/** Reads a form with busboy: fields by name (arrays, as formidable 3 gives them) and the files. */
function readForm(req: http.IncomingMessage): Promise<{ fields: Record<string, string[]>; files: ReadFile[] }> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string[]> = {};
    const files: ReadFile[] = [];
    const parser = busboy({ headers: req.headers as busboy.BusboyConfig['headers'] });
    parser.on('field', (name, value) => void (fields[name] ??= []).push(value));
    parser.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => files.push({ field, filename: info.filename ?? '', data: Buffer.concat(chunks), mimetype: info.mimeType }));
    });
    parser.on('close', () => resolve({ fields, files }));
    parser.on('error', reject);
    req.pipe(parser);
  });
}

/** formidable 2/3 (koa-body): `{ [field]: File[] }`, the client's name in `originalFilename`. */
const formidableFiles = (files: ReadFile[]) => {
  const out: Record<string, object[]> = {};
  files.forEach((f, i) => {
    (out[f.field] ??= []).push({ originalFilename: f.filename, newFilename: `upload_${i}`, filepath: `/tmp/upload_${i}`, mimetype: f.mimetype, size: f.data.length });
  });
  return out;
};

/** express-fileupload: `{ [field]: File | File[] }`, the client's name in `name`. */
const fileUploadFiles = (files: ReadFile[]) => {
  const out: Record<string, object | object[]> = {};
  for (const f of files) {
    const entry = { name: f.filename, data: f.data, size: f.data.length, mimetype: f.mimetype, md5: 'x', mv: () => undefined };
    const prior = out[f.field];
    out[f.field] = prior === undefined ? entry : Array.isArray(prior) ? [...prior, entry] : [prior, entry];
  }
  return out;
};

interface App {
  url: string;
  close(): Promise<void>;
}

async function listen(server: http.Server): Promise<App> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Koa with koa-body's shapes: the handler reads each file's `originalFilename`. */
function koaBodyApp(shielded: boolean): Promise<App> {
  const app = new Koa();
  const shield = createShield({ payload: {} });
  if (shielded) app.use(koaShield(shield));
  app.use(async (ctx, next) => {
    const { fields, files } = await readForm(ctx.req);
    Object.assign(ctx.request, { body: fields, files: formidableFiles(files) });
    await next();
  });
  if (shielded) app.use(koaShieldBody(shield));
  app.use((ctx) => {
    const files = (ctx.request as unknown as { files: Record<string, { originalFilename: string }[]> }).files;
    ctx.body = { names: Object.values(files).flat().map((f) => f.originalFilename) };
  });
  return listen(http.createServer(app.callback()));
}

/** Express with express-fileupload's shapes: the handler reads each file's `name`. */
function fileUploadApp(shielded: boolean): Promise<App> {
  const app = express();
  const shield = createShield({ payload: {} });
  if (shielded) app.use(expressShield(shield));
  app.use((req, _res, next) => {
    readForm(req).then(({ fields, files }) => {
      Object.assign(req, { body: fields, files: fileUploadFiles(files) });
      next();
    }, next);
  });
  if (shielded) app.use(expressShieldBody(shield));
  app.post('/upload', (req, res) => {
    const files = (req as unknown as { files: Record<string, { name: string } | { name: string }[]> }).files;
    res.json({ names: Object.values(files).flat().map((f) => f.name) });
  });
  return listen(http.createServer(app));
}

const B = 'ShapesBoundary';
const upload = (filenames: string[]): Buffer =>
  Buffer.from(
    `--${B}\r\nContent-Disposition: form-data; name="title"\r\n\r\nHoliday\r\n` +
      filenames.map((n) => `--${B}\r\nContent-Disposition: form-data; name="photos"; filename="${n}"\r\nContent-Type: image/png\r\n\r\nPNG\r\n`).join('') +
      `--${B}--\r\n`,
  );

const MALICIOUS = ['<img src=x onerror=alert(1)>.png', "x' union select password from users--.png", 'shell.php'];

async function post(app: App, body: Buffer): Promise<{ status: number; names?: string[] }> {
  const res = await fetch(`${app.url}/upload`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${B}` }, body });
  return { status: res.status, names: ((await res.json()) as { names?: string[] }).names };
}

for (const [name, start] of [
  ['Koa, koa-body (formidable) shapes', koaBodyApp],
  ['Express, express-fileupload shapes', fileUploadApp],
] as const) {
  describe(`client file names kept outside the body: ${name}`, () => {
    let plain: App;
    let shielded: App;
    beforeAll(async () => {
      [plain, shielded] = await Promise.all([start(false), start(true)]);
    });
    afterAll(async () => {
      await Promise.all([plain.close(), shielded.close()]);
    });

    it('a malicious file name (one file or the second of two) is denied; benign names reach the handler unchanged', async () => {
      const out: [string, number, number][] = [];
      for (const filename of MALICIOUS) {
        for (const names of [[filename], ['first.jpg', filename]]) {
          const without = await post(plain, upload(names));
          expect(without).toEqual({ status: 200, names });
          out.push([filename, names.length, (await post(shielded, upload(names))).status]);
        }
      }
      expect(out).toEqual(MALICIOUS.flatMap((f) => [[f, 1, 403], [f, 2, 403]]));
      const benign = upload(['holiday photo 2024.jpg', 'me.png']);
      expect(await post(shielded, benign)).toEqual(await post(plain, benign));
      expect((await post(shielded, benign)).status).toBe(200);
    });
  });
}
