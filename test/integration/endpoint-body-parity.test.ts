/**
 * The endpoints the library serves (attestation service, pin-failure reports, any `Endpoints` set) answer the same
 * request the same way whether they read the body themselves or a framework parser ran first: express.json()
 * (with and without `verify: captureRawBody()`), @koa/bodyparser, koa-bodyparser, and Fastify (whose own JSON parser,
 * which answers an empty JSON body 400, never runs on the endpoint routes). Over real sockets, Express 4/5, Koa 2/3,
 * Fastify 4/5. An empty body reaches the handler as no body (express.json() and the Koa parsers made it `{}`); a
 * gzip or deflate body is decoded within maxBodyBytes (the endpoint reading it answered 415 where the parsers decoded
 * it); a body is measured by its bytes when they are observable (express.json() with captureRawBody() measured a
 * whitespace-padded chunked body by its re-serialised value); a non-UTF-8 charset is 415 whatever decoded it.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { deflateSync, gzipSync } from 'node:zlib';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import { bodyParser } from '@koa/bodyparser';
import koaBodyParser from 'koa-bodyparser';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { describe, expect, it } from 'vitest';
import { captureRawBody, expressEndpoints } from '../../src/adapters/express.js';
import { koaEndpoints } from '../../src/adapters/koa.js';
import { fastifyEndpoints } from '../../src/adapters/fastify.js';
import { createPinReportEndpoint, type PinFailureEvent } from '../../src/channel/report-endpoint.js';
import type { Endpoints } from '../../src/core/endpoints.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { testService } from '../attestation/issuer/fixtures.js';
import { listen, type RunningApp } from '../helpers/adapters.js';

/** How the app reads bodies in front of the endpoints. `measured`: the body's bytes are observable to the endpoint. */
interface ParityApp {
  name: string;
  reads: 'endpoint' | 'parser';
  measured: boolean;
  start(endpoints: Endpoints): Promise<RunningApp>;
}

const EXPRESS = [['express4', express4 as unknown as typeof express5], ['express5', express5]] as const;
const KOA = [['koa2', Koa2 as unknown as typeof Koa3], ['koa3', Koa3]] as const;
const FASTIFY = [['fastify4', fastify4 as unknown as typeof fastify5], ['fastify5', fastify5]] as const;

const APPS: readonly ParityApp[] = [
  ...EXPRESS.flatMap(([name, express]) =>
    ([
      ['', undefined],
      ['+express.json()', () => express.json()],
      ['+express.json(captureRawBody)', () => express.json({ verify: captureRawBody() })],
    ] as const).map(([label, parser]): ParityApp => ({
      name: name + label,
      reads: parser ? 'parser' : 'endpoint',
      // express.json() keeps nothing of the bytes it read unless captureRawBody() keeps them.
      measured: label !== '+express.json()',
      start: (endpoints) => {
        const app = express();
        if (parser) app.use(parser());
        app.use(expressEndpoints(endpoints) as unknown as express5.RequestHandler);
        return listen(http.createServer(app));
      },
    })),
  ),
  ...KOA.flatMap(([name, Koa]) =>
    ([
      ['', undefined],
      ['+@koa/bodyparser', () => bodyParser()],
      ['+koa-bodyparser', () => koaBodyParser()],
    ] as const).map(([label, parser]): ParityApp => ({
      name: name + label,
      reads: parser ? 'parser' : 'endpoint',
      measured: true,
      start: (endpoints) => {
        const app = new Koa();
        if (parser) app.use(parser() as unknown as Koa3.Middleware);
        app.use(koaEndpoints(endpoints) as unknown as Koa3.Middleware);
        return listen(http.createServer(app.callback()));
      },
    })),
  ),
  ...FASTIFY.map(([name, fastify]): ParityApp => ({
    name,
    reads: 'endpoint',
    measured: true,
    start: async (endpoints) => {
      // The application's own routes keep Fastify's JSON parser; the endpoint routes have the plugin's.
      const app = fastify();
      app.post('/app', async (req) => ({ body: req.body }));
      await app.register(fastifyEndpoints as never, { endpoints });
      await app.listen({ port: 0, host: '127.0.0.1' });
      return { server: app.server, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: async () => void (await app.close()) };
    },
  })),
];

/** Echoes the body the handler was given; `(no body)` for undefined. Counts the calls. */
function echoEndpoints(): Endpoints & { calls: number } {
  const endpoints = {
    calls: 0,
    maxBodyBytes: 1024,
    routes: [{ method: 'POST' as const, path: '/echo' }],
    async handle(req: { body: unknown }) {
      endpoints.calls++;
      return { status: 200, headers: {}, body: { body: req.body === undefined ? '(no body)' : req.body } };
    },
  };
  return endpoints;
}

interface Answer {
  status: number;
  type: string;
  json: { code?: string; body?: unknown } | undefined;
}

