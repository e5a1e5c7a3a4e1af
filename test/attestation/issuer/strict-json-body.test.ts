/**
 * The attestation service reads its JSON bodies strictly, over real HTTP on every adapter:
 * - a key given twice in one object, at any depth (`{"installationId":"a","installationId":"b"}`), was read as the
 *   last one (`JSON.parse`), while a proxy or WAF in front may read the first: now 400 `payload_malformed`;
 * - objects and arrays nested deeper than 64 levels are 400 `payload_malformed` (never a 500, a 503 or a crash),
 *   whether the endpoint read the bytes or a framework parser ran first (express.json() with or without
 *   `captureRawBody()`: without, only depth can be checked; @koa/bodyparser, whose kept text is now handed over);
 * - the signed `clientData` inside a token request is read the same way (a `challenge` twice is 422 on `clientData`).
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import express from 'express';
import Koa from 'koa';
import { bodyParser } from '@koa/bodyparser';
import koaBodyParser from 'koa-bodyparser';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { expressEndpoints } from '../../../src/adapters/express.js';
import { captureRawBody } from '../../../src/adapters/express-body.js';
import { koaEndpoints } from '../../../src/adapters/koa.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import { listen } from '../../helpers/adapters.js';
import { ENDPOINT_ADAPTERS } from '../../helpers/endpoint-apps.js';
import { androidTokenBody, play, testService } from './fixtures.js';

const INSTALL = 'install-0001';
const nested = (levels: number, inner: string): string => '['.repeat(levels) + inner + ']'.repeat(levels);

/** Bodies the service must refuse 400 `payload_malformed`, each as raw JSON text. */
const REFUSED: readonly [string, string][] = [
  ['a key twice at the top', `{"installationId":"${INSTALL}","installationId":"other-0002"}`],
  ['a key twice, the second escaped', `{"installationId":"${INSTALL}","\\u0069nstallationId":"other-0002"}`],
  ['a key twice one level down', `{"keyId":"AAAA","x":{"a":1,"b":{"c":2},"a":3}}`],
  ['a key twice in an object in an array', `{"x":[1,{"n":"a","n":"b"}]}`],
  ['65 levels of nesting', `{"installationId":${nested(64, '1')}}`],
  ['5,000 levels of nesting', `{"installationId":${nested(5_000, '1')}}`],
  ['5,000 levels of nesting at the top', nested(5_000, '')],
];

function expectMalformed(res: request.Response): void {
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.code).toBe('payload_malformed');
}

describe('attestation service: JSON bodies read strictly', () => {
  it.each(ENDPOINT_ADAPTERS)('refuses duplicate keys and deep nesting with 400 problem+json ($name)', async (harness) => {
    const app = await harness.start({ endpoints: testService(new MemoryStore(), { maxBodyBytes: 32 * 1024 }) });
    try {
      for (const [what, body] of REFUSED) {
        const res = await request(app.url).post('/attest/challenge').set('content-type', 'application/json').send(body);
        expect({ what, status: res.status, code: res.body.code }).toEqual({ what, status: 400, code: 'payload_malformed' });
        expectMalformed(res);
      }
      // The same keys in sibling objects, and 64 levels, are fine (then judged by the schema as before).
      const ok = await request(app.url).post('/attest/challenge').set('content-type', 'application/json').send(`{"installationId":"${INSTALL}"}`);
      expect(ok.status).toBe(200);
      const siblings = await request(app.url).post('/attest/challenge').set('content-type', 'application/json').send('{"x":[{"a":1},{"a":2}],"y":{"a":1}}');
      expect([siblings.status, siblings.body.code]).toEqual([422, 'payload_invalid']);
      const deepButAllowed = await request(app.url).post('/attest/challenge').set('content-type', 'application/json').send(`{"x":${nested(63, '1')}}`);
      expect([deepButAllowed.status, deepButAllowed.body.code]).toEqual([422, 'payload_invalid']);
    } finally {
      await app.close();
    }
  });

  it('refuses them when express.json() parsed the body first (duplicates only when the bytes were kept)', async () => {
    for (const keep of [true, false]) {
      const app = express();
      app.use(express.json({ limit: '1mb', ...(keep ? { verify: captureRawBody() } : {}) }));
      app.use(expressEndpoints(testService(new MemoryStore(), { maxBodyBytes: 32 * 1024 })) as unknown as express.RequestHandler);
      const running = await listen(http.createServer(app));
      try {
        for (const [what, body] of REFUSED) {
          if (!keep && what.includes('twice')) continue; // express.json() kept the last; the text is gone
          const res = await request(running.url).post('/attest/challenge').set('content-type', 'application/json').send(body);
          expect({ keep, what, status: res.status, code: res.body.code }).toEqual({ keep, what, status: 400, code: 'payload_malformed' });
        }
      } finally {
        await running.close();
      }
    }
  });

  it.each([
    ['@koa/bodyparser', () => bodyParser({ jsonLimit: '1mb' })],
    ['koa-bodyparser', () => koaBodyParser({ jsonLimit: '1mb' })],
  ] as const)('refuses them when %s parsed the body first (it keeps the text)', async (_name, parser) => {
    const app = new Koa();
    app.use(parser() as unknown as Koa.Middleware);
    app.use(koaEndpoints(testService(new MemoryStore(), { maxBodyBytes: 32 * 1024 })));
    const running = await listen(http.createServer(app.callback()));
    try {
      for (const [what, body] of REFUSED) {
        const res = await request(running.url).post('/attest/challenge').set('content-type', 'application/json').send(body);
        expect({ what, status: res.status, code: res.body.code }).toEqual({ what, status: 400, code: 'payload_malformed' });
      }
    } finally {
      await running.close();
    }
  });

  it('reads the signed clientData strictly too: a challenge twice is 422 on clientData', async () => {
    const app = await ENDPOINT_ADAPTERS[0]!.start({ endpoints: testService(new MemoryStore()) });
    try {
      const { body: issued } = await request(app.url).post('/attest/challenge').send({}).expect(200);
      const good = await androidTokenBody({ challenge: issued.challenge });
      // A challenge twice, the issued one last (what JSON.parse keeps), signed by Play over the exact text: before,
      // a token was issued for client data another reader sees with another challenge.
      const clientData = `{"challenge":"${'A'.repeat(43)}","challenge":"${issued.challenge as string}"}`;
      const integrityToken = await play.token({ requestHash: createHash('sha256').update(clientData).digest('base64url') });
      const res = await request(app.url).post('/attest/android').send({ integrityToken, clientData });
      expect([res.status, res.body.code, res.body.fields]).toEqual([422, 'payload_invalid', ['clientData']]);
      // The well-formed request still gets its token.
      const ok = await request(app.url).post('/attest/android').send(good);
      expect(ok.status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
