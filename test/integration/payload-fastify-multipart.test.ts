/**
 * Fastify with the real @fastify/multipart, over real sockets: the shield checks the form the handler runs on, in
 * each of the plugin's modes (`request.parts()` / `request.file()` in the handler; `attachFieldsToBody: true` and
 * `'keyValues'`, where the plugin reads the whole form in a `preValidation` hook and calls the app's `onFile` there),
 * whichever plugin is registered first. A field value or a file name with SQL, markup or a traversal is denied with
 * the shield's problem+json before any multipart code of the app sees a part; a benign upload reaches the handler
 * with its file; the same requests without the shield reach the handler (the cases are attacks, not parse errors).
 *
 * Before the fix, with @fastify/multipart registered before the shield in an attach mode, its hook read the form
 * first: every benign upload was refused 413 (the walk followed the part objects' `fields` cycle and the file
 * streams' internals), and in `'keyValues'` mode a malicious file name passed, after the app's `onFile` had used it.
 */
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import busboy from 'busboy';
import fastify, { type FastifyInstance } from 'fastify';
import fastify4 from 'fastify4';
import fastify40 from 'fastify40';
import multipart, { type MultipartFile, type MultipartValue } from '@fastify/multipart';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { createShield } from '../../src/shield.js';

const BOUNDARY = 'FastifyMultipartBoundary7Zq';
const CONTENT = 'PNG fake image bytes';
const field = (name: string, value: string): string => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
const file = (name: string, filename: string): string =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: image/png\r\n\r\n${CONTENT}\r\n`;
const form = (...parts: string[]): Buffer => Buffer.from(parts.join('') + `--${BOUNDARY}--\r\n`);

const BENIGN = form(field('title', "O'Brien's holiday"), file('avatar', 'holiday photo 2024.jpg'));
const ATTACKS: [string, Buffer][] = [
  ['sqli in a field', form(field('title', "x' UNION SELECT password FROM users--"), file('avatar', 'a.png'))],
  ['xss in a field', form(field('title', '<script>alert(1)</script>'), file('avatar', 'a.png'))],
  ['sqli in a file name', form(field('title', 'ok'), file('avatar', "x' union select password from users--.png"))],
  ['xss in a file name', form(field('title', 'ok'), file('avatar', '<img src=x onerror=alert(1)>.png'))],
  ['traversal in a file name', form(field('title', 'ok'), file('avatar', '../../../etc/passwd'))],
];

type Mode = 'parts' | 'file' | 'attach' | 'keyValues';
type Order = 'shield first' | 'multipart first';

interface App {
  url: string;
  /** Each handler run, and each file name the app's `onFile` was handed (attach modes). */
  ran: string[];
  onFile: string[];
  close(): Promise<void>;
}

/** What the handler got: each field's value and each file's name and content, as the mode hands them over. */
async function handlerView(req: import('fastify').FastifyRequest, mode: Mode): Promise<unknown> {
  if (mode === 'parts') {
    const out: unknown[] = [];
    for await (const part of req.parts()) {
      out.push(part.type === 'file' ? [part.fieldname, part.filename, (await part.toBuffer()).toString()] : [part.fieldname, part.value]);
    }
    return out;
  }
  if (mode === 'file') {
    const part = await req.file();
    if (part === undefined) return null;
    const title = part.fields.title as MultipartValue | undefined; // the fields sent before the file
    return [title?.value, part.fieldname, part.filename, (await part.toBuffer()).toString()];
  }
  const body = req.body as Record<string, unknown>;
  if (mode === 'keyValues') return [body.title, Buffer.isBuffer(body.avatar) ? body.avatar.toString() : null];
  const avatar = body.avatar as MultipartFile;
  return [(body.title as MultipartValue).value, avatar.filename, (await avatar.toBuffer()).toString()];
}

async function start(mode: Mode, order: Order | 'no shield'): Promise<App> {
  const app: FastifyInstance = fastify();
  const ran: string[] = [];
  const onFile: string[] = [];
  const attach = mode === 'attach' ? true : mode === 'keyValues' ? 'keyValues' : undefined;
  const options =
    attach === undefined
      ? {}
      : {
          attachFieldsToBody: attach,
          // The app's own code, run inside @fastify/multipart's preValidation hook with each file part.
          async onFile(part: MultipartFile) {
            onFile.push(part.filename);
            await part.toBuffer();
          },
        };
  const shield = createShield({ payload: {} });
  if (order === 'shield first') await app.register(fastifyShield as never, { shield });
  await app.register(multipart, options as never);
  if (order === 'multipart first') await app.register(fastifyShield as never, { shield });
  app.post('/upload', async (req) => {
    ran.push(mode);
    return { got: await handlerView(req, mode) };
  });
  // A route that turns the payload shield off: its form reaches the app unread by the shield.
  app.post('/raw', { config: { shield: { payload: false } } }, async (req) => {
    ran.push(`raw ${mode}`);
    return { got: await handlerView(req, mode) };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/upload`;
  return { url, ran, onFile, close: () => app.close() };
}

async function post(app: App, body: Buffer, path = '/upload'): Promise<{ status: number; type: string; json: { code?: string; got?: unknown } }> {
  const res = await fetch(app.url.replace('/upload', path), { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body });
  return { status: res.status, type: (res.headers.get('content-type') ?? '').split(';')[0]!, json: (await res.json()) as { code?: string; got?: unknown } };
}

