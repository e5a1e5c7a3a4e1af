/**
 * express-formidable parses a multipart form at its closing boundary, before Node has read the end of a chunked body,
 * where trailer fields arrive: the body stage waits for the end of the stream, so the trailers are there to inspect.
 * Over real sockets (supertest sends no trailers), Express 4 and 5.
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import express5 from 'express';
import express4 from 'express4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { createShield } from '../../src/shield.js';
import { listen } from '../helpers/adapters.js';
import { chunkedWithTrailers, rawRequest } from '../helpers/raw-http.js';

// Untyped, as in payload-express-formidable.test.ts (its types clash with multer's global augmentation).
const formidable = createRequire(import.meta.url)('express-formidable') as () => express5.RequestHandler;

const FORM = '--b0und\r\nContent-Disposition: form-data; name="item"\r\n\r\nshoes\r\n--b0und--\r\n';
const HEADERS = { 'Content-Type': 'multipart/form-data; boundary=b0und', 'Transfer-Encoding': 'chunked' };

describe.each([
  ['express4', express4 as unknown as typeof express5],
  ['express5', express5],
])('express-formidable, a chunked form with trailer fields (%s)', (_name, factory) => {
  const seen: unknown[] = [];
  let port = 0;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const shield = createShield({ payload: { limits: { maxHeaderCount: 20 } } });
    const app = factory();
    app.use(expressShield(shield));
    app.use(formidable());
    app.use(expressShieldBody(shield));
    app.post('/orders', (req, res) => {
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

  it('passes the form with a benign trailer, which the handler reads', async () => {
    const res = await post([['X-Checksum', 'sha256-47DEQpj8HBSa']]);
    expect(res.status).toBe(200);
    expect(seen).toEqual([{ fields: { item: 'shoes' }, trailers: { 'x-checksum': 'sha256-47DEQpj8HBSa' } }]);
  });
});
