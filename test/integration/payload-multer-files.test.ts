/**
 * Multipart file names when the app's multipart parser runs BEFORE the body stage (multer mounted ahead of
 * `expressShieldBody`, @koa/multer ahead of `koaShieldBody`). multer keeps each file's client-sent names outside the
 * body (`req.file` / `req.files`; @koa/multer: `ctx.file(s)`, `ctx.request.file(s)`), where the walk never looked: a
 * file name with markup or SQL reached the handler uninspected, while the shield's own multipart reader (the body
 * stage before the parser) denies it under `body.<part>.filename`. Real multer and @koa/multer over real sockets,
 * with `upload.single`, `upload.array`, `upload.any` and `upload.fields`; each verdict is compared with the own
 * reader's.
 */
import http from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import Koa213 from 'koa213';
import multer from 'multer';
import koaMulter from '@koa/multer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { koaShield, koaShieldBody } from '../../src/adapters/koa.js';
import { createShield, type Shield } from '../../src/shield.js';
import { listen, type RunningApp } from '../helpers/adapters.js';

const BOUNDARY = 'MulterFilesBoundary9Qx';
const XSS = '<script>alert(1)</script>.png';
const SQLI = "x' union select password from users--.png";
const MARKUP_NO_SLASH = '<img src=x onerror=alert(1)>.png';
const BENIGN = 'holiday photo 2024.jpg';
const CONTENT = Buffer.from('\x89PNG fake image bytes');

type Shape = 'single' | 'array' | 'any' | 'fields';
const SHAPES: readonly Shape[] = ['single', 'array', 'any', 'fields'];

/** The form each route takes; the file name under test is in the last file part (after a benign one for arrays). */
function form(shape: Shape, filename: string): Buffer {
  const field = (name: string, value: string): string => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const file = (name: string, fileName: string): string =>
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"; filename="${fileName}"\r\nContent-Type: image/png\r\n\r\n${CONTENT.toString('latin1')}\r\n`;
  const parts = [field('title', 'Holiday')];
  if (shape === 'single') parts.push(file('avatar', filename));
  if (shape === 'array' || shape === 'any') parts.push(file('photos', 'first.jpg'), file('photos', filename));
  if (shape === 'fields') parts.push(file('avatar', 'me.jpg'), file('photos', filename));
  return Buffer.from(parts.join('') + `--${BOUNDARY}--\r\n`, 'latin1');
}

interface Reply {
  status: number;
  type: string;
  json: { code?: string; body?: Record<string, unknown>; files?: [string, string, number][] };
}

function post(url: string, shape: Shape, body: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': String(body.length) };
    const req = http.request(`${url}/${shape}`, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), json: text.startsWith('{') ? JSON.parse(text) : {} });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What the handler reports: the fields it reads and each file multer handed it (part name, file name, size). */
function echo(body: unknown, file: unknown, files: unknown): NonNullable<Reply['json']> {
  const list = (file ? [file] : Array.isArray(files) ? files : Object.values((files ?? {}) as Record<string, unknown[]>).flat()) as Express.Multer.File[];
  return { body: { ...(body as object) }, files: list.map((f) => [f.fieldname, f.originalname, f.size]) };
}

/** A shield that keeps each denial's payload result (`rule@location`), to compare the two mountings by more than a code. */
function recordingShield(denials: string[]): Shield {
  return createShield({
    payload: {},
    onDeny: (decision) => {
      denials.push(decision.results.filter((r) => r.outcome === 'deny').map((r) => `${r.code}: ${r.detail}`).join('; '));
      return undefined;
    },
  });
}

/** `multerFirst`: the parser ahead of the body stage (the gap); otherwise on the routes, read by the shield first. */
type Builder = (shield: Shield, multerFirst: boolean, options?: multer.Options) => Promise<RunningApp>;

