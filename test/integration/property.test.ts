import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { createShield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, type RunningApp } from '../helpers/adapters.js';

const attester = createTestAttester({ header: 'approov-token' });
const shield = createShield({ token: { ...approov({ secret: attester.secret as string }), replay: true } });

/** Header values as Node accepts them on the wire: visible ASCII and spaces, no CR/LF. */
const headerValue = fc.string({ unit: fc.constantFrom(...' !"#$%&\'()*+,-./0123456789:;<=>?@ABCZabcz[\\]^_`{|}~'.split('')), maxLength: 300 });
const tokenLike = fc.oneof(
  headerValue,
  fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map((p) => p.join('.')),
  fc.constant('a.b.c'),
  fc.constant('e30.e30.'),
  fc.constant('eyJhbGciOiJub25lIn0.e30.'),
);

describe('property: arbitrary input never crashes the core', () => {
  it('check() always resolves to a well-formed decision', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 }))),
        tokenLike,
        fc.string(),
        fc.anything(),
        async (headers, token, path, body) => {
          const d = await shield.check({ method: 'POST', path: `/${path}`, ip: '127.0.0.1', headers: { ...headers, 'approov-token': token }, body });
          expect(typeof d.allowed).toBe('boolean');
          expect(typeof d.reference).toBe('string');
          if (!d.allowed) expect([401, 503]).toContain(d.status);
        },
      ),
      { numRuns: 400 },
    );
  });
});

for (const adapter of ADAPTERS.filter((a) => a.name === 'express5' || a.name === 'fastify5' || a.name === 'koa3')) {
  describe(`property: arbitrary headers and bodies over HTTP (${adapter.name})`, () => {
    let app: RunningApp;
    beforeAll(async () => {
      app = await adapter.start(shield, [{ method: 'POST', path: '/orders' }]);
    });
    afterAll(() => app.close());

    it('never answers 500 and always answers problem+json on denial', async () => {
      await fc.assert(
        fc.asyncProperty(tokenLike, headerValue, fc.string({ maxLength: 400 }), async (token, auth, body) => {
          const res = await request(app.server)
            .post('/orders')
            .set('approov-token', token)
            .set('authorization', auth)
            .set('content-type', 'text/plain')
            .send(body);
          expect(res.status).toBeLessThan(500);
          if (res.status === 401) expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        }),
        { numRuns: 60 },
      );
    });
  });
}
