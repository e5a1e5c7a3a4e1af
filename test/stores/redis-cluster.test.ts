/**
 * RedisStore on a real Redis Cluster (3 masters + 3 replicas on 127.0.0.1:7301-7306, `.ci/redis-cluster`): the store
 * contract, the two-instance replay, lockout and burst tests (Express 5 and Fastify 5), and a master killed mid-run:
 * while its slots are down the shield answers `shield_unavailable` (or passes where it fails open) and lets no
 * replayed single-use token through; once a replica has taken over it recovers by itself.
 */
import { randomUUID } from 'node:crypto';
import type { Cluster } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { createShield } from '../../src/shield.js';
import { RedisStore } from '../../src/stores/redis.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, type RunningApp } from '../helpers/adapters.js';
import { twoInstanceSuite } from '../integration/two-instances.js';
import { clusterResetSuite } from './redis-cluster-reset.js';
import {
  CLUSTER_PORTS,
  clusterClient,
  clusterHealthy,
  deleteClusterPrefix,
  ensureCluster,
  keySlot,
  killNode,
  masterPortOf,
  slotRanges,
  stopCluster,
} from './redis-cluster-helpers.js';
import { storeContract } from '../../src/testing/index.js';
import { memberHoldContract } from './member-holds-contract.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const prefix = `mas-test-cluster-${randomUUID()}:`;
let cluster: Cluster;
let startedHere = false;

beforeAll(async () => {
  startedHere = ensureCluster();
  cluster = clusterClient();
  await cluster.ping();
}, 60_000);

afterAll(async () => {
  if (!clusterHealthy()) ensureCluster(); // a node killed below is restarted, whatever happened in between
  await deleteClusterPrefix(cluster, prefix).catch(() => undefined);
  cluster.disconnect();
  if (startedHere) stopCluster();
}, 60_000);

describe('RedisStore on a 3-master Redis Cluster: Store contract', () => {
  let n = 0;
  storeContract({
    makeStore: () => new RedisStore({ client: cluster, prefix: `${prefix}contract:`, commandTimeoutMs: 2000 }),
    key: (name) => `${name}-${n++}`,
    sleep,
    test: it,
  });

  memberHoldContract({
    makeStore: () => new RedisStore({ client: cluster, prefix: `${prefix}holds:`, commandTimeoutMs: 2000 }),
    key: (name) => `holds-${name}-${n++}`,
    sleep,
    test: it,
  });

  it('spreads keys over the masters (every key is its own hash tag)', async () => {
    const store = new RedisStore({ client: cluster, prefix: `${prefix}spread:` });
    const masters = new Set<number>();
    for (let i = 0; i < 30; i++) {
      await store.setIfAbsent(`k${i}`, '1', 10_000);
      masters.add(await masterPortOf(cluster, `k${i}`));
    }
    expect(masters.size).toBe(3);
  });
});

const clusterEnv = () => ({ REDIS_CLUSTER: CLUSTER_PORTS.map((p) => `127.0.0.1:${p}`).join(',') });
twoInstanceSuite('a Redis Cluster', 'express', () => ({ ...clusterEnv(), REDIS_PREFIX: `${prefix}two-express:` }));
twoInstanceSuite('a Redis Cluster', 'fastify', () => ({ ...clusterEnv(), REDIS_PREFIX: `${prefix}two-fastify:` }));
clusterResetSuite(`${prefix}reset:`);

describe('a master killed mid-run (Express 5 and Fastify 5)', () => {
  const attester = createTestAttester({ header: 'approov-token' });
  const harnesses = ADAPTERS.filter((a) => a.name === 'express5' || a.name === 'fastify5');
  const apps: { name: string; app: RunningApp; open: RunningApp }[] = [];
  let client: Cluster;

  beforeAll(async () => {
    client = clusterClient();
    // Fail-closed apps, and fail-open ones for comparison; all on one cluster client, as an application would.
    const store = new RedisStore({ client, prefix: `${prefix}failover:`, commandTimeoutMs: 400 });
    const routes = [{ method: 'POST' as const, path: '/transfer' }];
    for (const harness of harnesses) {
      const closed = createShield({ token: approov({ secret: attester.secret as string, binding: false, replay: true }), store });
      const open = createShield({
        token: approov({ secret: attester.secret as string, binding: false, replay: true, failOpen: true }),
        store,
      });
      apps.push({ name: harness.name, app: await harness.start(closed, routes), open: await harness.start(open, routes) });
    }
  });
  afterAll(async () => {
    for (const { app, open } of apps) await Promise.all([app.close(), open.close()]);
    client.disconnect();
  });

  /** A single-use token whose jti's slot is in `ranges` (the victim's slots, whoever serves them now). */
  async function tokenOn(ranges: readonly [number, number][]): Promise<string> {
    for (;;) {
      const jti = randomUUID();
      const slot = keySlot(`jti:approov:${jti}`);
      if (ranges.some(([from, to]) => slot >= from && slot <= to)) return attester.mint({ claims: { jti } });
    }
  }
  const transfer = (app: RunningApp, token: string) =>
    request(app.server).post('/transfer').set('approov-token', token).send({});

  it('denies shield_unavailable while the slot is down, never lets a replay through, and recovers by itself', async () => {
    const ranges = await slotRanges(cluster);
    const [victim, victimSlots] = [...ranges][0]!;
    const used: string[] = [];
    while (used.length < apps.length) used.push(await tokenOn(victimSlots));
    for (const [i, { app }] of apps.entries()) expect((await transfer(app, used[i]!)).status).toBe(200);
    // Replication is asynchronous: give the replicas a moment to have the used jtis before the crash.
    await sleep(300);

    killNode(victim);
    const seen: Record<string, number[]> = {};
    const openStatuses: number[] = [];
    let recovered = false;
    const deadline = Date.now() + 25_000;
    while (!recovered && Date.now() < deadline) {
      recovered = true;
      for (const [i, { name, app, open }] of apps.entries()) {
        const replay = await transfer(app, used[i]!);
        (seen[name] ??= []).push(replay.status);
        expect(replay.status).not.toBe(200); // never, down or failed over
        const fresh = await transfer(app, await tokenOn(victimSlots));
        if (fresh.status !== 200) {
          recovered = false;
          expect(fresh.status).toBe(503);
          expect(fresh.body.code).toBe('shield_unavailable');
        }
        openStatuses.push((await transfer(open, await tokenOn(victimSlots))).status);
      }
      if (!recovered) await sleep(100);
    }
    expect(recovered).toBe(true);
    // The crash was seen (503 while down). The last replay of the loop can still be a 503: the failover may complete
    // between an app's replay and its fresh token of the same pass, which ends the loop; the replays after it (below)
    // show the replayed token is still known.
    for (const { name } of apps) expect(seen[name]).toContain(503);
    // Fail-open shields let fresh tokens through the whole time.
    expect(openStatuses.every((s) => s === 200)).toBe(true);
    for (const [i, { app }] of apps.entries()) {
      const replay = await transfer(app, used[i]!);
      expect(replay.status).toBe(401);
      expect(replay.body.code).toBe('token_replayed');
    }
  }, 60_000);

  it('the killed node rejoins (as a replica) and the cluster is whole again', () => {
    ensureCluster();
    expect(clusterHealthy()).toBe(true);
  }, 60_000);
});
