/**
 * The local Redis Cluster of the tests (3 masters + 3 replicas on 127.0.0.1:7301-7306), managed by `.ci/redis-cluster`:
 * .ci/run starts it, and the tests start it themselves when it is absent (and stop it again only then).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Cluster } from 'ioredis';

const script = fileURLToPath(new URL('../../.ci/redis-cluster', import.meta.url));
/** Where `.ci/redis-cluster` keeps each node's files (pid, nodes.conf). */
const clusterDir = process.env.MAS_CLUSTER_DIR ?? '/tmp/mas-redis-cluster';

/** The cluster's nodes. */
export const CLUSTER_PORTS = [7301, 7302, 7303, 7304, 7305, 7306] as const;
export const CLUSTER_NODES = CLUSTER_PORTS.map((port) => ({ host: '127.0.0.1', port }));

/** True when every node answers and every slot is served. */
export function clusterHealthy(): boolean {
  try {
    execFileSync(script, ['status'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Starts whatever is missing (idempotent). Resolves true when it had to start something. */
export function ensureCluster(): boolean {
  if (clusterHealthy()) return false;
  execFileSync(script, ['start'], { stdio: 'inherit', timeout: 60_000 });
  return true;
}

/** Shuts the cluster down (only for a cluster the tests started). */
export function stopCluster(): void {
  execFileSync(script, ['stop'], { stdio: 'ignore' });
}

/** A cluster client for tests: errors while a node is down are expected and reported through promises. */
export function clusterClient(): Cluster {
  const cluster = new Cluster(CLUSTER_NODES, {
    redisOptions: { maxRetriesPerRequest: 1 },
    clusterRetryStrategy: () => 100,
    slotsRefreshTimeout: 1000,
  });
  cluster.on('error', () => {});
  return cluster;
}

/**
 * The cluster slot of a key's hash tag: CRC16/XMODEM mod 16384, as the Redis Cluster specification defines it.
 * Computed locally so it can be asked while a node is down.
 */
export function keySlot(hashTag: string): number {
  let crc = 0;
  for (const byte of Buffer.from(hashTag, 'utf8')) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/** The slot ranges each master serves, by port. */
export async function slotRanges(cluster: Cluster): Promise<Map<number, [number, number][]>> {
  const slots = (await cluster.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
  const byPort = new Map<number, [number, number][]>();
  for (const [from, to, master] of slots) {
    const port = Number(master[1]);
    byPort.set(port, [...(byPort.get(port) ?? []), [Number(from), Number(to)]]);
  }
  return byPort;
}

/** The port of the master serving `hashTag`'s slot (what `{hashTag}` in a key routes to). */
export async function masterPortOf(cluster: Cluster, hashTag: string): Promise<number> {
  const slot = keySlot(hashTag);
  for (const [port, ranges] of await slotRanges(cluster)) {
    if (ranges.some(([from, to]) => slot >= from && slot <= to)) return port;
  }
  throw new Error(`no master serves slot ${slot}`);
}

/** Kills the node on `port` with SIGKILL, by the pid it wrote (a crash: no goodbye to the cluster). */
export function killNode(port: number): void {
  const pid = Number(readFileSync(`${clusterDir}/${port}/redis.pid`, 'utf8').trim());
  process.kill(pid, 'SIGKILL');
}

/** Deletes every key under `prefix` on every master. */
export async function deleteClusterPrefix(cluster: Cluster, prefix: string): Promise<void> {
  for (const node of cluster.nodes('master')) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      // One UNLINK per key: keys with different hash tags may not share a command on a cluster node.
      for (const key of keys) await node.unlink(key);
    } while (cursor !== '0');
  }
}
