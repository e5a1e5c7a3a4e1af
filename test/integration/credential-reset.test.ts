/**
 * `shield.credentials.reset` end to end over real HTTP: on every adapter (MemoryStore) a username locked out on two
 * IP keys, an IP key over its budget and a device over its budget are unlocked by the reset and log in again; on one
 * real Redis, two shield instances share the counters, so a reset on one unlocks the other.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShieldConfigError } from '../../src/core/errors.js';
import { createShield, type Shield } from '../../src/shield.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { RedisStore } from '../../src/stores/redis.js';
import { ADAPTERS, type RunningApp } from '../helpers/adapters.js';
import { REDIS_LABEL, redisAnswers, redisClient } from '../helpers/redis.js';
import { deletePrefix } from '../stores/redis-helpers.js';
import { login, RESET_ROUTES, resetShield } from './credential-reset-helpers.js';

const PASSWORD = 'correct-password';
const routes = RESET_ROUTES;

for (const adapter of ADAPTERS) {
  describe(`credentials.reset through ${adapter.name}`, () => {
    let app: RunningApp;
    let shield: Shield;
    beforeAll(async () => {
      shield = resetShield(new MemoryStore());
      app = await adapter.start(shield, routes);
    });
    afterAll(() => app.close());

    it('a username locked out on two IP keys logs in again on both after reset({ username })', async () => {
      for (const ip of ['198.51.100.10', '203.0.113.10']) {
        for (let i = 0; i < 3; i++) expect(await login(app, 'alice@example.com', ip, `alice-${ip}`)).toBe(401);
        expect(await login(app, 'alice@example.com', ip, `alice-${ip}`, PASSWORD)).toBe(429);
      }
      await expect(shield.credentials.reset({ username: 'Alice@Example.com' })).resolves.toEqual({ cleared: ['username-locks'] });
      for (const ip of ['198.51.100.10', '203.0.113.10']) {
        expect(await login(app, 'alice@example.com', ip, `alice-${ip}`, PASSWORD)).toBe(200);
      }
    });

    it('an IP key over its failure budget logs in again after reset({ ip })', async () => {
      const ip = '198.51.100.20';
      for (let i = 0; i < 6; i++) expect(await login(app, `user${i}@example.com`, ip, `dev-ip-${i}`)).toBe(401);
      expect(await login(app, 'fresh@example.com', ip, 'dev-ip-fresh', PASSWORD)).toBe(429);
      await expect(shield.credentials.reset({ ip })).resolves.toMatchObject({ cleared: ['ip-failures', 'ip-usernames'], ipKey: ip });
      expect(await login(app, 'fresh@example.com', ip, 'dev-ip-fresh', PASSWORD)).toBe(200);
    });

    it('a device over its failure budget logs in again after reset({ device })', async () => {
      for (let i = 0; i < 4; i++) expect(await login(app, `d${i}@example.com`, `198.51.100.${30 + i}`, 'phone-1')).toBe(401);
      expect(await login(app, 'owner@example.com', '198.51.100.40', 'phone-1', PASSWORD)).toBe(429);
      await shield.credentials.reset({ device: 'phone-1' });
      expect(await login(app, 'owner@example.com', '198.51.100.40', 'phone-1', PASSWORD)).toBe(200);
    });

    it('a bad reset call throws instead of resetting nothing', async () => {
      await expect(shield.credentials.reset({} as never)).rejects.toThrow(TypeError);
      await expect(shield.credentials.reset({ username: 7 } as never)).rejects.toThrow(TypeError);
    });
  });
}

describe('credentials.reset on a shield without the credentials section', () => {
  it('rejects with ShieldConfigError', async () => {
    const shield = createShield({});
    await expect(shield.credentials.reset({ username: 'alice' })).rejects.toThrow(ShieldConfigError);
  });
});

describe.skipIf(!redisAnswers)(`credentials.reset with two shield instances sharing ${REDIS_LABEL}`, () => {
  const prefix = `mas-test-reset-${randomUUID()}:`;
  const clients = [redisClient(), redisClient()];
  const shields = clients.map((client) => resetShield(new RedisStore({ client, prefix })));
  let apps: RunningApp[] = [];
  const [express5, fastify5] = [ADAPTERS.find((a) => a.name === 'express5')!, ADAPTERS.find((a) => a.name === 'fastify5')!];
  beforeAll(async () => {
    apps = [await express5.start(shields[0]!, routes), await fastify5.start(shields[1]!, routes)];
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await deletePrefix(clients[0]!, prefix);
    for (const client of clients) client.disconnect();
  });

  it('a lockout reached through instance A holds on B; reset on B unlocks it on both', async () => {
    const [a, b] = apps as [RunningApp, RunningApp];
    for (let i = 0; i < 3; i++) expect(await login(a, 'bob@example.com', '198.51.100.50', 'bob-phone')).toBe(401);
    expect(await login(b, 'bob@example.com', '198.51.100.50', 'bob-phone', PASSWORD)).toBe(429);
    expect(await login(a, 'bob@example.com', '198.51.100.50', 'bob-phone', PASSWORD)).toBe(429);
    await shields[1]!.credentials.reset({ username: 'bob@example.com' });
    expect(await login(a, 'bob@example.com', '198.51.100.50', 'bob-phone', PASSWORD)).toBe(200);
    // Locked again through B (from a tablet: the phone's own budget is nearly spent), reset through A.
    for (let i = 0; i < 3; i++) expect(await login(b, 'bob@example.com', '198.51.100.50', 'bob-tablet')).toBe(401);
    expect(await login(a, 'bob@example.com', '198.51.100.50', 'bob-tablet', PASSWORD)).toBe(429);
    await shields[0]!.credentials.reset({ username: 'bob@example.com', ip: '198.51.100.50', device: 'bob-tablet' });
    expect(await login(b, 'bob@example.com', '198.51.100.50', 'bob-tablet', PASSWORD)).toBe(200);
  });

  it('IP and device resets are shared too', async () => {
    const [a, b] = apps as [RunningApp, RunningApp];
    for (let i = 0; i < 4; i++) expect(await login(a, `m${i}@example.com`, `198.51.100.${60 + i}`, 'shared-phone')).toBe(401);
    expect(await login(b, 'owner@example.com', '198.51.100.70', 'shared-phone', PASSWORD)).toBe(429);
    await shields[0]!.credentials.reset({ device: 'shared-phone' });
    expect(await login(b, 'owner@example.com', '198.51.100.70', 'shared-phone', PASSWORD)).toBe(200);
  });
});