/** What the handler gets from the benign form in each mode. */
const BENIGN_SEEN: Record<Mode, unknown> = {
  parts: [['title', "O'Brien's holiday"], ['avatar', 'holiday photo 2024.jpg', CONTENT]],
  file: ["O'Brien's holiday", 'avatar', 'holiday photo 2024.jpg', CONTENT],
  attach: ["O'Brien's holiday", 'holiday photo 2024.jpg', CONTENT],
  keyValues: ["O'Brien's holiday", CONTENT],
};

const MODES: readonly Mode[] = ['parts', 'file', 'attach', 'keyValues'];
const ORDERS: readonly Order[] = ['shield first', 'multipart first'];

for (const mode of MODES) {
  for (const order of ORDERS) {
    describe(`@fastify/multipart (${mode}), ${order}`, () => {
      let app: App;
      beforeAll(async () => {
        app = await start(mode, order);
      });
      afterAll(() => app.close());
      beforeEach(() => {
        app.ran.length = 0;
        app.onFile.length = 0;
      });

      it('denies a malicious field value or file name with the payload problem, before the handler or onFile', async () => {
        const out: [string, number, string, string | undefined][] = [];
        for (const [label, body] of ATTACKS) {
          const res = await post(app, body);
          out.push([label, res.status, res.type, res.json.code]);
        }
        expect(out).toEqual(ATTACKS.map(([label]) => [label, 403, 'application/problem+json', 'payload_attack']));
        expect(app.ran).toEqual([]);
        // The file parts of the attacks on a field were never handed to the app's onFile either.
        expect(app.onFile).toEqual([]);
      });

      it('passes a benign upload: the handler gets the field and the file', async () => {
        const res = await post(app, BENIGN);
        expect([res.status, res.json.got]).toEqual([200, BENIGN_SEEN[mode]]);
        expect(app.ran).toEqual([mode]);
        expect(app.onFile).toEqual(mode === 'attach' || mode === 'keyValues' ? ['holiday photo 2024.jpg'] : []);
      });

      it('leaves the form of a route with `payload: false` to the app', async () => {
        const res = await post(app, ATTACKS[0]![1], '/raw');
        expect([res.status, app.ran]).toEqual([200, [`raw ${mode}`]]);
      });
    });
  }
}

describe('@fastify/multipart without the shield (differential)', () => {
  for (const mode of MODES) {
    it(`every attack reaches the handler (${mode})`, async () => {
      const app = await start(mode, 'no shield');
      try {
        const statuses: number[] = [];
        for (const [, body] of ATTACKS) statuses.push((await post(app, body)).status);
        expect(statuses).toEqual(ATTACKS.map(() => 200));
        expect(app.ran).toEqual(ATTACKS.map(() => mode));
      } finally {
        await app.close();
      }
    });
  }
});

/**
 * Fastify 4 (no @fastify/multipart release supports both majors here): a stand-in for its `attachFieldsToBody` mode,
 * registered before the shield, with the same two steps: a content-type parser that leaves the stream, and a
 * `preValidation` hook that reads the whole form and hands each file to the app's code (`onFile`).
 */
function readForm(raw: IncomingMessage, onFile: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const body: Record<string, unknown> = {};
    const parser = busboy({ headers: raw.headers as busboy.BusboyConfig['headers'], preservePath: true });
    parser.on('field', (name, value) => void (body[name] = value));
    parser.on('file', (name, stream, info) => {
      onFile.push(info.filename ?? '');
      body[name] = { filename: info.filename };
      stream.resume();
    });
    parser.on('close', () => resolve(body));
    parser.on('error', reject);
    raw.pipe(parser);
  });
}

/** Fastify 4's factory, typed with Fastify 5's instance (the calls made here are the same in both). */
type Factory = () => FastifyInstance;

for (const [name, make] of [['fastify4', fastify4 as unknown as Factory], ['fastify40', fastify40 as unknown as Factory]] as const) {
  describe(`a multipart plugin that reads the form in preValidation, registered first: ${name}`, () => {
    let app: App;
    beforeAll(async () => {
      const f = make();
      const ran: string[] = [];
      const onFile: string[] = [];
      const standIn = Object.assign(
        (instance: FastifyInstance, _options: unknown, done: () => void) => {
          instance.addContentTypeParser('multipart/form-data', (_req, _payload, next) => next(null));
          instance.addHook('preValidation', async (req) => {
            req.body = await readForm(req.raw, onFile);
          });
          done();
        },
        { [Symbol.for('skip-override')]: true },
      );
      await f.register(standIn as never);
      await f.register(fastifyShield as never, { shield: createShield({ payload: {} }) });
      f.post('/upload', async (req) => {
        ran.push(name);
        return { got: req.body };
      });
      await f.listen({ port: 0, host: '127.0.0.1' });
      app = { url: `http://127.0.0.1:${(f.server.address() as AddressInfo).port}/upload`, ran, onFile, close: () => f.close() };
    });
    afterAll(() => app.close());

    it('denies attacks before the plugin hands a file to the app, and passes a benign form', async () => {
      const out: [string, number, string | undefined][] = [];
      for (const [label, body] of ATTACKS) {
        const res = await post(app, body);
        out.push([label, res.status, res.json.code]);
      }
      expect(out).toEqual(ATTACKS.map(([label]) => [label, 403, 'payload_attack']));
      expect([app.ran, app.onFile]).toEqual([[], []]);
      const res = await post(app, BENIGN);
      expect([res.status, res.json.got]).toEqual([200, { title: "O'Brien's holiday", avatar: { filename: 'holiday photo 2024.jpg' } }]);
      expect(app.onFile).toEqual(['holiday photo 2024.jpg']);
    });
  });
}
