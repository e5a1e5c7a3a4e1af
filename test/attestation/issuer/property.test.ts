/**
 * Hostile input never makes the service crash, hang or answer 5xx: any JSON value (or raw bytes) on any route gets a
 * 4xx problem+json answer, and no such request is ever granted a token.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serveEndpoint } from '../../../src/core/endpoints.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import { testService } from './fixtures.js';

const service = testService(new MemoryStore(), { rateLimits: { ip: { limit: 1_000_000, windowMs: 60_000 }, device: { limit: 1_000_000, windowMs: 60_000 } } });
const postRoutes = service.routes.filter((r) => r.method === 'POST').map((r) => r.path);

/** Bodies shaped like the real ones, with every field replaced by arbitrary JSON now and then. */
const fieldValue = fc.oneof(fc.string({ maxLength: 80 }), fc.base64String({ maxLength: 120 }), fc.jsonValue({ maxDepth: 2 }));
const shapedBody = fc.record(
  {
    integrityToken: fieldValue,
    challenge: fc.oneof(fieldValue, fc.constant('A'.repeat(43))),
    keyId: fc.oneof(fieldValue, fc.constant(Buffer.alloc(32, 1).toString('base64'))),
    attestation: fieldValue,
    assertion: fieldValue,
    clientData: fc.oneof(fieldValue, fc.jsonValue().map((v) => JSON.stringify(v))),
    binding: fieldValue,
    installationId: fieldValue,
  },
  { requiredKeys: [] },
);

describe('attestation service under arbitrary input', () => {
  it('answers every JSON body on every route with a 4xx problem, never a token', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...postRoutes), fc.oneof(fc.jsonValue({ maxDepth: 3 }), shapedBody), async (path, body) => {
        const res = await serveEndpoint(service, {
          method: 'POST',
          path,
          query: '',
          headers: { 'content-type': 'application/json' },
          ip: '192.0.2.1',
          body: { kind: 'raw', bytes: Buffer.from(JSON.stringify(body) ?? '') },
        });
        if (path.endsWith('/challenge') && res.status === 200) return; // a challenge is fine to hand out
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(res.headers['content-type']).toBe('application/problem+json');
      }),
      { numRuns: 300 },
    );
  });

  it('answers arbitrary bytes with 400 or 415', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...postRoutes), fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.boolean(), async (path, bytes, json) => {
        const res = await serveEndpoint(service, {
          method: 'POST',
          path,
          query: '',
          headers: json ? { 'content-type': 'application/json' } : {},
          ip: '192.0.2.1',
          body: { kind: 'raw', bytes: Buffer.from(bytes) },
        });
        expect([200, 400, 415, 422]).toContain(res.status);
        if (res.status === 200) expect(path.endsWith('/challenge')).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses garbage evidence presented with a genuinely issued challenge (401 or 422, never 5xx)', async () => {
    const call = (path: string, body: unknown) =>
      serveEndpoint(service, {
        method: 'POST',
        path,
        query: '',
        headers: { 'content-type': 'application/json' },
        ip: '192.0.2.2',
        body: { kind: 'raw', bytes: Buffer.from(JSON.stringify(body)) },
      });
    const evidence = fc.oneof(fc.base64String({ minLength: 4, maxLength: 400 }), fc.string({ minLength: 1, maxLength: 200 }));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('android', 'ios/register', 'ios/token'), evidence, evidence, async (route, a, b) => {
        const { challenge } = (await call('/attest/challenge', {})).body as { challenge: string };
        const keyId = Buffer.from(a).subarray(0, 32).toString('base64') || 'AAAA';
        const body =
          route === 'android'
            ? { integrityToken: a, clientData: JSON.stringify({ challenge }) }
            : route === 'ios/register'
              ? { keyId, attestation: b, challenge }
              : { keyId, assertion: b, clientData: JSON.stringify({ challenge }) };
        const res = await call(`/attest/${route}`, body);
        expect([401, 422]).toContain(res.status);
      }),
      { numRuns: 150 },
    );
  });
});
