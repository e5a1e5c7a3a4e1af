/**
 * The lower bound of the declared ioredis peer range (^5.0.0): the Store contract on RedisStore with an ioredis 5.0.0
 * client (installed as the `ioredis50` alias), so scripts, EVALSHA fallback, PX/NX and UNLINK are proven on it.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import Redis50 from 'ioredis50';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/stores/redis.js';
import { storeContract } from '../../src/testing/index.js';
import { REDIS_URL, redisAnswers } from '../helpers/redis.js';
import { deletePrefix } from './redis-helpers.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const prefix = `mas-test-ioredis50-${randomUUID()}:`;

describe.skipIf(!redisAnswers)('RedisStore with ioredis 5.0.0 (lowest supported)', () => {
  const client = new Redis50(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: !redisAnswers });
  afterAll(async () => {
    await deletePrefix(client as never, prefix);
    client.disconnect();
  });

  it('is really ioredis 5.0.0', () => {
    const version = (createRequire(import.meta.url)('ioredis50/package.json') as { version: string }).version;
    expect(version).toBe('5.0.0');
  });

  let n = 0;
  storeContract({
    makeStore: () => new RedisStore({ client: client as never, prefix, commandTimeoutMs: 2000 }),
    key: (name) => `${name}-${n++}`,
    sleep,
    test: it,
  });
});
