/**
 * `shield.credentials.reset` on a real Redis Cluster (3 masters, `.ci/redis-cluster`): two shield instances share the
 * cluster; a username locked out through one (on two IP keys) is unlocked by a reset on the other, over HTTP. A
 * username's lock counters and its reset epoch share one slot (one script reads both), while different usernames
 * spread over the masters. Registered by redis-cluster.test.ts, which owns the cluster (it kills a master later, so
 * no other file may use the cluster at the same time).
 */
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Shield } from '../../src/shield.js';
import { RedisStore } from '../../src/stores/redis.js';
import { ADAPTERS, type RunningApp } from '../helpers/adapters.js';
import { login, RESET_ROUTES, resetShield } from '../integration/credential-reset-helpers.js';
import { clusterClient, deleteClusterPrefix, keySlot, masterPortOf } from './redis-cluster-helpers.js';

const PASSWORD = 'correct-password';

/** Registers the suite; the cluster must be up (the caller's beforeAll). Keys under `prefix`, deleted afterwards. */
export function clusterResetSuite(prefix: string): void {
  describe('credentials.reset on a 3-master Redis Cluster, two shield instances', () => {
    let clusters: Cluster[] = [];
    let shields: Shield[] = [];
    let apps: RunningApp[] = [];

    beforeAll(async () => {
      clusters = [clusterClient(), clusterClient()];
      await Promise.all(clusters.map((c) => c.ping()));
      shields = clusters.map((client) => resetShield(new RedisStore({ client, prefix, commandTimeoutMs: 2000 })));
      const express5 = ADAPTERS.find((a) => a.name === 'express5')!;
      const fastify5 = ADAPTERS.find((a) => a.name === 'fastify5')!;
      apps = [await express5.start(shields[0]!, RESET_ROUTES), await fastify5.start(shields[1]!, RESET_ROUTES)];
    }, 60_000);

    afterAll(async () => {
      await Promise.all(apps.map((app) => app.close()));
      await deleteClusterPrefix(clusters[0]!, prefix).catch(() => undefined);
      for (const c of clusters) c.disconnect();
    }, 60_000);

    it('a username locked out on two IP keys through A logs in again through B after a reset on B', async () => {
      const [a, b] = apps as [RunningApp, RunningApp];
      for (const ip of ['198.51.100.80', '203.0.113.80']) {
        for (let i = 0; i < 3; i++) expect(await login(a, 'carol@example.com', ip, `carol-${ip}`)).toBe(401);
        expect(await login(b, 'carol@example.com', ip, `carol-${ip}`, PASSWORD)).toBe(429);
      }
      await expect(shields[1]!.credentials.reset({ username: 'carol@example.com' })).resolves.toEqual({ cleared: ['username-locks'] });
      for (const ip of ['198.51.100.80', '203.0.113.80']) {
        expect(await login(b, 'carol@example.com', ip, `carol-${ip}`, PASSWORD)).toBe(200);
        expect(await login(a, 'carol@example.com', ip, `carol-${ip}`, PASSWORD)).toBe(200);
      }
    });

    it('IP key and device resets through A unlock B', async () => {
      const [a, b] = apps as [RunningApp, RunningApp];
      for (let i = 0; i < 4; i++) expect(await login(b, `x${i}@example.com`, `198.51.100.${90 + i}`, 'cluster-phone')).toBe(401);
      expect(await login(b, 'owner@example.com', '198.51.100.99', 'cluster-phone', PASSWORD)).toBe(429);
      await shields[0]!.credentials.reset({ device: 'cluster-phone', ip: '198.51.100.99' });
      expect(await login(b, 'owner@example.com', '198.51.100.99', 'cluster-phone', PASSWORD)).toBe(200);
      expect(await login(a, 'owner@example.com', '198.51.100.99', 'cluster-phone', PASSWORD)).toBe(200);
    });

    it("a username's counters and epoch share a slot; usernames spread over the masters", async () => {
      const keys: string[] = [];
      for (const node of clusters[0]!.nodes('master')) {
        let cursor = '0';
        do {
          const [next, found] = await node.scan(cursor, 'MATCH', `${prefix}{ca:user:*`, 'COUNT', 1000);
          cursor = next;
          keys.push(...found);
        } while (cursor !== '0');
      }
      const tags = new Map<string, Set<string>>();
      for (const key of keys) {
        const tag = key.slice(key.indexOf('{') + 1, key.indexOf('}'));
        tags.set(tag, new Set([...(tags.get(tag) ?? []), key.slice(key.indexOf('}') + 1)]));
      }
      // carol's scope holds her epoch (reset above) and the counters recreated by her later logins.
      const carol = [...tags.entries()].find(([, rests]) => rests.has('#epoch'));
      expect(carol).toBeDefined();
      expect(keySlot(carol![0])).toBeGreaterThanOrEqual(0);
      const masters = new Set<number>();
      for (let i = 0; i < 30; i++) masters.add(await masterPortOf(clusters[0]!, `ca:user:user-${i}`));
      expect(masters.size).toBe(3);
    });
  });
}