const expressApp = (factory: typeof express5): Builder => async (shield, multerFirst, options) => {
  const app = factory();
  const upload = multer(options);
  const parsers: Record<Shape, express5.RequestHandler> = {
    single: upload.single('avatar'),
    array: upload.array('photos', 3),
    any: upload.any(),
    fields: upload.fields([{ name: 'avatar', maxCount: 1 }, { name: 'photos', maxCount: 3 }]),
  };
  app.use(expressShield(shield));
  if (multerFirst) for (const shape of SHAPES) app.use(`/${shape}`, parsers[shape]);
  else app.use(factory.json());
  app.use(expressShieldBody(shield));
  for (const shape of SHAPES) {
    const handlers: express5.RequestHandler[] = multerFirst ? [] : [parsers[shape]];
    app.post(`/${shape}`, ...handlers, (req, res) => void res.json(echo(req.body, req.file, req.files)));
  }
  return listen(http.createServer(app));
};

const koaApp = (Koa: typeof Koa3): Builder => async (shield, multerFirst, options) => {
  const app = new Koa();
  const upload = koaMulter(options);
  const parsers: Record<Shape, Koa3.Middleware> = {
    single: upload.single('avatar'),
    array: upload.array('photos', 3),
    any: upload.any(),
    fields: upload.fields([{ name: 'avatar', maxCount: 1 }, { name: 'photos', maxCount: 3 }]),
  };
  const parse: Koa3.Middleware = (ctx, next) => {
    const parser = (parsers as Record<string, Koa3.Middleware | undefined>)[ctx.path.slice(1)];
    return parser ? parser(ctx, next) : next();
  };
  app.use(koaShield(shield) as unknown as Koa3.Middleware);
  if (multerFirst) app.use(parse);
  app.use(koaShieldBody(shield) as unknown as Koa3.Middleware);
  if (!multerFirst) app.use(parse);
  app.use((ctx) => {
    const c = ctx as unknown as { file?: unknown; files?: unknown; request: { body?: unknown } };
    ctx.body = echo(c.request.body, c.file, c.files);
  });
  return listen(http.createServer(app.callback()));
};

const APPS: readonly [string, Builder][] = [
  ['express4', expressApp(express4 as unknown as typeof express5)],
  ['express5', expressApp(express5)],
  ['koa2.13', koaApp(Koa213 as unknown as typeof Koa3)],
  ['koa2', koaApp(Koa2 as unknown as typeof Koa3)],
  ['koa3', koaApp(Koa3)],
];

