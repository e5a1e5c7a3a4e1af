/**
 * Child process of the benchmark: starts one scenario's server on 127.0.0.1 (ephemeral port) and measures its own
 * CPU time over windows the runner opens and closes over IPC, so the server's CPU per request is measured apart
 * from autocannon's.
 *
 * Run as `node --import tsx test/bench/servers/server.ts <scenario name>` with an IPC channel, BENCH_SECRET,
 * BENCH_REDIS_URL and BENCH_KEY_PREFIX in the environment. Messages:
 *   child → parent  { type: 'ready', port }                       once listening
 *   parent → child  { type: 'begin', label } → { type: 'begun' }  opens a measurement window
 *   parent → child  { type: 'end' }    → { type: 'ended', ... }    closes it: CPU µs and requests in the window
 *   parent → child  { type: 'inject', request, count, profile? }   runs `count` requests in-process (no socket)
 *                   → { type: 'injected', cpuUs, wallUs, non2xx,   and reports the CPU they took; with `profile`, also
 *                       libraryUs? }                               the library's own sampled CPU µs (see below)
 *   parent → child  { type: 'exit' }                               closes the server and exits
 * The child also exits when the IPC channel closes (the runner died), so no server outlives the run.
 */
import { lib } from './library.js';
import type { ShieldConfig } from '../../../src/core/config.js';
import path from 'node:path';
import { answerTiming, buildApp, type BenchApp, type InjectRequest } from './apps.js';
import { shieldShare, slug, WindowProfiler } from './window-profiler.js';
import { requireEnv, scenarioByName, type BenchEnv } from './scenarios.js';

/** A message from the child to the runner. */
export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'begun' }
  | { type: 'ended'; userUs: number; systemUs: number; requests: number; elapsedMs: number; heapUsedBytes: number; checkUs?: number; answerUs?: number }
  | { type: 'injected'; cpuUs: number; wallUs: number; non2xx: number; libraryUs?: number }
  | { type: 'failed'; message: string };

/** A message from the runner to the child. */
export type ParentMessage =
  | { type: 'begin'; label: string }
  | { type: 'end' }
  | { type: 'inject'; request: InjectRequest; count: number; profile?: boolean }
  | { type: 'exit' };

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('server.ts must be started by the bench runner (needs an IPC channel)');
  const name = process.argv[2];
  if (!name) throw new Error('usage: server.ts <scenario name>');
  const scenario = scenarioByName(name);
  const env: BenchEnv = {
    secret: requireEnv('BENCH_SECRET'),
    redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    keyPrefix: requireEnv('BENCH_KEY_PREFIX'),
  };

  let config: ShieldConfig | undefined;
  if (scenario.shielded) {
    if (!scenario.shieldConfig) throw new Error(`scenario "${name}" is shielded but has no shieldConfig`);
    config = await scenario.shieldConfig(env);
  }
  const shield = config ? lib.createShield(config) : undefined;
  // BENCH_TIME_CHECK=1: the time spent inside `shield.checkNow` (its synchronous part), which every adapter calls
  // through the shield object. Two clock reads a call, so off unless asked for.
  let checkNs = 0n;
  const timeCheck = shield !== undefined && process.env.BENCH_TIME_CHECK === '1';
  if (shield !== undefined && timeCheck) {
    const checkNow = shield.checkNow;
    shield.checkNow = (...args) => {
      const started = process.hrtime.bigint();
      try {
        return checkNow(...args);
      } finally {
        checkNs += process.hrtime.bigint() - started;
      }
    };
  }
  const app: BenchApp = await buildApp(scenario.framework, shield, scenario.route);

  // Counting 'request' events costs the same on every row; it is how the window's request count is known
  // without trusting the client's count (autocannon stops mid-flight at the end of its duration).
  let requests = 0;
  app.server.on('request', () => {
    requests += 1;
  });

  // BENCH_PROFILE_DIR: sample each measured window and write <dir>/<scenario>.<window label>.cpuprofile.
  const profileDir = process.env.BENCH_PROFILE_DIR;
  const profiler = profileDir ? new WindowProfiler() : undefined;
  let window: { cpu: NodeJS.CpuUsage; requests: number; started: bigint; label: string; checkNs: bigint; answerNs: bigint } | undefined;
  let exiting = false;
  const exit = async (code: number): Promise<void> => {
    if (exiting) return;
    exiting = true;
    const force = setTimeout(() => process.exit(code), 3_000);
    force.unref();
    try {
      await app.close();
      await scenario.cleanup?.(env, config);
    } finally {
      process.exit(code);
    }
  };

  process.on('message', (message: ParentMessage) => void onMessage(message));
  async function onMessage(message: ParentMessage): Promise<void> {
    switch (message.type) {
      case 'begin':
        await profiler?.start();
        window = { cpu: process.cpuUsage(), requests, started: process.hrtime.bigint(), label: message.label, checkNs, answerNs: answerTiming.ns };
        send({ type: 'begun' });
        break;
      case 'end': {
        if (!window) {
          send({ type: 'failed', message: 'end without begin' });
          break;
        }
        const cpu = process.cpuUsage(window.cpu);
        const ended: ChildMessage = {
          type: 'ended',
          userUs: cpu.user,
          systemUs: cpu.system,
          requests: requests - window.requests,
          elapsedMs: Number(process.hrtime.bigint() - window.started) / 1e6,
          heapUsedBytes: process.memoryUsage().heapUsed,
          ...(timeCheck ? { checkUs: Number(checkNs - window.checkNs) / 1e3 } : {}),
          ...(answerTiming.enabled && scenario.framework !== 'koa' ? { answerUs: Number(answerTiming.ns - window.answerNs) / 1e3 } : {}),
        };
        if (profiler && profileDir) await profiler.stop(path.join(profileDir, `${slug(name!)}.${slug(window.label)}.cpuprofile`));
        window = undefined;
        send(ended);
        break;
      }
      case 'inject': {
        // Sequential: one request at a time, so the CPU measured is the per-request path and nothing else.
        let non2xx = 0;
        const sampler = message.profile ? new WindowProfiler(50) : undefined;
        await sampler?.start();
        const cpuStart = process.cpuUsage();
        const started = process.hrtime.bigint();
        for (let i = 0; i < message.count; i += 1) {
          const status = await app.inject(message.request);
          if (status < 200 || status > 299) non2xx += 1;
        }
        const cpu = process.cpuUsage(cpuStart);
        const libraryUs = sampler ? shieldShare(await sampler.take()).shieldUs : undefined;
        sampler?.close();
        send({ type: 'injected', cpuUs: cpu.user + cpu.system, wallUs: Number(process.hrtime.bigint() - started) / 1e3, non2xx, libraryUs });
        break;
      }
      case 'exit':
        await exit(0);
        break;
    }
  }
  process.on('disconnect', () => void exit(0));
  process.on('SIGINT', () => void exit(130));
  process.on('SIGTERM', () => void exit(143));

  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  send({ type: 'ready', port: address.port });
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`bench server failed: ${message}\n`);
  // Exit once the message is flushed: process.exit right after send can drop it.
  if (process.send) process.send({ type: 'failed', message } satisfies ChildMessage, () => process.exit(1));
  else process.exit(1);
});
