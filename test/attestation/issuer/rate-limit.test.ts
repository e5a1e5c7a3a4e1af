/**
 * The service's rate limiter under concurrency, on both stores: a burst from one IP key naming a new device per
 * request (the device hint is the client's choice) writes no more device counters than the IP key's budget admits.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createServiceRateLimiter } from '../../../src/attestation/issuer/rate-limit.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import { RedisStore } from '../../../src/stores/redis.js';
import type { Store } from '../../../src/stores/store.js';
import { redisClient } from '../../helpers/redis.js';
import { deletePrefix } from '../../stores/redis-helpers.js';

const client = redisClient();
const prefix = `mas-rl-${randomUUID()}:`;
afterAll(async () => {
  await deletePrefix(client, prefix);
  client.disconnect();
});

const LIMITS = { ip: { limit: 5, windowMs: 60_000 }, device: { limit: 2, windowMs: 60_000 } };

describe.each([
  ['MemoryStore', () => new MemoryStore()],
  ['RedisStore', () => new RedisStore({ client, prefix: `${prefix}${randomUUID()}:` })],
] as const)('%s', (_name, makeStore: () => Store) => {
  it('a burst naming 100 new devices from one IP key admits 5 and writes at most 5 device counters', async () => {
    const store = makeStore();
    const limiter = createServiceRateLimiter(store, 'svc:', LIMITS);
    const hints = Array.from({ length: 100 }, (_, i) => `i:install-${i}`);
    const answers = await Promise.all(hints.map((hint) => limiter.hit('challenge', '203.0.113.7', hint)));
    expect(answers.filter((a) => a === undefined)).toHaveLength(5);
    const written = await Promise.all(hints.map((hint) => store.get(`svc:rl:dev:challenge:${hint}:203.0.113.7`)));
    expect(written.filter((v) => v !== null && v !== undefined).length).toBeLessThanOrEqual(5);
  });

  it('one device repeating itself still takes nothing from the budget of the IP key', async () => {
    const limiter = createServiceRateLimiter(makeStore(), 'svc:', LIMITS);
    const repeats = await Promise.all(Array.from({ length: 20 }, () => limiter.hit('challenge', '203.0.113.8', 'i:busy')));
    expect(repeats.filter((a) => a === undefined)).toHaveLength(2); // its own limit
    const others = [];
    for (let i = 0; i < 3; i++) others.push(await limiter.hit('challenge', '203.0.113.8', `i:other-${i}`));
    expect(others).toEqual([undefined, undefined, undefined]); // 2 + 3 = the IP key's 5
    expect(await limiter.hit('challenge', '203.0.113.8', 'i:late')).toBeGreaterThan(0);
  });
});
