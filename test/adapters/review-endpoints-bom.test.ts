/**
 * A JSON body that starts with a UTF-8 byte-order mark: express.json(), @koa/bodyparser and Fastify's JSON parser all
 * accept it (RFC 8259 lets a parser ignore it), so the endpoints accept it too, whether they read the body themselves
 * (every adapter) or a framework parser ran first. Over real sockets.
 */
import http from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import { bodyParser } from '@koa/bodyparser';
import { describe, expect, it } from 'vitest';
import { expressEndpoints } from '../../src/adapters/express.js';
import { koaEndpoints } from '../../src/adapters/koa.js';
import type { Endpoints } from '../../src/core/endpoints.js';
import { listen, type RunningApp } from '../helpers/adapters.js';
import { ENDPOINT_ADAPTERS } from '../helpers/endpoint-apps.js';
import { rawRequest } from '../helpers/raw-http.js';

function echoEndpoints(): Endpoints {
  return {
    maxBodyBytes: 1024,
    routes: [{ method: 'POST', path: '/echo' }],
    async handle(req) {
      return { status: 200, headers: {}, body: { body: req.body ?? null } };
    },
  };
}

/** POSTs `body` (a BOM, then JSON) and returns status, content type and the parsed answer. */
async function postBom(app: RunningApp, body: string): Promise<[number, string | undefined, unknown]> {
  const res = await rawRequest(Number(new URL(app.url).port), 'POST', '/echo', { 'Content-Type': 'application/json' }, body);
  const text = Buffer.from(res.body, 'latin1').toString('utf8');
  return [res.status, res.headers['content-type']?.split(';')[0], JSON.parse(text) as unknown];
}

const FRAMEWORK_PARSED: readonly { name: string; own: string; start(): Promise<RunningApp> }[] = [
  ...([['express4', express4 as unknown as typeof express5], ['express5', express5]] as const).map(([name, express]) => ({
    name: `${name} + express.json()`,
    own: name,
    start: () => {
      const app = express();
      app.use(express.json());
      app.use(expressEndpoints(echoEndpoints()) as unknown as express5.RequestHandler);
      return listen(http.createServer(app));
    },
  })),
  ...([['koa2', Koa2 as unknown as typeof Koa3], ['koa3', Koa3]] as const).map(([name, Koa]) => ({
    name: `${name} + @koa/bodyparser`,
    own: name,
    start: () => {
      const app = new Koa();
      app.use(bodyParser() as unknown as Koa3.Middleware);
      app.use(koaEndpoints(echoEndpoints()) as unknown as Koa3.Middleware);
      return listen(http.createServer(app.callback()));
    },
  })),
];

describe('a JSON body with a leading UTF-8 BOM', () => {
  const bodies = ['\uFEFF{"a":1}', '\uFEFF[1,"é"]'];
  const expected = [{ a: 1 }, [1, 'é']];

  it.each(ENDPOINT_ADAPTERS)('is accepted when the endpoint reads the body itself ($name)', async (harness) => {
    const app = await harness.start({ endpoints: echoEndpoints() });
    try {
      for (const [i, body] of bodies.entries()) {
        expect(await postBom(app, body)).toEqual([200, 'application/json', { body: expected[i] }]);
      }
      // Only one BOM is ignored: a second is not JSON whitespace.
      const twice = await postBom(app, '\uFEFF\uFEFF{"a":1}');
      expect([twice[0], twice[1], (twice[2] as { code?: string }).code]).toEqual([400, 'application/problem+json', 'payload_malformed']);
    } finally {
      await app.close();
    }
  });

  it.each(FRAMEWORK_PARSED)('gets the same answer as when a framework parser ran first ($name)', async (harness) => {
    const parsed = await harness.start();
    const own = await ENDPOINT_ADAPTERS.find((h) => h.name === harness.own)!.start({ endpoints: echoEndpoints() });
    try {
      for (const [i, body] of bodies.entries()) {
        const viaParser = await postBom(parsed, body);
        expect(viaParser).toEqual([200, 'application/json', { body: expected[i] }]);
        expect(await postBom(own, body)).toEqual(viaParser);
      }
    } finally {
      await parsed.close();
      await own.close();
    }
  });
});
