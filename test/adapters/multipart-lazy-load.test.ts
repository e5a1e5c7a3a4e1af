/**
 * busboy is loaded with import() on the first multipart form the shield reads (most APIs never take one). If that
 * load fails, the read fails and the request is denied 503 `shield_unavailable`, never let through uninspected; a
 * JSON request is not affected. busboy is mocked here to fail loading.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createShield } from '../../src/shield.js';
import { ADAPTERS, type RunningApp, type TestRoute } from '../helpers/adapters.js';

vi.mock('busboy', () => {
  throw new Error('busboy could not be loaded');
});

const routes: TestRoute[] = [{ method: 'POST', path: '/form', respond: () => ({ status: 200, body: { ok: true } }) }];
const boundary = 'x-boundary-1';
const form = `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--${boundary}--\r\n`;

// Fastify refuses a content type it has no parser for (415) before any hook runs: it never reaches the shield's read.
for (const adapter of ADAPTERS.filter((a) => !a.name.startsWith('fastify'))) {
  describe(`multipart with busboy failing to load, through ${adapter.name}`, () => {
    let app: RunningApp;
    beforeAll(async () => {
      app = await adapter.start(createShield({ payload: {} }), routes);
    });
    afterAll(() => app.close());

    it('denies the multipart request 503 shield_unavailable (fail closed), twice (the load is retried, not cached as failed)', async () => {
      for (let i = 0; i < 2; i++) {
        const res = await request(app.server).post('/form').set('content-type', `multipart/form-data; boundary=${boundary}`).send(form);
        expect(res.status).toBe(503);
        expect(res.body.code).toBe('shield_unavailable');
      }
    });

    it('a JSON request does not need busboy', async () => {
      await request(app.server).post('/form').send({ note: 'hello' }).expect(200);
    });
  });
}
