import net from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndpointRequest, Endpoints } from '../../src/core/endpoints.js';
import http from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import { expressEndpoints } from '../../src/adapters/express.js';
import { listen, type RunningApp } from '../helpers/adapters.js';
import { ENDPOINT_ADAPTERS } from '../helpers/endpoint-apps.js';
import { rawRequest } from '../helpers/raw-http.js';

/** An echo endpoint set: answers what it was given, and throws on /boom. */
function echoEndpoints(): Endpoints & { seen: EndpointRequest[] } {
  const seen: EndpointRequest[] = [];
  return {
    seen,
    maxBodyBytes: 1024,
    routes: [
      { method: 'GET', path: '/echo' },
      { method: 'POST', path: '/echo' },
      { method: 'POST', path: '/boom' },
    ],
    async handle(req) {
      seen.push(req);
      if (req.path === '/boom') throw new Error('store down');
      return {
        status: 200,
        headers: { 'cache-control': 'no-store', 'x-test': 'yes' },
        body: { method: req.method, path: req.path, q: req.query.get('q'), body: req.body ?? null, ip: req.ip },
      };
    },
  };
}

/** Sends raw bytes on a socket and returns the status line's code. */
function rawStatus(url: string, payload: string): Promise<number> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(payload));
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (m) {
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.on('error', reject);
  });
}

describe.each(ENDPOINT_ADAPTERS)('endpoints through $name', (harness) => {
  let app: RunningApp;
  let endpoints: ReturnType<typeof echoEndpoints>;
  beforeAll(async () => {
    endpoints = echoEndpoints();
    app = await harness.start({ endpoints });
  });
  afterAll(() => app.close());

  it('routes GET with its query and POST with its JSON body', async () => {
    const get = await request(app.url).get('/echo?q=hi');
    expect(get.status).toBe(200);
    expect(get.headers['x-test']).toBe('yes');
    expect(get.body).toMatchObject({ method: 'GET', path: '/echo', q: 'hi', body: null });
    expect(get.body.ip).toMatch(/127\.0\.0\.1/);
    const post = await request(app.url).post('/echo').send({ a: [1, 'x'] });
    expect(post.status).toBe(200);
    expect(post.body.body).toEqual({ a: [1, 'x'] });
    expect(endpoints.seen.at(-1)?.rawBody?.toString()).toBe('{"a":[1,"x"]}');
  });

  it('hands non-object JSON bodies to the handler as values (the handler schema-checks them)', async () => {
    const res = await request(app.url).post('/echo').set('content-type', 'application/json').send('[1,2]');
    expect(res.body.body).toEqual([1, 2]);
    const str = await request(app.url).post('/echo').set('content-type', 'application/json').send('"s"');
    expect(str.body.body).toBe('s');
  });

  it('answers malformed JSON 400 problem+json', async () => {
    const res = await request(app.url).post('/echo').set('content-type', 'application/json').send('{"a":');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('payload_malformed');
  });

  it('answers a non-JSON content type 415', async () => {
    const res = await request(app.url).post('/echo').set('content-type', 'text/plain').send('hello');
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('unsupported_media_type');
  });

  it('answers an oversized body 413 whether declared or streamed', async () => {
    const res = await request(app.url).post('/echo').send({ pad: 'x'.repeat(2000) });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('payload_too_large');
    const chunked = await rawStatus(
      app.url,
      `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n` +
        `800\r\n${'{'.padEnd(2048, ' ')}\r\n0\r\n\r\n`,
    );
    expect(chunked).toBe(413);
  });

  it('answers a method the path does not list 405 with Allow', async () => {
    const res = await request(app.url).put('/echo').send({});
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, POST');
    expect(res.body.code).toBe('method_not_allowed');
  });

  it('answers OPTIONS and TRACE 405 problem+json too (Fastify answered them its own 404)', async () => {
    for (const method of ['OPTIONS', 'TRACE']) {
      const res = await rawRequest(Number(new URL(app.url).port), method, '/echo');
      expect([method, res.status, res.headers['content-type']?.split(';')[0], JSON.parse(res.body).code]).toEqual([
        method,
        405,
        'application/problem+json',
        'method_not_allowed',
      ]);
    }
  });

  it('answers a handler that throws 503 shield_unavailable, not 500', async () => {
    const res = await request(app.url).post('/boom').send({});
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('shield_unavailable');
  });

  it('leaves other paths to the application', async () => {
    const res = await request(app.url).get('/other');
    expect(res.status).toBe(404);
    expect(endpoints.seen.some((r) => r.path === '/other')).toBe(false);
  });
});

