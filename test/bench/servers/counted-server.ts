/**
 * Child of `npm run bench:instructions`: one scenario's server, built as `npm run bench` builds it (apps.ts), which
 * the runner starts under cachegrind: `counted-server.ts <scenario> <port file> <exit path>`. It writes its port to
 * the port file and exits on a request for the exit path, which the runner sends once every other request has been
 * answered: two runs that differ only in how many requests came before it differ by those requests' instructions.
 * Environment: BENCH_SECRET and BENCH_KEY_PREFIX, as for server.ts.
 */
import { writeFileSync } from 'node:fs';
import { lib } from './library.js';
import { buildApp } from './apps.js';
import { requireEnv, scenarioByName, type BenchEnv } from './scenarios.js';

async function main(): Promise<void> {
  const [name, portFile, exitPath] = process.argv.slice(2);
  if (!name || !portFile || !exitPath) throw new Error('usage: counted-server.ts <scenario> <port file> <exit path>');
  const scenario = scenarioByName(name);
  const env: BenchEnv = {
    secret: requireEnv('BENCH_SECRET'),
    redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    keyPrefix: process.env.BENCH_KEY_PREFIX ?? 'bench:instructions:',
  };
  const shield = scenario.shielded && scenario.shieldConfig ? lib.createShield(await scenario.shieldConfig(env)) : undefined;
  const app = await buildApp(scenario.framework, shield, scenario.route);
  // A second 'request' listener costs every row alike.
  app.server.on('request', (req) => {
    if (req.url === exitPath) process.exit(0);
  });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  writeFileSync(portFile, String(address.port));
}

main().catch((error: unknown) => {
  process.stderr.write(`counted server failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
