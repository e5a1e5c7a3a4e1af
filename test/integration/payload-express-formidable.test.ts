/**
 * express-formidable ahead of the Express body stage: it parses JSON, urlencoded and multipart bodies into
 * `req.fields` (and files into `req.files`) and leaves `req.body` alone, so the body stage, which read `req.body`
 * only, saw no body: a handler reading `req.fields.q` got `' union select …` uninspected. Real express-formidable
 * over real HTTP (supertest), Express 4 and 5, with the global middleware ahead of the parser as the docs mount it.
 * The same bodies through the shield's own multipart reader / express.json() are the reference verdict.
 */
import { createRequire } from 'node:module';
import express5 from 'express';
import express4 from 'express4';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { createShield } from '../../src/shield.js';

// Loaded untyped: @types/express-formidable augments the global `Express.Request.files` with formidable's type,
// which would clash with @types/multer's in the one program tsc builds for all tests.
const formidable = createRequire(import.meta.url)('express-formidable') as (options?: Record<string, unknown>) => express5.RequestHandler;

const SQLI = "' union select password from users--";
const XSS_NAME = '<img src=x onerror=alert(1)>.png';
const BOUNDARY = 'FormidableBoundary7Zq';

type Extra = (app: express5.Express) => void;

interface Reply {
  fields?: Record<string, unknown>;
  q?: unknown;
  files?: string[];
  code?: string;
}

function build(factory: typeof express5, before: Extra = () => {}, after: Extra = () => {}): express5.Express {
  const app = factory();
  const shield = createShield({ payload: {} });
  app.use(expressShield(shield));
  before(app);
  app.use(formidable({ multiples: true }));
  after(app);
  app.use(expressShieldBody(shield));
  app.post('/echo', (req, res) => {
    const r = req as unknown as { fields?: Record<string, unknown>; files?: Record<string, { name?: string } | { name?: string }[]> };
    const files = Object.values(r.files ?? {}).flatMap((f) => (Array.isArray(f) ? f : [f]).map((x) => String(x.name)));
    // `q` as the handler reads it (an own or an inherited property alike).
    res.json({ fields: { ...r.fields }, q: r.fields?.q, files });
  });
  return app;
}