describe.each(ENDPOINT_ADAPTERS.filter((h) => !h.name.startsWith('fastify')))(
  'endpoints after the framework parsed the body ($name)',
  (harness) => {
    it('uses the parsed body', async () => {
      const endpoints = echoEndpoints();
      const app = await harness.start({ endpoints, frameworkParsesJson: true });
      try {
        const res = await request(app.url).post('/echo').send({ k: 'v' });
        expect(res.status).toBe(200);
        expect(res.body.body).toEqual({ k: 'v' });
      } finally {
        await app.close();
      }
    });
  },
);

describe.each([
  ['fastify4', (await import('fastify4')).default as unknown as typeof import('fastify').default],
  ['fastify5', (await import('fastify')).default],
])('fastifyEndpoints encapsulation (%s)', (_name, factory) => {
  it("leaves the application's own parsers and error handling alone", async () => {
    const { fastifyEndpoints } = await import('../../src/adapters/fastify.js');
    const app = factory();
    await app.register(fastifyEndpoints as never, { endpoints: echoEndpoints() });
    app.post('/app', async (req) => ({ got: req.body }));
    try {
      const own = await app.inject({ method: 'POST', url: '/app', payload: { a: 1 } });
      expect(own.json()).toEqual({ got: { a: 1 } });
      // Fastify's own JSON error on the app's route, our problem+json on the endpoint's.
      const bad = await app.inject({ method: 'POST', url: '/app', headers: { 'content-type': 'application/json' }, payload: '{' });
      expect(bad.statusCode).toBe(400);
      expect(bad.headers['content-type']).not.toMatch(/problem\+json/);
      const ours = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{' });
      expect(ours.statusCode).toBe(400);
      expect(ours.headers['content-type']).toMatch(/^application\/problem\+json/);
    } finally {
      await app.close();
    }
  });
});

describe.each([
  ['express4', express4 as unknown as typeof express5],
  ['express5', express5],
])('endpoints behind the app\'s own body parser (%s)', (_name, express) => {
  it('a JSON string body stays a string (never parsed a second time); a text body is 415', async () => {
    const endpoints = echoEndpoints();
    const app = express();
    app.use(express.json({ strict: false }));
    app.use(express.text());
    app.use(expressEndpoints(endpoints));
    const running = await listen(http.createServer(app));
    try {
      const json = await request(running.url).post('/echo').set('content-type', 'application/json').send(JSON.stringify('{"a":1}'));
      expect([json.status, json.body.body]).toEqual([200, '{"a":1}']);
      const text = await request(running.url).post('/echo').set('content-type', 'text/plain').send('{"a":1}');
      expect([text.status, text.body.code]).toEqual([415, 'unsupported_media_type']);
    } finally {
      await running.close();
    }
  });

  it('a text parser taking every type ahead of the endpoints: its copy of a JSON body is parsed as JSON', async () => {
    const app = express();
    app.use(express.text({ type: '*/*' }));
    app.use(expressEndpoints(echoEndpoints()));
    const running = await listen(http.createServer(app));
    try {
      const json = await request(running.url).post('/echo').set('content-type', 'application/json').send('{"a":1}');
      expect([json.status, json.body.body]).toEqual([200, { a: 1 }]);
    } finally {
      await running.close();
    }
  });
});
