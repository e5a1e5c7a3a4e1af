/**
 * Where the Redis tests find Redis: `REDIS_URL` (default `redis://127.0.0.1:6379`). When nothing answers there, the
 * tests that need it skip with one line saying so, unless `MAS_REQUIRE_REDIS=1` (set by `.ci/run`, which starts a
 * Redis first), where a missing Redis is an error instead of a silent skip.
 */
import { Redis, type RedisOptions } from 'ioredis';

/** The Redis the tests use. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The URL without credentials, for messages (a password in REDIS_URL is never printed). */
export const REDIS_LABEL = (() => {
  try {
    const url = new URL(REDIS_URL);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return '(unparseable REDIS_URL)';
  }
})();

async function probe(): Promise<boolean> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Whether Redis answered PING when the test file loaded. */
export const redisAnswers: boolean = await probe();

if (!redisAnswers) {
  if (process.env.MAS_REQUIRE_REDIS === '1') {
    throw new Error(`Redis does not answer at ${REDIS_LABEL} and MAS_REQUIRE_REDIS=1: the Redis tests cannot run`);
  }
  console.warn(`Redis tests skipped: no Redis answers at ${REDIS_LABEL} (start one, or set REDIS_URL).`);
}

/** A client on {@link REDIS_URL}; commands fail fast instead of queueing while Redis is away. */
export function redisClient(options: RedisOptions = {}): Redis {
  // Lazy when Redis is absent, so a skipped file's client never tries (and logs) a connection.
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: !redisAnswers, ...options });
}
