/**
 * Two shield instances in two processes sharing one Redis (127.0.0.1:6379), through Express 5 and through Fastify 5:
 * a single-use token used on A is refused on B, a lockout reached through A holds on B, and a burst of concurrent
 * wrong guesses split across both lets at most the limit reach the password check (reserve-then-settle counting).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { deletePrefix } from '../stores/redis-helpers.js';
import { twoInstanceSuite } from './two-instances.js';

const prefix = `mas-test-two-${randomUUID()}:`;
const redis = new Redis({ host: '127.0.0.1', port: 6379 });
afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

twoInstanceSuite('one Redis', 'express', () => ({ REDIS_PREFIX: `${prefix}express:` }));
twoInstanceSuite('one Redis', 'fastify', () => ({ REDIS_PREFIX: `${prefix}fastify:` }));
