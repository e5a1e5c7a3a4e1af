/**
 * The attestation service over real sockets and Redis: 200 requests sent at once from one IP key, each naming a new
 * installation, get 5 answers (the IP key's budget) and write no more device counters than that.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import express from 'express';
import { execFile } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { expressEndpoints } from '../../src/adapters/express.js';
import { RedisStore } from '../../src/stores/redis.js';
import { testService } from '../attestation/issuer/fixtures.js';
import { redisClient } from '../helpers/redis.js';
import { deletePrefix } from '../stores/redis-helpers.js';

const prefix = `mas-rl-burst-${randomUUID()}:`;
const client = redisClient();
const servers: http.Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await deletePrefix(client, prefix);
  client.disconnect();
});

async function keysUnder(p: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${p}*`, 'COUNT', 1000);
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out;
}

it('concurrent requests naming a new device each, from one IP key, write no more device counters than the IP admits', async () => {
  const service = testService(new RedisStore({ client, prefix }), { rateLimits: { ip: { limit: 5, windowMs: 60_000 } } });
  const app = express();
  app.use(expressEndpoints(service) as unknown as express.RequestHandler);
  const server = http.createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  // A burst from another process (as from the network): 200 clients connect, then all send their request at once.
  const port = (server.address() as AddressInfo).port;
  const burst = `
    const net = require('node:net');
    const sockets = [];
    let open = 0;
    for (let i = 0; i < 200; i++) {
      const s = net.connect(${port}, '127.0.0.1', () => { if (++open === 200) go(); });
      sockets.push(s);
    }
    const statuses = new Array(200).fill(0);
    let done = 0;
    function go() {
      sockets.forEach((s, i) => {
        let text = '';
        s.on('data', (d) => { text += d; });
        s.on('close', () => { statuses[i] = Number((/^HTTP\\/1\\.1 (\\d{3})/.exec(text) || [])[1] || 0); if (++done === 200) console.log(JSON.stringify(statuses)); });
        const body = JSON.stringify({ installationId: 'inst-' + String(i).padStart(8, '0') });
        s.cork();
        s.write('POST /attest/challenge HTTP/1.1\\r\\nhost: x\\r\\ncontent-type: application/json\\r\\ncontent-length: ' + body.length + '\\r\\nconnection: close\\r\\n\\r\\n' + body);
      });
      sockets.forEach((s) => s.uncork());
    }`;
  const output = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['-e', burst], (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
  const statuses = JSON.parse(output) as number[];
  expect(statuses.filter((s) => s === 200)).toHaveLength(5); // the IP limit itself holds
  const deviceCounters = (await keysUnder(prefix)).filter((k) => k.includes('rl:dev:'));
  // At most one device counter per request the IP key admitted.
  expect(deviceCounters.length).toBeLessThanOrEqual(5);
});
