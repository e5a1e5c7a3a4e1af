/**
 * Two instances of the attestation service behind one "load balancer", sharing one Redis (127.0.0.1:6379, unique key
 * prefix): a challenge issued by one is redeemed on the other exactly once, an App Attest key registered on one is
 * used on the other, the assertion counter never goes backwards across instances, and rate limits are shared.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import express from 'express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressEndpoints } from '../../src/adapters/express.js';
import type { AttestationServiceEvent } from '../../src/attestation/issuer/index.js';
import { RedisStore } from '../../src/stores/redis.js';
import { appAttestAssertion, appAttestDeviceKey } from '../../src/testing/index.js';
import { deletePrefix } from '../stores/redis-helpers.js';
import { androidTokenBody, apple, BUNDLE_ID, TEAM_ID, testService } from '../attestation/issuer/fixtures.js';
import { redisAnswers, redisClient } from '../helpers/redis.js';

const prefix = `mas-test-issuer-${randomUUID()}:`;
const clients: Redis[] = [];
const servers: http.Server[] = [];
const events: AttestationServiceEvent[] = [];
let a: string;
let b: string;

async function instance(): Promise<string> {
  // Each instance has its own connection, as separate processes would.
  const client = redisClient();
  clients.push(client);
  const service = testService(new RedisStore({ client, prefix }), {
    rateLimits: { ip: { limit: 1_000, windowMs: 60_000 }, device: { limit: 20, windowMs: 60_000 } },
    onEvent: (e) => void events.push(e),
  });
  const app = express();
  app.use(expressEndpoints(service) as unknown as express.RequestHandler);
  const server = http.createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  if (!redisAnswers) return;
  a = await instance();
  b = await instance();
});
afterAll(async () => {
  if (!redisAnswers) return;
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await deletePrefix(clients[0]!, prefix);
  for (const c of clients) c.disconnect();
});

const challengeFrom = async (url: string, hint: Record<string, string> = {}): Promise<string> =>
  (await request(url).post('/attest/challenge').send(hint).expect(200)).body.challenge as string;

describe.skipIf(!redisAnswers)('two attestation service instances on one Redis', () => {
  it('a challenge issued by A is redeemed on B, exactly once', async () => {
    const challenge = await challengeFrom(a);
    const first = await request(b).post('/attest/android').send(await androidTokenBody({ challenge }));
    expect(first.status).toBe(200);
    const again = await request(a).post('/attest/android').send(await androidTokenBody({ challenge }));
    expect(again.status).toBe(401);
    expect(again.body.code).toBe('attestation_challenge_invalid');
  });

  it('concurrent redemptions of one challenge on both instances: exactly one token', async () => {
    const challenge = await challengeFrom(a);
    const bodies = await Promise.all(Array.from({ length: 6 }, () => androidTokenBody({ challenge })));
    const statuses = await Promise.all(bodies.map((sent, i) => request(i % 2 ? a : b).post('/attest/android').send(sent).then((r) => r.status)));
    expect(statuses.sort()).toEqual([200, 401, 401, 401, 401, 401]);
  });

  it('a key registered on A asserts on B, and its counter never goes backwards across instances', async () => {
    const key = appAttestDeviceKey();
    const keyId = key.keyId.toString('base64');
    const registration = await challengeFrom(a);
    const attestation = apple.ca.attest(key, { teamId: TEAM_ID, bundleId: BUNDLE_ID, challenge: Buffer.from(registration) });
    await request(a)
      .post('/attest/ios/register')
      .send({ keyId, attestation: attestation.toString('base64'), challenge: registration })
      .expect(201);

    const assertAt = async (url: string, counter: number) => {
      const clientData = JSON.stringify({ challenge: await challengeFrom(url) });
      const assertion = appAttestAssertion(key, { teamId: TEAM_ID, bundleId: BUNDLE_ID, counter, clientData });
      return request(url).post('/attest/ios/token').send({ keyId, assertion: assertion.toString('base64'), clientData });
    };
    expect((await assertAt(b, 1)).status).toBe(200);
    const replayed = await assertAt(a, 1);
    expect(replayed.status).toBe(401);
    expect(events.some((e) => e.reason === 'counter_not_increasing')).toBe(true);
    expect((await assertAt(a, 5)).status).toBe(200);
    expect((await assertAt(b, 3)).status).toBe(401);

    // The same counter on both instances at once: one wins.
    const race = await Promise.all([assertAt(a, 9), assertAt(b, 9), assertAt(a, 9), assertAt(b, 9)]);
    expect(race.map((r) => r.status).sort()).toEqual([200, 401, 401, 401]);
  });

  it('shares the per-device rate limit across instances', async () => {
    const hint = { installationId: `install-${randomUUID()}` };
    for (let i = 0; i < 10; i++) {
      await challengeFrom(a, hint);
      await challengeFrom(b, hint);
    }
    expect((await request(a).post('/attest/challenge').send(hint)).status).toBe(429);
    expect((await request(b).post('/attest/challenge').send(hint)).status).toBe(429);
  });
});
