/**
 * express-formidable mounted before the shield's check (on the route, before `expressShield(shield, {...})`, or before
 * the global `expressShield(shield)`): it parses a chunked multipart form at its closing boundary, before Node reads
 * the trailer fields after the last chunk. The check must wait for them (as the body stage does), or an attack in a
 * trailer reaches `req.trailers` uninspected. Over real sockets (supertest sends no trailers), Express 4 and 5.
 */
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import express5 from 'express';
import express4 from 'express4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { createShield, type Shield } from '../../src/shield.js';
import { listen } from '../helpers/adapters.js';
import { chunkedWithTrailers, rawRequest } from '../helpers/raw-http.js';

// Untyped, as in payload-express-formidable.test.ts (its types clash with multer's global augmentation).
const formidable = createRequire(import.meta.url)('express-formidable') as () => express5.RequestHandler;

const FORM = '--b0und\r\nContent-Disposition: form-data; name="item"\r\n\r\nshoes\r\n--b0und--\r\n';
const HEADERS = { 'Content-Type': 'multipart/form-data; boundary=b0und', 'Transfer-Encoding': 'chunked' };

type Mount = (app: express5.Express, shield: Shield, handler: express5.RequestHandler) => void;
const mounts: [string, Mount][] = [
  ['route-level check after the route parser', (app, shield, handler) => app.post('/orders', formidable(), expressShield(shield, {}), handler)],
  ['global check after an app-wide parser', (app, shield, handler) => {
    app.use(formidable());
    app.use(expressShield(shield));
    app.post('/orders', handler);
  }],
];

describe.each([
  ['express4', express4 as unknown as typeof express5],
  ['express5', express5],
])('express-formidable before the check, a chunked form with trailer fields (%s)', (_name, factory) => {
  describe.each(mounts)('%s', (_mount, mount) => {
    const seen: unknown[] = [];
    let port = 0;
    let close: () => Promise<void>;
    beforeAll(async () => {
      const shield = createShield({ payload: { limits: { maxHeaderCount: 20 } } });
      const app = factory() as unknown as express5.Express;
      mount(app, shield, (req, res) => {
        seen.push({ fields: { ...(req as unknown as { fields: object }).fields }, trailers: { ...req.trailers } });
        res.json({ ok: true });
      });
      const running = await listen(http.createServer(app));
      port = Number(new URL(running.url).port);
      close = running.close;
    });
    afterAll(() => close());

    const post = (trailers: readonly (readonly [string, string])[]) =>
      rawRequest(port, 'POST', '/orders', HEADERS, chunkedWithTrailers(FORM, trailers));

    it('denies an attack in a trailer 403 payload_attack, before the handler', async () => {
      const res = await post([['X-Evil', "' or 1=1--"]]);
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ code: 'payload_attack' });
      expect(seen).toEqual([]);
    });

    it('counts the trailer lines against maxHeaderCount: 413', async () => {
      const res = await post(Array.from({ length: 20 }, (_, i) => [`X-T${i}`, '1'] as const));
      expect(res.status).toBe(413);
      expect(seen).toEqual([]);
    });

    it('a client that leaves while the check waits for the end: no handler, no crash, the server still answers', async () => {
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', reject);
        const head = ['POST /orders HTTP/1.1', 'Host: api.example', ...Object.entries(HEADERS).map(([n, v]) => `${n}: ${v}`)];
        const chunk = `${Buffer.byteLength(FORM).toString(16)}\r\n${FORM}\r\n`;
        // The whole form, no last chunk: formidable calls back, the check waits; then the client goes.
        socket.write(`${head.join('\r\n')}\r\n\r\n${chunk}`, () => setTimeout(() => socket.destroy(), 100));
        socket.on('close', () => resolve());
      });
      const res = await post([['X-Checksum', 'sha256-47DEQpj8HBSa']]);
      expect(res.status).toBe(200);
      expect(seen).toEqual([{ fields: { item: 'shoes' }, trailers: { 'x-checksum': 'sha256-47DEQpj8HBSa' } }]);
      seen.length = 0;
    });
  });
});
