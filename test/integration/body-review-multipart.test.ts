/**
 * Multipart parity, review: where the shield reads a form itself (its multipart parser runs later: @fastify/multipart
 * in the handler, multer on the route), it reads the fields with busboy, while the app's parser may be another one
 * (@fastify/busboy behind @fastify/multipart). Two spellings made them read the same part differently, over real
 * sockets, each with and without the shield (differential):
 *
 * - a field part declaring a charset busboy has no decoder for (`text/plain; charset=utf-16be`, `shift_jis`, any
 *   label): busboy hands `undefined` (the shield saw no value), @fastify/busboy the bytes as UTF-8: the attack
 *   reached the Fastify handler. Now refused 415 `unsupported_media_type` (multer's handler got `undefined`: no
 *   value it could use is lost);
 * - a file part naming its file twice (`filename="x"` and `filename*=UTF-8''y`): busboy reads `filename*` (RFC 6266),
 *   @fastify/busboy `filename`: a malicious name in `filename` reached the Fastify handler behind a benign
 *   `filename*`. Now every spelling of the name is inspected; .NET's MultipartFormDataContent sends both (the same
 *   name twice), so a benign upload from it still passes;
 * - a part naming itself twice (`name="a"; name*=utf-8''url`, `name="a"; name="url"`): busboy keeps `a`, @fastify/busboy
 *   `url`, and the rules that read a value by its name (a bare metadata host under `url`) saw it under `a`. Now a part
 *   is placed under every name it gives.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import multer from 'multer';
import fastify, { type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { createShield } from '../../src/shield.js';

const B = 'ReviewBoundary42';
const ATTACK = "x' UNION SELECT password FROM users--";

const part = (headers: string[], value: string | Buffer): Buffer =>
  Buffer.concat([Buffer.from(`--${B}\r\n${headers.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(value), Buffer.from('\r\n')]);
const form = (...parts: Buffer[]): Buffer => Buffer.concat([...parts, Buffer.from(`--${B}--\r\n`)]);
const field = (charset: string, value: string): Buffer =>
  part(['Content-Disposition: form-data; name="comment"', `Content-Type: text/plain; charset=${charset}`], value);
const file = (disposition: string): Buffer => part([`Content-Disposition: form-data; name="avatar"; ${disposition}`, 'Content-Type: image/png'], 'PNG');

/** Charsets busboy has no decoder for: the value is sent in UTF-8, as @fastify/busboy reads every such label. */
const UNREADABLE = ['utf-16be', 'shift_jis', 'iso-8859-15', 'utf-7', 'x-unknown'];
/** File names spelled twice: the malicious one where @fastify/busboy reads it. */
const TWICE = [
  `filename="../../../etc/passwd"; filename*=UTF-8''avatar.png`,
  `filename="<img src=x onerror=alert(1)>.png"; filename*=UTF-8''avatar.png`,
  `filename="x' union select password from users--.png"; filename*=utf-8''avatar.png`,
];

/** A value the shield denies under a URL-like name only (a bare metadata host), sent under two names. */
const METADATA = '169.254.169.254';
const RENAMED = [`name="note"; name*=utf-8''url`, `name="note"; name="url"`, `name="note"; name*=UTF-8''%75rl`];

interface App {
  url: string;
  close(): Promise<void>;
}