for (const [name, build] of APPS) {
  describe(`multer before the body stage: ${name}`, () => {
    const multerDenials: string[] = [];
    const ownDenials: string[] = [];
    const keptDenials: string[] = [];
    let multerFirst: RunningApp;
    let ownReader: RunningApp;
    let keptPath: RunningApp;
    beforeAll(async () => {
      multerFirst = await build(recordingShield(multerDenials), true);
      ownReader = await build(recordingShield(ownDenials), false);
      // multer's `preservePath`: the file name as sent, path and all (by default multer keeps the base name only).
      keptPath = await build(recordingShield(keptDenials), true, { preservePath: true });
    });
    afterAll(async () => {
      await Promise.all([multerFirst.close(), ownReader.close(), keptPath.close()]);
    });

    for (const shape of SHAPES) {
      it(`upload.${shape}: SQL and markup in a file name are denied 403 payload_attack`, async () => {
        for (const filename of [SQLI, MARKUP_NO_SLASH]) {
          const res = await post(multerFirst.url, shape, form(shape, filename));
          expect([filename, res.status, res.type, res.json.code]).toEqual([filename, 403, 'application/problem+json', 'payload_attack']);
        }
      });

      it(`upload.${shape}: \`${XSS}\` as sent (multer's preservePath) is denied; multer's default keeps \`script>.png\``, async () => {
        const res = await post(keptPath.url, shape, form(shape, XSS));
        expect([res.status, res.type, res.json.code]).toEqual([403, 'application/problem+json', 'payload_attack']);
        // Read whole (`filename[0]`, beside its base name), where the shield's own reader puts the same part.
        const at = { single: 'avatar', array: 'photos[1]', any: 'photos[1]', fields: 'photos' }[shape];
        expect(keptDenials.at(-1)).toBe(`payload_attack: score 5/5: xss-script-tag@body.${at}.filename[0]`);
        // By default busboy (under multer) cuts the name after its last `/`: the handler reads, and the shield
        // inspects, `script>.png`, no markup (the shield's own reader, seeing the bytes, reads the name whole too).
        const cut = await post(multerFirst.url, shape, form(shape, XSS));
        expect([cut.status, cut.json.files?.at(-1)?.[1]]).toEqual([200, 'script>.png']);
      });

      it(`upload.${shape}: a benign file name passes and the handler gets the file and an unchanged body`, async () => {
        const res = await post(multerFirst.url, shape, form(shape, BENIGN));
        expect(res.status).toBe(200);
        expect(res.json.body).toEqual({ title: 'Holiday' });
        expect(res.json.files?.at(-1)).toEqual([shape === 'single' ? 'avatar' : 'photos', BENIGN, CONTENT.length]);
      });

      it(`upload.${shape}: the same verdict (status, code, rule and location) as the shield's own multipart reader`, async () => {
        for (const filename of [SQLI, MARKUP_NO_SLASH, BENIGN]) {
          const before = [multerDenials.length, ownDenials.length];
          const [viaMulter, viaOwn] = await Promise.all([post(multerFirst.url, shape, form(shape, filename)), post(ownReader.url, shape, form(shape, filename))]);
          expect([filename, viaMulter.status, viaMulter.json.code]).toEqual([filename, viaOwn.status, viaOwn.json.code]);
          expect(multerDenials.slice(before[0])).toEqual(ownDenials.slice(before[1]));
        }
        const [kept, own] = await Promise.all([post(keptPath.url, shape, form(shape, XSS)), post(ownReader.url, shape, form(shape, XSS))]);
        expect([kept.status, kept.json.code, keptDenials.at(-1)]).toEqual([own.status, own.json.code, ownDenials.at(-1)]);
      });
    }
  });
}

/**
 * What another middleware may leave in `req.file(s)` / `ctx.request.file(s)` after multer: never a crash. An entry
 * that is not an object has no names to read and is skipped; a multer file among such entries is still read.
 */
const SHAPE_CASES: readonly [string, { body?: unknown; file?: unknown; files?: unknown }, number][] = [
  ['files a string', { files: 'avatar.png' }, 200],
  ['files a number', { files: 42 }, 200],
  ['files an array of non-objects', { files: [null, 'x', 7, ['y']] }, 200],
  ['names that are not strings', { files: [{ fieldname: { a: 1 }, originalname: 42 }] }, 200],
  ['a list under a name that is not an array', { files: { photos: 'first.jpg' } }, 200],
  ['a multer file among junk', { files: [null, 'x', { fieldname: 'avatar', originalname: SQLI }] }, 403],
  ['one file instead of a list under a name', { files: { photos: { fieldname: 'photos', originalname: SQLI } } }, 403],
  ['a file whose fieldname is missing, under its name', { files: { photos: [{ originalname: MARKUP_NO_SLASH }] } }, 403],
  ['a body that is a string, beside a file', { body: 'caption', file: { fieldname: 'avatar', originalname: SQLI } }, 403],
  ['a body that is a string, beside a benign file', { body: 'caption', file: { fieldname: 'avatar', originalname: BENIGN } }, 200],
];

/** The form the shape cases send: one benign file, whatever the middleware after multer then puts in its place. */
const SHAPE_FORM = form('single', BENIGN);