function multipart(fields: Record<string, string>, files: Record<string, string> = {}): Buffer {
  let text = '';
  for (const [name, value] of Object.entries(fields)) text += `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  for (const [name, filename] of Object.entries(files)) {
    text += `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: image/png\r\n\r\nPNGDATA\r\n`;
  }
  return Buffer.from(`${text}--${BOUNDARY}--\r\n`, 'utf8');
}

const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;

async function post(app: express5.Express, type: string, body: string | Buffer): Promise<{ status: number; body: Reply; type: string }> {
  const res = await request(app).post('/echo').set('content-type', type).send(body);
  return { status: res.status, body: res.body as Reply, type: String(res.headers['content-type']) };
}

const VERSIONS: readonly [string, typeof express5][] = [
  ['express4', express4 as unknown as typeof express5],
  ['express5', express5],
];

for (const [name, factory] of VERSIONS) {
  describe(`express-formidable before the body stage: ${name}`, () => {
    const app = build(factory);

    it('benign JSON, urlencoded and multipart bodies reach the handler in req.fields, unchanged', async () => {
      const json = await post(app, 'application/json', JSON.stringify({ q: 'shoes', n: 2 }));
      expect([json.status, json.body.fields]).toEqual([200, { q: 'shoes', n: 2 }]);
      const form = await post(app, 'application/x-www-form-urlencoded', 'q=red+shoes&page=2');
      expect([form.status, form.body.fields]).toEqual([200, { q: 'red shoes', page: '2' }]);
      const parts = await post(app, MULTIPART, multipart({ q: 'shoes' }, { avatar: 'holiday photo.jpg' }));
      expect([parts.status, parts.body.fields, parts.body.files]).toEqual([200, { q: 'shoes' }, ['holiday photo.jpg']]);
    });

    const attacks: [string, string, string | Buffer][] = [
      ['JSON', 'application/json', JSON.stringify({ q: SQLI })],
      ['nested JSON', 'application/json', JSON.stringify({ filter: { q: SQLI } })],
      ['urlencoded', 'application/x-www-form-urlencoded', `q=${encodeURIComponent(SQLI)}`],
      ['a multipart field', MULTIPART, multipart({ q: SQLI })],
      // formidable picks its parser by a substring of the type: this body is parsed as JSON into req.fields.
      ['JSON under a type formidable matches loosely (text/plain; x=json)', 'text/plain; x=json', JSON.stringify({ q: SQLI })],
      ['a multipart form under a type formidable matches loosely', `text/plain; x=multipart; boundary=${BOUNDARY}`, multipart({ q: SQLI })],
      // formidable assigns each JSON key with `fields[key] = value`: `__proto__` becomes the prototype of
      // req.fields, so `req.fields.q` reads the attack although req.fields has no own key `q`.
      ['JSON under __proto__ (an inherited req.fields.q)', 'application/json', '{"__proto__":{"q":"' + SQLI + '"}}'],
    ];
    for (const [what, type, body] of attacks) {
      it(`SQL in ${what} is denied 403 payload_attack`, async () => {
        const res = await post(app, type, body);
        expect([res.status, res.type, res.body.code]).toEqual([403, 'application/problem+json', 'payload_attack']);
      });
    }

    it('the __proto__ spelling does reach the handler as req.fields.q without the shield (the attack is real)', async () => {
      const bare = factory();
      bare.use(formidable());
      bare.post('/echo', (req, res) => void res.json({ q: (req as unknown as { fields: { q?: unknown } }).fields.q }));
      const res = await request(bare).post('/echo').set('content-type', 'application/json').send('{"__proto__":{"q":"' + SQLI + '"}}');
      expect(res.body).toEqual({ q: SQLI });
    });

    it('markup in a file name in req.files is denied 403 payload_attack, single and repeated parts', async () => {
      for (const body of [multipart({ title: 'x' }, { avatar: XSS_NAME }), multipart({}, { avatar: 'a.png', photo: XSS_NAME })]) {
        const res = await post(app, MULTIPART, body);
        expect([res.status, res.body.code]).toEqual([403, 'payload_attack']);
      }
    });

    it('an octet-stream body (one file, named from x-file-name, in req.files.file) passes with its name read', async () => {
      // req.fields is {} and req.body unset: read as no fields rather than as a body kept elsewhere (415).
      const res = await request(app).post('/echo').set('content-type', 'application/octet-stream').set('x-file-name', 'photo.png').send('PNGDATA');
      expect([res.status, (res.body as Reply).fields, (res.body as Reply).files]).toEqual([200, {}, ['photo.png']]);
    });

    it('a type formidable does not parse (text/plain, XML, none) reaches no handler: it hands next() an error', async () => {
      // Why the body stage reads req.fields for formidable's types only (formidableMayParse).
      const strict = build(factory);
      let handled = 0;
      strict.post('/plain', () => void (handled += 1));
      strict.use((_err: unknown, _req: express5.Request, res: express5.Response, _next: express5.NextFunction) => void res.status(400).json({ code: 'parser_error' }));
      for (const type of ['text/plain', 'application/xml', undefined]) {
        const req = request(strict).post('/plain');
        const res = await (type === undefined ? req.send(Buffer.from('q=1')) : req.set('content-type', type).send('q=1'));
        expect([type, res.status, (res.body as Reply).code]).toEqual([type, 400, 'parser_error']);
      }
      expect(handled).toBe(0);
    });

    it('with express.json()/urlencoded() mounted before formidable (Express 4 sets req.body to {}), req.fields is still read', async () => {
      const both = build(factory, (a) => {
        a.use(factory.json());
        a.use(factory.urlencoded({ extended: false }));
      });
      const res = await post(both, MULTIPART, multipart({ q: SQLI }));
      expect([res.status, res.body.code]).toEqual([403, 'payload_attack']);
      const ok = await post(both, MULTIPART, multipart({ q: 'shoes' }));
      expect([ok.status, ok.body.fields]).toEqual([200, { q: 'shoes' }]);
    });

    it('when req.body and req.fields are both set (the handler may read either), both are inspected', async () => {
      const bodyAttack = build(factory, undefined, (a) => a.use((req, _res, next) => ((req.body = { note: SQLI }), next())));
      expect((await post(bodyAttack, 'application/json', JSON.stringify({ q: 'shoes' }))).status).toBe(403);
      const fieldsAttack = build(factory, undefined, (a) => a.use((req, _res, next) => ((req.body = { note: 'fine' }), next())));
      expect((await post(fieldsAttack, 'application/json', JSON.stringify({ q: SQLI }))).status).toBe(403);
      const benign = await post(fieldsAttack, 'application/json', JSON.stringify({ q: 'shoes' }));
      expect([benign.status, benign.body.fields]).toEqual([200, { q: 'shoes' }]);
    });
  });
}

/**
 * The generic case: a parser read the stream to its end but kept the result where the shield does not look
 * (`req.body` unset, no `req.fields`). Before, the body stage saw an empty body and let the request through; the
 * handler could read the attack from wherever that parser put it. Now such a body counts as unread: 415.
 */
for (const [name, factory] of VERSIONS) {
  describe(`a parser that keeps the body elsewhere: ${name}`, () => {
    const shield = createShield({ payload: {} });
    const app = factory();
    app.use(expressShield(shield));
    app.use((req, _res, next) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        (req as unknown as { text: string }).text = Buffer.concat(chunks).toString('utf8');
        next();
      });
    });
    app.use(expressShieldBody(shield));
    app.post('/echo', (req, res) => void res.json({ text: (req as unknown as { text: string }).text }));
    app.get('/echo', (_req, res) => void res.json({ ok: true }));

    it('JSON, a form and a multipart form read into req.text are refused 415 unsupported_media_type, not passed', async () => {
      const bodies: [string, string | Buffer][] = [
        ['application/json', JSON.stringify({ q: SQLI })],
        ['application/x-www-form-urlencoded', `q=${encodeURIComponent(SQLI)}`],
        [MULTIPART, multipart({ q: SQLI })],
        ['application/json', JSON.stringify({ q: 'shoes' })],
      ];
      for (const [type, body] of bodies) {
        const res = await post(app, type, body);
        expect([type, res.status, res.type, res.body.code]).toEqual([type, 415, 'application/problem+json', 'unsupported_media_type']);
      }
    });

    it('a request without a body still passes', async () => {
      const res = await request(app).get('/echo');
      expect([res.status, res.body]).toEqual([200, { ok: true }]);
    });
  });
}

/** Where each denial is read (`rule@location`): where the shield's own multipart reader and express.json() read the same part. */
describe('express-formidable: the denial names the field as the handler reads it', () => {
  const denials: string[] = [];
  const shield = createShield({
    payload: {},
    onDeny: (decision) => {
      denials.push(decision.results.filter((r) => r.outcome === 'deny').map((r) => String(r.detail)).join('; '));
      return undefined;
    },
  });
  const app = express5();
  app.use(expressShield(shield));
  app.use(formidable());
  app.use(expressShieldBody(shield));
  app.post('/echo', (_req, res) => void res.json({}));

  it('a JSON field, a JSON key under __proto__ and a file name', async () => {
    await post(app, 'application/json', JSON.stringify({ q: SQLI }));
    await post(app, 'application/json', '{"__proto__":{"q":"' + SQLI + '"}}');
    await post(app, MULTIPART, multipart({ title: 'x' }, { avatar: XSS_NAME }));
    expect(denials).toHaveLength(3);
    expect(denials[0]).toMatch(/@body\.q(;|$)/);
    // Read under the key `__proto__` (the prototype-pollution rule names that key first).
    expect(denials[1]).toContain('@body.__proto__');
    expect(denials[2]).toMatch(/@body\.avatar\.filename(;|$)/);
  });
});
