/**
 * Two shield instances in two processes sharing one Redis (127.0.0.1:6379), through Express 5 and through Fastify 5:
 * a single-use token used on A is refused on B, a lockout reached through A holds on B, and a burst of concurrent
 * wrong guesses split across both lets at most the limit reach the password check (reserve-then-settle counting).
 */
import { describe } from 'vitest';
import { redisForTestFile } from '../stores/redis-helpers.js';
import { twoInstanceSuite } from './two-instances.js';
import { REDIS_LABEL, redisAnswers } from '../helpers/redis.js';

const { client: redis, prefix } = redisForTestFile('two');

describe.skipIf(!redisAnswers)(`one Redis at ${REDIS_LABEL}`, () => {
  twoInstanceSuite('one Redis', 'express', () => ({ REDIS_PREFIX: `${prefix}express:` }));
  twoInstanceSuite('one Redis', 'fastify', () => ({ REDIS_PREFIX: `${prefix}fastify:` }));
});