describe('multer before the body stage: files of unexpected shapes', () => {
  let expressRunning: RunningApp;
  let koaRunning: RunningApp;
  beforeAll(async () => {
    const replace = (target: Record<string, unknown>, index: string): void => {
      const [, replacement] = SHAPE_CASES[Number(index)]!;
      delete target.file;
      delete target.files;
      Object.assign(target, replacement);
    };
    const shieldE = createShield({ payload: {} });
    const app = express5();
    app.use(expressShield(shieldE));
    app.use('/shape/:index', multer().single('avatar'), (req, _res, next) => {
      replace(req as unknown as Record<string, unknown>, req.params.index as string);
      next();
    });
    app.use(expressShieldBody(shieldE));
    app.post('/shape/:index', (_req, res) => void res.json({ ok: true }));
    expressRunning = await listen(http.createServer(app));

    const shieldK = createShield({ payload: {} });
    const koa = new Koa3();
    const single = koaMulter().single('avatar');
    koa.use(koaShield(shieldK) as unknown as Koa3.Middleware);
    koa.use((ctx, next) =>
      single(ctx, () => {
        replace(ctx.request as unknown as Record<string, unknown>, ctx.path.split('/')[2] ?? '');
        return next();
      }),
    );
    koa.use(koaShieldBody(shieldK) as unknown as Koa3.Middleware);
    koa.use((ctx) => {
      ctx.body = { ok: true };
    });
    koaRunning = await listen(http.createServer(koa.callback()));
  });
  afterAll(async () => {
    await Promise.all([expressRunning.close(), koaRunning.close()]);
  });

  it('answers each as the names it can read decide (Express and Koa), never 500', async () => {
    for (const running of [expressRunning, koaRunning]) {
      const out: [string, number][] = [];
      for (let i = 0; i < SHAPE_CASES.length; i++) out.push([SHAPE_CASES[i]![0], (await post(`${running.url}/shape`, i as unknown as Shape, SHAPE_FORM)).status]);
      expect(out).toEqual(SHAPE_CASES.map(([label, , status]) => [label, status]));
    }
  });

  it('a field named like a file part reaches the handler as multer built it (the inspected view is a copy)', async () => {
    const shield = createShield({ payload: {} });
    const app = express5();
    app.use(expressShield(shield));
    app.use(multer().fields([{ name: 'photos', maxCount: 3 }]));
    app.use(expressShieldBody(shield));
    app.post('/fields', (req, res) => void res.json(echo(req.body, req.file, req.files)));
    const running = await listen(http.createServer(app));
    try {
      // Two `photos` fields (an array in `req.body`) and two `photos` files: the view puts all four under `photos`.
      const field = (value: string): string => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="photos"\r\n\r\n${value}\r\n`;
      const file = (name: string): string => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="photos"; filename="${name}"\r\n\r\nxx\r\n`;
      const send = (last: string): Promise<Reply> => post(running.url, 'fields', Buffer.from(field('beach') + field('sea') + file('a.jpg') + file(last) + `--${BOUNDARY}--\r\n`));
      const ok = await send(BENIGN);
      expect([ok.status, ok.json.body, ok.json.files]).toEqual([200, { photos: ['beach', 'sea'] }, [['photos', 'a.jpg', 2], ['photos', BENIGN, 2]]]);
      expect((await send(SQLI)).status).toBe(403);
    } finally {
      await running.close();
    }
  });
});

describe('multer before the body stage: a body schema sees the file entries, as with the own reader', () => {
  const schemaShield = (): Shield =>
    createShield({
      payload: {},
      routes: {
        // No room for the file: refused 422 whichever reads the form.
        'POST /single': { payload: { body: z.strictObject({ title: z.string() }) } },
        // The files' names where the own reader puts them: passes both ways (and is the schema's to limit).
        'POST /fields': {
          payload: { body: z.object({ title: z.string(), avatar: z.object({ filename: z.string() }), photos: z.object({ filename: z.string().max(40) }) }) },
        },
      },
    });
  for (const [name, build] of [APPS[1]!, APPS[4]!]) {
    it(name, async () => {
      const apps = await Promise.all([build(schemaShield(), true), build(schemaShield(), false)]);
      try {
        const out: number[][] = [];
        for (const [shape, filename] of [['single', BENIGN], ['fields', BENIGN], ['fields', 'x'.repeat(41)]] as const) {
          out.push(await Promise.all(apps.map(async (app) => (await post(app.url, shape, form(shape, filename))).status)));
        }
        expect(out).toEqual([[422, 422], [200, 200], [422, 422]]);
      } finally {
        await Promise.all(apps.map((app) => app.close()));
      }
    });
  }
});
