/**
 * Review (payload): a JSON document carried as a string (a multipart field such as the GraphQL multipart spec's
 * `operations`, a `text/plain` body as `navigator.sendBeacon` sends) is inspected for NoSQL operators
 * (`nosqli-operator-in-string`) but not for prototype-pollution keys: `{"__proto__":{...}}` passes there, while the
 * same document as a JSON body is denied. The handler JSON.parses the string and merges it.
 */
import http from 'node:http';
import busboy from 'busboy';
import express from 'express';
import fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { createShield } from '../../src/shield.js';
import { listen, type RunningApp } from '../helpers/adapters.js';

const BOUNDARY = 'ReviewBoundary123';
const POLLUTING = '{"__proto__":{"isAdmin":true}}';
const NOSQL = '{"password":{"$ne":null}}';

function send(url: string, path: string, type: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method: 'POST', headers: { 'content-type': type, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const multipart = (name: string, value: string): string =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n--${BOUNDARY}--\r\n`;

describe('review payload: JSON documents inside strings', () => {
  let expressApp: RunningApp;
  let fastifyUrl: string;
  let closeFastify: () => Promise<void>;
  beforeAll(async () => {
    const shield = createShield({ payload: {} });
    const a = express();
    a.use(expressShield(shield));
    a.use(express.json());
    a.use(expressShieldBody(shield));
    // The route's multipart parser runs after the body stage (as multer on the route does).
    a.post('/graphql', (req, res) => {
      const fields: Record<string, string> = {};
      const p = busboy({ headers: req.headers as busboy.BusboyConfig['headers'] });
      p.on('field', (n, v) => (fields[n] = v));
      p.on('close', () => res.json({ operations: JSON.parse(fields.operations ?? 'null') }));
      req.pipe(p);
    });
    expressApp = await listen(http.createServer(a));

    const f = fastify();
    await f.register(fastifyShield as never, { shield });
    f.post('/beacon', async (req) => ({ event: JSON.parse(req.body as string) })); // Fastify parses text/plain as a string
    await f.listen({ port: 0, host: '127.0.0.1' });
    fastifyUrl = `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
    closeFastify = async () => void (await f.close());
  });
  afterAll(async () => {
    await expressApp.close();
    await closeFastify();
  });

  it('control: the polluting document as a JSON body is denied; NoSQL operators in the string forms are denied', async () => {
    expect(await send(expressApp.url, '/graphql', 'application/json', POLLUTING)).toBe(403);
    expect(await send(expressApp.url, '/graphql', `multipart/form-data; boundary=${BOUNDARY}`, multipart('operations', NOSQL))).toBe(403);
    expect(await send(fastifyUrl, '/beacon', 'text/plain', NOSQL)).toBe(403);
  });

  it('the polluting document in a multipart field and in a text/plain body is denied too', async () => {
    const field = await send(expressApp.url, '/graphql', `multipart/form-data; boundary=${BOUNDARY}`, multipart('operations', POLLUTING));
    const text = await send(fastifyUrl, '/beacon', 'text/plain', POLLUTING);
    expect({ field, text }).toEqual({ field: 403, text: 403 });
  });
});
