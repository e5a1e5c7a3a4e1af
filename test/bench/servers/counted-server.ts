/**
 * Child of `npm run bench:instructions`: one scenario's server, built as `npm run bench` builds it (apps.ts), which
 * the runner starts under cachegrind. It writes its port to the file named by argv[3] and exits as soon as it has
 * answered argv[4] requests, so two runs that differ only in that count differ by those requests' instructions.
 * Environment: BENCH_SECRET and BENCH_KEY_PREFIX, as for server.ts.
 */
import { writeFileSync } from 'node:fs';
import { lib } from './library.js';
import { buildApp } from './apps.js';
import { scenarioByName, type BenchEnv } from './scenarios.js';

async function main(): Promise<void> {
  const [name, portFile, countText] = process.argv.slice(2);
  const total = Number(countText);
  if (!name || !portFile || !Number.isInteger(total) || total < 1) throw new Error('usage: counted-server.ts <scenario> <port file> <requests>');
  const scenario = scenarioByName(name);
  const env: BenchEnv = {
    secret: process.env.BENCH_SECRET ?? '',
    redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    keyPrefix: process.env.BENCH_KEY_PREFIX ?? 'bench:instructions:',
  };
  const shield = scenario.shielded && scenario.shieldConfig ? lib.createShield(await scenario.shieldConfig(env)) : undefined;
  const app = await buildApp(scenario.framework, shield, scenario.route);
  let requests = 0;
  // One listener for every request costs every row alike; the exit waits for the last response to be written.
  app.server.on('request', (_req, res) => {
    requests += 1;
    if (requests === total) res.on('finish', () => setImmediate(() => process.exit(0)));
  });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  writeFileSync(portFile, String(address.port));
}

main().catch((error: unknown) => {
  process.stderr.write(`counted server failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