/** Writes `head` (header lines, CRLF-terminated) and `body` bytes as given on a fresh socket; reads the answer. */
function send(port: number, path: string, head: string, body: Buffer = Buffer.alloc(0)): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const at = text.indexOf('\r\n\r\n');
      const headPart = text.slice(0, at);
      const type = /content-type: ([^\r\n;]*)/i.exec(headPart)?.[1] ?? '';
      let json: Answer['json'];
      try {
        json = JSON.parse(text.slice(at + 4)) as Answer['json'];
      } catch {
        json = undefined;
      }
      resolve({ status: Number(headPart.split(' ')[1]), type, json });
    });
    socket.write(Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${head}\r\n`), body]));
  });
}

/** A body with a Content-Length, and the headers given. */
const sized = (port: number, path: string, headers: string, body: Buffer) =>
  send(port, path, `${headers}Content-Length: ${body.length}\r\n`, body);
/** A body sent chunked (no Content-Length), in one chunk (none when empty). */
const chunked = (port: number, path: string, headers: string, body: Buffer) =>
  send(
    port,
    path,
    `${headers}Transfer-Encoding: chunked\r\n`,
    Buffer.concat([body.length > 0 ? Buffer.from(`${body.length.toString(16)}\r\n`) : Buffer.alloc(0), body, Buffer.from(body.length > 0 ? '\r\n0\r\n\r\n' : '0\r\n\r\n')]),
  );

const JSON_TYPE = 'Content-Type: application/json\r\n';
const coded = (coding: string) => `${JSON_TYPE}Content-Encoding: ${coding}\r\n`;
const brief = (a: Answer) => [a.status, a.status === 200 ? a.json?.body : `${a.type} ${a.json?.code}`];
const problem = (status: number, code: string) => [status, `application/problem+json ${code}`];

async function withApp<T>(harness: ParityApp, endpoints: Endpoints, run: (port: number) => Promise<T>): Promise<T> {
  const app = await harness.start(endpoints);
  try {
    return await run(Number(new URL(app.url).port));
  } finally {
    await app.close();
  }
}

describe.each(APPS)('endpoint bodies, same answer whatever read them ($name)', (harness) => {
  it('hands an empty JSON body (Content-Length: 0) to the handler as no body, not {}', async () => {
    await withApp(harness, echoEndpoints(), async (port) => {
      expect(brief(await sized(port, '/echo', JSON_TYPE, Buffer.alloc(0)))).toEqual([200, '(no body)']);
      expect(brief(await sized(port, '/echo', JSON_TYPE, Buffer.from('{}')))).toEqual([200, {}]);
    });
  });

  it('decodes a gzip and a deflate JSON body, as express.json() and the Koa parsers do', async () => {
    await withApp(harness, echoEndpoints(), async (port) => {
      const json = Buffer.from('{"a":[1,"é"]}');
      expect(brief(await sized(port, '/echo', coded('gzip'), gzipSync(json)))).toEqual([200, { a: [1, 'é'] }]);
      expect(brief(await sized(port, '/echo', coded('deflate'), deflateSync(json)))).toEqual([200, { a: [1, 'é'] }]);
      expect(brief(await chunked(port, '/echo', coded('gzip'), gzipSync(json)))).toEqual([200, { a: [1, 'é'] }]);
    });
  });

  it('holds the decoded body to maxBodyBytes: 413, handler not called', async () => {
    const endpoints = echoEndpoints();
    await withApp(harness, endpoints, async (port) => {
      // 2 kB of JSON in 40 bytes of gzip, and 50 kB in 100 (within express.json()'s own 100 kB limit).
      for (const size of [2_000, 50_000]) {
        const big = gzipSync(Buffer.from(JSON.stringify({ pad: 'x'.repeat(size) })));
        expect([size, ...brief(await sized(port, '/echo', coded('gzip'), big))]).toEqual([size, ...problem(413, 'payload_too_large')]);
      }
      expect(endpoints.calls).toBe(0);
    });
  });

  it('the pin-failure report endpoint accepts a gzipped report and refuses an empty one 422', async () => {
    const events: PinFailureEvent[] = [];
    const reports = createPinReportEndpoint({ onPinFailure: (e) => void events.push(e), store: new MemoryStore() });
    await withApp(harness, reports, async (port) => {
      const report = { hostname: 'api.example.com', 'known-pins': [`pin-sha256="${'A'.repeat(43)}="`] };
      const sent = await sized(port, '/pinning/report', coded('gzip'), gzipSync(JSON.stringify(report)));
      expect(sent.status).toBe(204);
      expect(events.map((e) => e.host)).toEqual(['api.example.com']);
      expect(brief(await sized(port, '/pinning/report', JSON_TYPE, Buffer.alloc(0)))).toEqual(problem(422, 'payload_invalid'));
    });
  });

  it('the attestation service reads a gzipped challenge request and an empty one alike', async () => {
    await withApp(harness, testService(new MemoryStore()), async (port) => {
      const empty = await sized(port, '/attest/challenge', JSON_TYPE, Buffer.alloc(0));
      const hinted = await sized(port, '/attest/challenge', coded('gzip'), gzipSync('{"installationId":"install-0001"}'));
      const unknown = await sized(port, '/attest/challenge', coded('deflate'), deflateSync('{"bogus":1}'));
      expect([empty.status, hinted.status, unknown.status, unknown.json?.code]).toEqual([200, 200, 422, 'payload_invalid']);
    });
  });
});

// The Koa parsers refuse a UTF-16 JSON body themselves (400 text/plain) before the endpoint runs; body-parser decodes it.
describe.each(APPS.filter((a) => !a.name.includes('bodyparser')))('endpoint body charsets ($name)', (harness) => {
  it('refuses a JSON body in a charset other than UTF-8 (415) even when a parser transcoded it', async () => {
    await withApp(harness, echoEndpoints(), async (port) => {
      const utf16 = Buffer.from('{"a":1}', 'utf16le');
      expect(brief(await sized(port, '/echo', 'Content-Type: application/json; charset=utf-16le\r\n', utf16))).toEqual(problem(415, 'unsupported_media_type'));
    });
  });

});

describe.each(APPS.filter((a) => a.measured))('endpoint bodies measured by their bytes ($name)', (harness) => {
  it('hands an empty chunked JSON body to the handler as no body', async () => {
    await withApp(harness, echoEndpoints(), async (port) => {
      expect(brief(await chunked(port, '/echo', JSON_TYPE, Buffer.alloc(0)))).toEqual([200, '(no body)']);
    });
  });

  it('answers a whitespace-padded body over maxBodyBytes 413, chunked or gzipped', async () => {
    const endpoints = echoEndpoints();
    await withApp(harness, endpoints, async (port) => {
      const padded = Buffer.from(`{"a":1}${' '.repeat(2048)}`);
      expect(brief(await chunked(port, '/echo', JSON_TYPE, padded))).toEqual(problem(413, 'payload_too_large'));
      expect(brief(await sized(port, '/echo', coded('gzip'), gzipSync(padded)))).toEqual(problem(413, 'payload_too_large'));
      expect(endpoints.calls).toBe(0);
      expect(brief(await chunked(port, '/echo', JSON_TYPE, Buffer.from(`{"a":1}${' '.repeat(900)}`)))).toEqual([200, { a: 1 }]);
    });
  });
});

describe.each(APPS.filter((a) => a.reads === 'endpoint'))('content codings the endpoint decodes itself ($name)', (harness) => {
  it('stops a decompression bomb at maxBodyBytes (413), refuses a corrupt body 400 and an unknown coding 415', async () => {
    const endpoints = echoEndpoints();
    await withApp(harness, endpoints, async (port) => {
      // 1 MB of JSON in under 1 kB of gzip: within the limit as received, decoded only up to the limit.
      const bomb = gzipSync(Buffer.from(JSON.stringify({ pad: 'x'.repeat(1_000_000) })), { level: 9 });
      expect(bomb.length).toBeLessThan(1024);
      expect(brief(await sized(port, '/echo', coded('gzip'), bomb))).toEqual(problem(413, 'payload_too_large'));
      expect(brief(await sized(port, '/echo', coded('gzip'), Buffer.from('{"a":1}')))).toEqual(problem(400, 'payload_malformed'));
      // Names an object literal has by inheritance are not codings either.
      for (const coding of ['compress', 'zstd', 'constructor', 'toString', '__proto__', 'gzip, hasOwnProperty']) {
        expect([coding, ...brief(await sized(port, '/echo', coded(coding), Buffer.from('{"a":1}')))]).toEqual([coding, ...problem(415, 'unsupported_media_type')]);
      }
      expect(endpoints.calls).toBe(0);
      expect(brief(await sized(port, '/echo', coded('GZip, identity'), gzipSync('{"a":1}')))).toEqual([200, { a: 1 }]);
    });
  });
});

describe.each(EXPRESS)('a gzipped JSON string behind express.json({ strict: false }) (%s)', (_name, express) => {
  it('is the string value, as the endpoint reading it gets it, not parsed again into an object', async () => {
    const harness: ParityApp = {
      name: 'strict: false',
      reads: 'parser',
      measured: false,
      start: (endpoints) => {
        const app = express();
        app.use(express.json({ strict: false }));
        app.use(expressEndpoints(endpoints) as unknown as express5.RequestHandler);
        return listen(http.createServer(app));
      },
    };
    await withApp(harness, echoEndpoints(), async (port) => {
      const text = gzipSync(JSON.stringify('{"a":1}'));
      expect(brief(await sized(port, '/echo', coded('gzip'), text))).toEqual([200, '{"a":1}']);
      expect(brief(await chunked(port, '/echo', coded('gzip'), text))).toEqual([200, '{"a":1}']);
    });
  });
});