/** What the handler reads, part by part, with @fastify/multipart's `request.parts()`. */
async function fastifyApp(shielded: boolean): Promise<App> {
  const app: FastifyInstance = fastify();
  if (shielded) await app.register(fastifyShield as never, { shield: createShield({ payload: {} }) });
  await app.register(multipart);
  app.post('/upload', async (req) => {
    const got: unknown[] = [];
    for await (const p of req.parts()) {
      if (p.type === 'file') {
        await p.toBuffer();
        got.push([p.fieldname, p.filename]);
      } else got.push([p.fieldname, p.value]);
    }
    return { got };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
}

/** multer on the route, after an app-level body stage: the shield reads the form before multer does. */
async function expressApp(shielded: boolean): Promise<App> {
  const app = express();
  const shield = createShield({ payload: {} });
  if (shielded) app.use(expressShield(shield), express.json(), expressShieldBody(shield));
  app.post('/upload', multer({ storage: multer.memoryStorage() }).any(), (req, res) => {
    const files = (req.files as Express.Multer.File[]).map((f) => [f.fieldname, f.originalname]);
    res.json({ got: [...Object.entries(req.body as object), ...files] });
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function post(app: App, body: Buffer): Promise<{ status: number; got?: unknown; code?: string }> {
  const res = await fetch(`${app.url}/upload`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${B}` }, body });
  const json = (await res.json()) as { got?: unknown; code?: string };
  return { status: res.status, got: json.got, code: json.code };
}

const FRAMEWORKS: [string, (shielded: boolean) => Promise<App>][] = [
  ['Fastify 5 + @fastify/multipart', fastifyApp],
  ['Express 5 + multer on the route', expressApp],
];

for (const [name, start] of FRAMEWORKS) {
  describe(`multipart spellings the shield reads itself: ${name}`, () => {
    let plain: App;
    let shielded: App;
    beforeAll(async () => {
      [plain, shielded] = await Promise.all([start(false), start(true)]);
    });
    afterAll(async () => {
      await Promise.all([plain.close(), shielded.close()]);
    });

    it('a field in a charset busboy cannot decode is refused 415, whatever the app parser makes of it', async () => {
      const out: [string, number, string | undefined][] = [];
      let reached = 0;
      for (const charset of UNREADABLE) {
        const body = form(field(charset, ATTACK));
        const without = await post(plain, body);
        if (JSON.stringify(without.got).includes('UNION SELECT')) reached++;
        const withShield = await post(shielded, body);
        out.push([charset, withShield.status, withShield.code]);
      }
      expect(out).toEqual(UNREADABLE.map((c) => [c, 415, 'unsupported_media_type']));
      // Not vacuous: @fastify/busboy hands the attack to the unshielded handler under every label; multer `undefined`.
      expect(reached).toBe(name.startsWith('Fastify') ? UNREADABLE.length : 0);
    });

    it('a file named twice is denied when either spelling is malicious; the same benign name twice passes', async () => {
      const out: [string, number][] = [];
      let reached = 0;
      for (const disposition of TWICE) {
        const body = form(field('utf-8', 'holiday'), file(disposition));
        const without = await post(plain, body);
        if (!JSON.stringify(without.got).includes('avatar.png')) reached++;
        out.push([disposition, (await post(shielded, body)).status]);
      }
      expect(out).toEqual(TWICE.map((d) => [d, 403]));
      expect(reached).toBe(name.startsWith('Fastify') ? TWICE.length : 0);
      // .NET's MultipartFormDataContent: the same name in both parameters.
      const dotnet = form(field('utf-8', "O'Brien's holiday"), file(`filename=avatar.png; filename*=utf-8''avatar.png`));
      const [without, withShield] = [await post(plain, dotnet), await post(shielded, dotnet)];
      expect(withShield).toEqual(without);
      expect(withShield.status).toBe(200);
    });

    it('a part naming itself twice is read under every name: a bare metadata host under either is denied', async () => {
      const out: [string, number][] = [];
      let reached = 0;
      for (const disposition of RENAMED) {
        const body = form(part([`Content-Disposition: form-data; ${disposition}`], METADATA));
        const without = await post(plain, body);
        if (JSON.stringify(without.got).includes(`["url","${METADATA}"]`)) reached++;
        out.push([disposition, (await post(shielded, body)).status]);
      }
      expect(out).toEqual(RENAMED.map((d) => [d, 403]));
      expect(reached).toBe(name.startsWith('Fastify') ? RENAMED.length : 0);
      // The value alone under its plain name passes: the name decides, as in a JSON body.
      const plainName = form(part(['Content-Disposition: form-data; name="note"'], METADATA));
      expect((await post(shielded, plainName)).status).toBe(200);
    });
  });
}
