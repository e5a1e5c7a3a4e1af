/**
 * A cached token's claims are one object shared by every request carrying the token: a handler that changes a
 * nested claim must not change what the next request with the same token sees (its claims, or the device verdict
 * judged from them). Through every adapter over HTTP: the nested claims are frozen, the write fails, and the next
 * request reads the token's own values and the same device decision.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { createShield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, type RunningApp, type TestRoute } from '../helpers/adapters.js';

const attester = createTestAttester({ header: 'approov-token' });

interface NestedClaims {
  dev?: { rooted?: boolean; tags?: string[] };
}

/** Reports the claims it was handed, then tries to change them as a careless handler would. */
const tamper: TestRoute['respond'] = ({ decision }) => {
  const claims = decision?.attestation?.claims as NestedClaims | undefined;
  const dev = claims?.dev;
  const seen = { rooted: dev?.rooted, tags: [...(dev?.tags ?? [])], device: decision?.device?.decision.action ?? null };
  const failed: string[] = [];
  const attempt = (name: string, write: () => void): void => {
    try {
      write();
    } catch (error) {
      if (error instanceof TypeError) failed.push(name);
      else throw error;
    }
  };
  attempt('nested', () => {
    (dev as { rooted?: boolean }).rooted = true;
  });
  attempt('array', () => {
    (dev?.tags as string[]).push('changed');
  });
  return { status: 200, body: { seen, failed, frozen: dev !== undefined && Object.isFrozen(dev) && Object.isFrozen(dev.tags) } };
};

for (const adapter of ADAPTERS) {
  describe(`a cached token's nested claims are frozen, through ${adapter.name}`, () => {
    let app: RunningApp;
    beforeAll(async () => {
      const shield = createShield({
        token: approov({ secret: attester.secret as string }),
        device: { tokenClaims: { signals: { 'dev.rooted': 'rooted' } } },
        routes: { 'GET /me': { token: { binding: false } } },
      } as unknown as Parameters<typeof createShield>[0]);
      app = await adapter.start(shield, [{ method: 'GET', path: '/me', respond: tamper }]);
    });
    afterAll(async () => {
      await app.close();
    });

    it('a handler cannot change what the next request with the same token sees', async () => {
      const token = await attester.mint({ claims: { dev: { rooted: false, tags: ['a'] } } });
      const first = await request(app.server).get('/me').set('approov-token', token);
      const second = await request(app.server).get('/me').set('approov-token', token);
      for (const res of [first, second]) {
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ seen: { rooted: false, tags: ['a'], device: 'allow' }, failed: ['nested', 'array'], frozen: true });
      }
    });
  });
}
