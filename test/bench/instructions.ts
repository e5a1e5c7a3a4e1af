/**
 * `npm run bench:instructions`: the instructions a server executes per request over real HTTP, bare and shielded,
 * counted by valgrind's cachegrind (which also simulates the first-level and last-level caches). Unlike CPU time,
 * an instruction count does not move with a shared host's load: it tells which part of a row's cost is the work
 * done, and which is the host.
 *
 * Each row's server (servers/counted-server.ts, the same app `npm run bench` measures) runs twice under cachegrind,
 * answering W and W + N requests sent over keep-alive connections (4 in flight), then a request that ends the run;
 * the difference of the two counts divided by N is the row's cost per request, start-up, compilation and warm-up
 * cancelled. User-space instructions
 * only: the kernel's share of a request (sockets, syscalls) is not counted, which is why a row's measured req/s ratio
 * runs a little above the ratio of instructions.
 *
 * W must cover the JIT's warm-up: with `--single-threaded` V8 compiles optimised code on the main thread, and a
 * compilation between the two counts is charged to the requests (bare `fastify 1KB` read 445,700 instructions per
 * request after 1,000 requests of warm-up, 142,000 after 3,000).
 *
 * Flags: --only "a,b" (scenario names; default: the Fastify rows), --warm W (default 4,000), --requests N (default
 * 6,000), --jobs J (runs at once, default the core count). Needs valgrind (`apt-get install valgrind`). Writes
 * test/bench/results/instructions.json. Each run takes 3 to 8 minutes on this VM.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createTestAttester } from '../../src/testing/test-attester.js';
import { PROJECT_ROOT } from './servers/library.js';
import { BENCH_TOKEN_HEADER, clientHeaders, scenarioByName, type Scenario } from './servers/scenarios.js';

const SERVER_ENTRY = path.join(PROJECT_ROOT, 'test/bench/servers/counted-server.ts');
/** The request that ends a run, sent after every other one was answered (each run gets one: its cost cancels out). */
const EXIT_PATH = '/__counted-server-exit';
const DEFAULT_ROWS = [
  'fastify',
  'fastify no-op hook',
  'fastify+shield no verifier',
  'fastify+shield',
  'fastify 1KB',
  'fastify+shield+payload 1KB',
  'fastify+shield full 1KB',
];

/** What cachegrind reports for one run. */
interface Counts {
  readonly instructions: number;
  readonly l1InstructionMisses: number;
  readonly l1DataMisses: number;
  readonly lastLevelMisses: number;
}

const COUNT_LINES: Readonly<Record<keyof Counts, RegExp>> = {
  instructions: /I\s+refs:\s+([\d,]+)/,
  l1InstructionMisses: /I1\s+misses:\s+([\d,]+)/,
  l1DataMisses: /D1\s+misses:\s+([\d,]+)/,
  lastLevelMisses: /LL misses:\s+([\d,]+)/,
};

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at !== -1 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

function positive(name: string, fallback: number): number {
  const value = Number(flag(name, String(fallback)));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

/** Sends `count` requests over keep-alive connections, 4 in flight; fails on a non-2xx answer or a socket error. */
async function sendRequests(port: number, scenario: Scenario, headers: Record<string, string>, count: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const body = Buffer.from(scenario.client.body);
  let sent = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let answered = 0;
      const next = (): void => {
        if (sent >= count) return;
        sent += 1;
        const request = http.request(
          { host: '127.0.0.1', port, method: scenario.route.method, path: scenario.route.path, agent, headers: { ...headers, 'content-length': String(body.length) } },
          (response) => {
            response.resume();
            response.on('end', () => {
              const status = response.statusCode ?? 0;
              if (status < 200 || status > 299) reject(new Error(`"${scenario.name}" answered ${status}`));
              else if (++answered === count) resolve();
              else next();
            });
          },
        );
        request.on('error', reject);
        request.end(body);
      };
      for (let i = 0; i < 4; i += 1) next();
    });
  } finally {
    agent.destroy();
  }
}

