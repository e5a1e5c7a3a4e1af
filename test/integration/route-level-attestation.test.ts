/**
 * A route-level check (Express and Koa route middleware; Fastify route config, the routes-table equivalent) that
 * changes the token options re-runs the token verifier: the device policy must judge that run's result, not the
 * global check's. Before, a token the route refused (binding, token in monitor mode) kept its claims clearing the
 * device policy, and a token the route relaxed kept being judged as refused.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { createShield, type Decision } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, type RunningApp, type TestRoute } from '../helpers/adapters.js';

const attester = createTestAttester({ header: 'approov-token' });
const respond = ({ decision }: { decision?: Decision }) => ({
  status: 200,
  body: { results: decision?.results.map((r) => `${r.verifier}:${r.outcome}:${r.code ?? ''}`), attested: decision?.attestation !== undefined },
});

for (const adapter of ADAPTERS) {
  describe(`route-level token options and the device verdict through ${adapter.name}`, () => {
    let stricter: RunningApp;
    let relaxed: RunningApp;
    beforeAll(async () => {
      // Token in monitor mode, binding off globally; the route binds the token to Authorization.
      stricter = await adapter.start(
        createShield({
          token: { ...approov({ secret: attester.secret as string }), binding: false, mode: 'monitor' },
          device: { tokenClaims: { level: 'MEETS_DEVICE_INTEGRITY' } },
        }),
        [{ method: 'GET', path: '/transfer', shield: { token: { binding: { headers: ['authorization'] } } }, respond } as TestRoute],
      );
      // Binding on globally (the preset), token in monitor mode; the login route turns binding off, as the docs
      // suggest before a session exists.
      relaxed = await adapter.start(
        createShield({
          token: { ...approov({ secret: attester.secret as string }), mode: 'monitor' },
          device: { tokenClaims: { level: 'MEETS_DEVICE_INTEGRITY' } },
        }),
        [{ method: 'POST', path: '/login', shield: { token: { binding: false } }, respond } as TestRoute],
      );
    });
    afterAll(async () => {
      await stricter.close();
      await relaxed.close();
    });

    it('a token the route refuses does not clear the device policy with its claims', async () => {
      const stolen = await attester.mint({ bindTo: 'Bearer alice' });
      const res = await request(stricter.server).get('/transfer').set({ 'approov-token': stolen, authorization: 'Bearer mallory' });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('device_untrusted');
      const own = await request(stricter.server).get('/transfer').set({ 'approov-token': stolen, authorization: 'Bearer alice' });
      expect(own.status).toBe(200);
      expect(own.body.attested).toBe(true);
    });

    it('a token the route accepts is judged as accepted', async () => {
      const unbound = await attester.mint({});
      const res = await request(relaxed.server).post('/login').set({ 'approov-token': unbound }).send({});
      expect(res.status).toBe(200);
      expect(res.body.results).toContain('device-risk:pass:');
    });
  });
}

describe('a route-level re-check that verifies the same token again keeps its attestation: later verifiers run once', () => {
  for (const adapter of ADAPTERS) {
    it(adapter.name, async () => {
      let runs = 0;
      const shield = createShield({
        // No verified-token cache: the re-check verifies the token again (as after an eviction or a key-set change).
        token: { ...approov({ secret: attester.secret as string }), binding: false, verifiedCacheSize: 0 },
        device: { tokenClaims: { level: 'MEETS_DEVICE_INTEGRITY' } },
        verifiers: [{ name: 'quota', stage: 'headers', verify: () => (runs++, { outcome: 'pass' }) }],
      });
      const app = await adapter.start(shield, [{ method: 'GET', path: '/orders', shield: { token: { binding: false, replay: false } }, respond } as TestRoute]);
      try {
        const token = await attester.mint({});
        for (let i = 0; i < 3; i++) expect((await request(app.server).get('/orders').set({ 'approov-token': token })).status).toBe(200);
        expect(runs).toBe(3);
      } finally {
        await app.close();
      }
    });
  }
});
