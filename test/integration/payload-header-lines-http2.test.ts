/**
 * An HTTP/2 client may send each cookie as a header field of its own (RFC 9113, 8.2.3); Node keeps every field in
 * `rawHeaders` and joins them into one `cookie` header. The header limits count those fields as one line, so a
 * browser-sized cookie jar is not refused 413 as a hundred headers.
 */
import fastify from 'fastify';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { createShield } from '../../src/shield.js';

describe('header limits over HTTP/2 (Fastify http2: true)', () => {
  let app: ReturnType<typeof fastify>;
  let port: number;
  beforeAll(async () => {
    app = fastify({ http2: true }) as never;
    await app.register(fastifyShield as never, { shield: createShield({ payload: {} }) });
    app.post('/orders', async (req: { headers: Record<string, unknown> }) => ({ cookies: String(req.headers.cookie).split('; ').length }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(() => app.close());

  /** One POST whose extra header fields are `fields` (an array value is sent as that many fields). */
  async function post(fields: Record<string, string | string[]>): Promise<{ status: number; body: string }> {
    const client = http2.connect(`http://127.0.0.1:${port}`);
    try {
      return await new Promise((resolve, reject) => {
        const stream = client.request({ ':method': 'POST', ':path': '/orders', 'content-type': 'application/json', ...fields });
        let body = '';
        let status = 0;
        stream.on('response', (headers) => void (status = Number(headers[':status'])));
        stream.on('data', (chunk: Buffer) => void (body += chunk.toString()));
        stream.on('end', () => resolve({ status, body }));
        stream.on('error', reject);
        stream.end('{"q":"shoes"}');
      });
    } finally {
      client.close();
    }
  }

  it('passes 110 cookies sent as separate fields', async () => {
    const crumbs = Array.from({ length: 110 }, (_, i) => `c${i}=v${i}`);
    expect(await post({ cookie: crumbs })).toEqual({ status: 200, body: '{"cookies":110}' });
  });

  it('still counts each field of another repeated name', async () => {
    const res = await post({ 'x-a': Array.from({ length: 110 }, () => '1') });
    expect(res.status).toBe(413);
    expect(res.body).toContain('payload_too_large');
  });
});