async function waitForPort(file: string, exited: () => boolean): Promise<number> {
  for (;;) {
    try {
      const port = Number(readFileSync(file, 'utf8'));
      if (port > 0) return port;
    } catch {
      // not written yet
    }
    if (exited()) throw new Error('the server exited before listening');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** One run: the scenario's server under cachegrind, answering `requests` requests. */
async function countRun(scenario: Scenario, headers: Record<string, string>, requests: number, env: NodeJS.ProcessEnv, dir: string): Promise<Counts> {
  const portFile = path.join(dir, `${randomBytes(6).toString('hex')}.port`);
  const args = ['--tool=cachegrind', '--cachegrind-out-file=/dev/null', process.execPath, '--single-threaded', '--predictable', '--import', 'tsx', SERVER_ENTRY, scenario.name, portFile, EXIT_PATH];
  const child = spawn('valgrind', args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => child.on('exit', (code) => ((exitCode = code), resolve())));
  let port: number;
  try {
    port = await waitForPort(portFile, () => exitCode !== undefined);
    await sendRequests(port, scenario, headers, requests);
  } catch (error) {
    child.kill(); // no server left running under valgrind when a run fails
    throw error;
  }
  // Every response is in: end the run (the server exits while reading this request, so no answer comes).
  const exit = http.get({ host: '127.0.0.1', port, path: EXIT_PATH });
  exit.on('error', () => {});
  await exited;
  if (exitCode !== 0) throw new Error(`"${scenario.name}" under cachegrind exited with ${exitCode}: ${stderr.slice(-500)}`);
  const counts = {} as Record<keyof Counts, number>;
  for (const [key, pattern] of Object.entries(COUNT_LINES) as [keyof Counts, RegExp][]) {
    const match = pattern.exec(stderr);
    if (!match) throw new Error(`no "${key}" in cachegrind's report for "${scenario.name}"`);
    counts[key] = Number(match[1]!.replace(/,/g, ''));
  }
  return counts;
}

/** Runs `tasks` with at most `jobs` at once, in order of start. */
async function inParallel<T>(tasks: readonly (() => Promise<T>)[], jobs: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
  return results;
}

async function main(): Promise<void> {
  if (spawnSync('valgrind', ['--version']).status !== 0) throw new Error('valgrind is not installed (apt-get install valgrind)');
  const names = flag('only', DEFAULT_ROWS.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  const warm = positive('warm', 4_000);
  const measured = positive('requests', 6_000);
  const jobs = positive('jobs', Math.max(1, os.cpus().length));
  const scenarios = names.map(scenarioByName);
  for (const s of scenarios) {
    if (typeof s.client.token === 'number' || (s.route.spinUs ?? 0) > 0) throw new Error(`"${s.name}": rotating tokens and clock-spinning hooks have no fixed instruction count`);
  }
  const attester = createTestAttester({ header: BENCH_TOKEN_HEADER });
  const env = { ...process.env, BENCH_SECRET: attester.secret!, BENCH_KEY_PREFIX: `bench:instructions:${process.pid}:` };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-instructions-'));
  const headersOf = new Map<Scenario, Record<string, string>>();
  for (const s of scenarios) {
    headersOf.set(s, clientHeaders(s.client, await attester.mint({ bindTo: s.client.authorization, ttlSeconds: 24 * 3_600 })));
  }
  console.log(`bench:instructions: ${scenarios.length} row(s), ${warm} and ${warm + measured} requests per row under cachegrind, ${jobs} at once`);
  const started = Date.now();
  let runs: Counts[];
  try {
    runs = await inParallel(
      scenarios.flatMap((s) => [warm, warm + measured].map((requests) => async () => {
        const counts = await countRun(s, headersOf.get(s)!, requests, env, dir);
        console.log(`  ${s.name}, ${requests} requests: ${counts.instructions.toLocaleString('en')} instructions`);
        return counts;
      })),
      jobs,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const perRequest = new Map<string, Counts>();
  scenarios.forEach((s, i) => {
    const [few, many] = [runs[2 * i]!, runs[2 * i + 1]!];
    const per = {} as Record<keyof Counts, number>;
    for (const key of Object.keys(COUNT_LINES) as (keyof Counts)[]) per[key] = (many[key] - few[key]) / measured;
    perRequest.set(s.name, per);
  });
  const rows = scenarios.map((s) => {
    const own = perRequest.get(s.name)!;
    const base = s.baseline !== undefined ? perRequest.get(s.baseline) : undefined;
    return {
      scenario: s.name,
      instructionsPerRequest: Math.round(own.instructions),
      addedInstructions: base ? Math.round(own.instructions - base.instructions) : undefined,
      instructionRatio: base ? Number((base.instructions / own.instructions).toFixed(3)) : undefined,
      l1InstructionMisses: Math.round(own.l1InstructionMisses),
      l1DataMisses: Math.round(own.l1DataMisses),
      lastLevelMisses: Math.round(own.lastLevelMisses),
    };
  });
  console.table(rows);
  console.log('instructionRatio: the baseline row\'s instructions per request / this row\'s (user space; see the file\'s header)');
  const out = path.join(PROJECT_ROOT, 'test/bench/results/instructions.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ node: process.version, warm, measured, rows }, null, 2)}\n`);
  console.log(`wrote ${path.relative(PROJECT_ROOT, out)} in ${Math.round((Date.now() - started) / 1000)} s`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
