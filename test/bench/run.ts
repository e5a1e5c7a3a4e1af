/**
 * `npm run bench`: HTTP benchmark of the shield on Fastify 5, Express 5 and Koa 3 (bare vs shielded), plus a
 * micro-benchmark of `shield.check()` without HTTP. See test/bench/README.md.
 *
 * Every scenario of servers/scenarios.ts runs in its own child process (servers/server.ts) on 127.0.0.1 and an
 * ephemeral port; autocannon runs here. Rounds are interleaved (all scenarios once per round, the order reversed
 * on odd rounds) so drift over the run affects bare and shielded rows alike. The server measures its own CPU time
 * over each measured window (process.cpuUsage deltas, opened and closed over IPC) and counts the requests it
 * received, which gives the server's CPU µs per request apart from autocannon's.
 *
 * Flags (each also as an env var): --quick, --rounds N (BENCH_ROUNDS), --duration S (BENCH_DURATION),
 * --warmup S (BENCH_WARMUP), --connections N (BENCH_CONNECTIONS), --pipelining N (BENCH_PIPELINING),
 * --only name,name (BENCH_ONLY; baselines are added), --optional (BENCH_OPTIONAL=1: include optional rows),
 * --no-micro (BENCH_MICRO=0), --no-http (BENCH_HTTP=0), --profile (BENCH_PROFILE=1: --cpu-prof on each server,
 * top functions printed), --strict (BENCH_STRICT=1: exit 1 when a target is missed), --out FILE (BENCH_OUT).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createTestAttester, type TestAttester } from '../../src/testing/test-attester.js';
import type { MicroResult } from './servers/micro.js';
import { SCENARIOS, type Scenario } from './servers/scenarios.js';
import type { ChildMessage, ParentMessage } from './servers/server.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const SERVER_ENTRY = path.join(HERE, 'servers', 'server.ts');
const MICRO_ENTRY = path.join(HERE, 'servers', 'micro.ts');
const RESULTS_DIR = path.join(HERE, 'results');
const PROFILE_DIR = path.join(RESULTS_DIR, 'profiles');
const TOKEN_HEADER = 'approov-token';
/** Upper bound of req/s any scenario reaches here; sizes the pool of fresh tokens so it does not wrap. */
const MAX_EXPECTED_RPS = 40_000;
const MAX_TOKEN_POOL = 60_000;

/** Targets of issue 2 (later issues add theirs here). */
const TARGETS = {
  /** Fastify + shield req/s over bare Fastify's. */
  fastifyRatioMin: 0.75,
  /** Shield's added server CPU µs per request once a token has been seen. */
  addedCpuUsMax: 10,
};

// ---------------------------------------------------------------------------------------------------------------
// Options

interface BenchOptions {
  rounds: number;
  durationSec: number;
  warmupSec: number;
  connections: number;
  pipelining: number;
  only: string[] | undefined;
  optional: boolean;
  micro: boolean;
  microScale: number;
  http: boolean;
  profile: boolean;
  strict: boolean;
  out: string;
  quick: boolean;
}

function parseOptions(argv: readonly string[]): BenchOptions {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    if (eq !== -1) flags.set(arg.slice(2, eq), arg.slice(eq + 1));
    else if (['quick', 'optional', 'no-micro', 'no-http', 'profile', 'strict', 'help'].includes(arg.slice(2))) flags.set(arg.slice(2), true);
    else {
      const value = argv[i + 1];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      flags.set(arg.slice(2), value);
      i += 1;
    }
  }
  const known = ['quick', 'rounds', 'duration', 'warmup', 'connections', 'pipelining', 'only', 'optional', 'no-micro', 'no-http', 'profile', 'strict', 'out', 'help'];
  for (const key of flags.keys()) if (!known.includes(key)) throw new Error(`unknown flag --${key} (known: ${known.map((k) => `--${k}`).join(' ')})`);
  if (flags.has('help')) {
    process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]!.replace(/^\/\*\*|^ \* ?/gm, '') + '\n');
    process.exit(0);
  }
  const quick = flags.has('quick') || process.env.BENCH_QUICK === '1';
  const value = (flag: string, envName: string): string | undefined => {
    const v = flags.get(flag);
    return typeof v === 'string' ? v : process.env[envName];
  };
  const num = (flag: string, envName: string, fallback: number, min: number, max: number): number => {
    const raw = value(flag, envName);
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${flag} must be a number in [${min}, ${max}], got "${raw}"`);
    return n;
  };
  const only = value('only', 'BENCH_ONLY');
  return {
    quick,
    rounds: Math.round(num('rounds', 'BENCH_ROUNDS', quick ? 1 : 3, 1, 20)),
    durationSec: num('duration', 'BENCH_DURATION', quick ? 2 : 5, 1, 60),
    warmupSec: num('warmup', 'BENCH_WARMUP', quick ? 1 : 2, 0, 30),
    connections: Math.round(num('connections', 'BENCH_CONNECTIONS', 50, 1, 1000)),
    pipelining: Math.round(num('pipelining', 'BENCH_PIPELINING', 1, 1, 64)),
    only: only ? only.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
    optional: flags.has('optional') || process.env.BENCH_OPTIONAL === '1',
    micro: !flags.has('no-micro') && process.env.BENCH_MICRO !== '0',
    microScale: quick ? 0.25 : 1,
    http: !flags.has('no-http') && process.env.BENCH_HTTP !== '0',
    profile: flags.has('profile') || process.env.BENCH_PROFILE === '1',
    strict: flags.has('strict') || process.env.BENCH_STRICT === '1',
    out: path.resolve(value('out', 'BENCH_OUT') ?? path.join(RESULTS_DIR, 'bench.json')),
  };
}

function selectScenarios(options: BenchOptions): Scenario[] {
  if (!options.only) return SCENARIOS.filter((s) => options.optional || !s.optional);
  const wanted = new Set<string>();
  for (const name of options.only) {
    const scenario = SCENARIOS.find((s) => s.name === name);
    if (!scenario) throw new Error(`--only: unknown scenario "${name}"; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    wanted.add(scenario.name);
    if (scenario.baseline) wanted.add(scenario.baseline);
  }
  // Keep the table's order, which alternates bare and shielded rows.
  return SCENARIOS.filter((s) => wanted.has(s.name));
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes

const children = new Set<ChildProcess>();

function spawnChild(entry: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Waits for the next message of one of `types` from a child, failing on 'failed', exit or timeout. */
function nextMessage<T extends ChildMessage['type'] | 'micro'>(
  child: ChildProcess,
  types: readonly T[],
  timeoutMs: number,
  what: string,
): Promise<Extract<ChildMessage | { type: 'micro'; results: MicroResult[] }, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: { type: string; message?: string }): void => {
      if (message.type === 'failed') finish(new Error(`${what}: ${message.message ?? 'failed'}`));
      else if ((types as readonly string[]).includes(message.type)) finish(undefined, message);
    };
    const onExit = (code: number | null, signal: string | null): void =>
      finish(new Error(`${what}: child exited (${signal ?? `code ${code}`})`));
    function finish(error: Error | undefined, message?: unknown): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message as Extract<ChildMessage | { type: 'micro'; results: MicroResult[] }, { type: T }>);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

function tell(child: ChildProcess, message: ParentMessage): void {
  child.send(message);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) tell(child, { type: 'exit' });
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Kills every child still running; used on errors, SIGINT and exit. */
function killChildren(signal: NodeJS.Signals): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}

// ---------------------------------------------------------------------------------------------------------------
// Load

interface RunningScenario {
  readonly scenario: Scenario;
  readonly child: ChildProcess;
  readonly url: string;
  /** Headers of every request except a rotating token. */
  readonly headers: Record<string, string>;
  /** Pool of fresh tokens for `client.token = N`; consumed in order across rounds. */
  readonly tokenPool: string[] | undefined;
  tokenCursor: number;
  tokenPoolWrapped: boolean;
}

interface RoundResult {
  readonly round: number;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly clientRequests: number;
  readonly serverRequests: number;
  readonly serverCpuUs: number;
  readonly cpuUsPerRequest: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly heapUsedBytes: number;
  /** 1-minute load average when the window closed: above the core count, other work competed for the CPUs. */
  readonly loadAvg1: number;
}

async function startScenario(
  scenario: Scenario,
  env: NodeJS.ProcessEnv,
  attester: TestAttester,
  sameToken: string,
  options: BenchOptions,
): Promise<RunningScenario> {
  const child = spawnChild(SERVER_ENTRY, [scenario.name], env);
  const ready = await nextMessage(child, ['ready'], 60_000, `server "${scenario.name}"`);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    authorization: scenario.client.authorization,
    ...scenario.client.headers,
  };
  if (scenario.client.token !== 'none') headers[TOKEN_HEADER] = sameToken;
  let tokenPool: string[] | undefined;
  if (typeof scenario.client.token === 'number') {
    const seconds = options.warmupSec + options.rounds * options.durationSec;
    const size = Math.min(MAX_TOKEN_POOL, Math.ceil((MAX_EXPECTED_RPS * seconds) / scenario.client.token) + 10);
    tokenPool = [];
    for (let i = 0; i < size; i += 1) {
      // A distinct claim per token: tokens minted in the same second would otherwise be byte-identical.
      tokenPool.push(await attester.mint({ bindTo: scenario.client.authorization, claims: { n: i }, ttlSeconds: 3_600 }));
    }
  }
  return {
    scenario,
    child,
    url: `http://127.0.0.1:${ready.port}${scenario.route.path}`,
    headers,
    tokenPool,
    tokenCursor: 0,
    tokenPoolWrapped: false,
  };
}

/** One request with fetch: the bare server must answer 200, the shielded one 200 with a token and 401 without. */
async function sanityCheck(running: RunningScenario): Promise<void> {
  const { scenario } = running;
  const body = scenario.client.body;
  const ok = await fetch(running.url, { method: scenario.route.method, headers: running.headers, body });
  const text = await ok.text();
  if (ok.status !== 200) throw new Error(`sanity: "${scenario.name}" answered ${ok.status} to a valid request: ${text.slice(0, 200)}`);
  const withoutToken = { ...running.headers };
  delete withoutToken[TOKEN_HEADER];
  const bare = await fetch(running.url, { method: scenario.route.method, headers: withoutToken, body });
  await bare.arrayBuffer();
  const expected = scenario.shielded ? 401 : 200;
  if (bare.status !== expected) {
    throw new Error(`sanity: "${scenario.name}" answered ${bare.status} without a token, expected ${expected} (is the shield mounted?)`);
  }
}

function load(running: RunningScenario, durationSec: number, options: BenchOptions): Promise<autocannon.Result> {
  const { scenario } = running;
  const every = typeof scenario.client.token === 'number' ? scenario.client.token : 0;
  const pool = running.tokenPool;
  let sent = 0;
  const request: autocannon.Request = {
    method: scenario.route.method,
    path: scenario.route.path,
    headers: running.headers,
    body: scenario.client.body,
  };
  if (pool && every > 0) {
    // Rebuilds the request per request (client-side cost only); the token changes every `every` requests.
    request.setupRequest = (req) => {
      if (sent % every === 0) {
        running.tokenCursor += 1;
        if (running.tokenCursor >= pool.length) {
          running.tokenCursor = 0;
          running.tokenPoolWrapped = true;
        }
      }
      sent += 1;
      return { ...req, headers: { ...running.headers, [TOKEN_HEADER]: pool[running.tokenCursor]! } };
    };
  }
  return autocannon({
    url: running.url,
    connections: options.connections,
    pipelining: options.pipelining,
    duration: durationSec,
    requests: [request],
  });
}

async function measure(running: RunningScenario, round: number, options: BenchOptions): Promise<RoundResult> {
  const what = `server "${running.scenario.name}"`;
  tell(running.child, { type: 'begin', round });
  await nextMessage(running.child, ['begun'], 10_000, what);
  const result = await load(running, options.durationSec, options);
  tell(running.child, { type: 'end' });
  const ended = await nextMessage(running.child, ['ended'], 10_000, what);
  const cpuUs = ended.userUs + ended.systemUs;
  return {
    round,
    reqPerSec: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    clientRequests: result.requests.total,
    serverRequests: ended.requests,
    serverCpuUs: cpuUs,
    cpuUsPerRequest: ended.requests > 0 ? cpuUs / ended.requests : Number.NaN,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    heapUsedBytes: ended.heapUsedBytes,
    loadAvg1: os.loadavg()[0]!,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Summary

interface ScenarioSummary {
  readonly name: string;
  readonly framework: string;
  readonly shielded: boolean;
  readonly baseline: string | undefined;
  readonly token: Scenario['client']['token'];
  /** Median over rounds. */
  readonly reqPerSec: number;
  /** Median over rounds, ms. */
  readonly p99Ms: number;
  /** Server CPU over all rounds divided by the requests it served in them. */
  readonly cpuUsPerRequest: number;
  /** Median over rounds of (this round's req/s ÷ the baseline's req/s in the same round). */
  readonly ratioToBaseline: number | undefined;
  /** cpuUsPerRequest minus the baseline's. */
  readonly addedCpuUsPerRequest: number | undefined;
  readonly tokenPoolWrapped: boolean | undefined;
  readonly rounds: readonly RoundResult[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function summarize(running: readonly RunningScenario[], results: Map<string, RoundResult[]>): ScenarioSummary[] {
  const pooledCpu = (rounds: readonly RoundResult[]): number =>
    rounds.reduce((s, r) => s + r.serverCpuUs, 0) / Math.max(1, rounds.reduce((s, r) => s + r.serverRequests, 0));
  return running.map(({ scenario, tokenPool, tokenPoolWrapped }) => {
    const rounds = results.get(scenario.name) ?? [];
    const base = scenario.baseline ? results.get(scenario.baseline) : undefined;
    const cpu = pooledCpu(rounds);
    let ratio: number | undefined;
    let added: number | undefined;
    if (base && base.length === rounds.length && rounds.length > 0) {
      ratio = median(rounds.map((r, i) => r.reqPerSec / base[i]!.reqPerSec));
      added = cpu - pooledCpu(base);
    }
    return {
      name: scenario.name,
      framework: scenario.framework,
      shielded: scenario.shielded,
      baseline: scenario.baseline,
      token: scenario.client.token,
      reqPerSec: median(rounds.map((r) => r.reqPerSec)),
      p99Ms: median(rounds.map((r) => r.p99Ms)),
      cpuUsPerRequest: cpu,
      ratioToBaseline: ratio,
      addedCpuUsPerRequest: added,
      tokenPoolWrapped: tokenPool ? tokenPoolWrapped : undefined,
      rounds,
    };
  });
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const fmt = (n: number | undefined, digits = 1): string => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits));

interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

function checkTargets(summaries: readonly ScenarioSummary[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const fastify = summaries.find((s) => s.name === 'fastify+shield');
  if (fastify?.ratioToBaseline !== undefined) {
    checks.push({
      target: `fastify+shield req/s >= ${TARGETS.fastifyRatioMin} x bare`,
      measured: fmt(fastify.ratioToBaseline, 3),
      met: fastify.ratioToBaseline >= TARGETS.fastifyRatioMin,
    });
  }
  for (const s of summaries) {
    if (!s.shielded || s.token !== 'same' || s.addedCpuUsPerRequest === undefined) continue;
    checks.push({
      target: `${s.name}: added server CPU < ${TARGETS.addedCpuUsMax} us/req (token seen before)`,
      measured: `${fmt(s.addedCpuUsPerRequest)} us`,
      met: s.addedCpuUsPerRequest < TARGETS.addedCpuUsMax,
    });
  }
  return checks;
}

// ---------------------------------------------------------------------------------------------------------------
// Profiles

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  samples?: number[];
  timeDeltas?: number[];
}

/** Self time per function of a .cpuprofile, top `limit`, as text. */
function topFunctions(file: string, limit: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i += 1) selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + (deltas[i] ?? 0));
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    const where = url ? `${url.replace(/^file:\/\//, '').replace(ROOT + '/', '')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  const top = [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit);
  return top.map(([k, us]) => `  ${((us / Math.max(1, total)) * 100).toFixed(1).padStart(5)}%  ${k}`).join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Main

async function runMicro(env: NodeJS.ProcessEnv, options: BenchOptions): Promise<MicroResult[]> {
  const child = spawnChild(MICRO_ENTRY, [], { ...env, BENCH_MICRO_SCALE: String(options.microScale) });
  const message = await nextMessage(child, ['micro'], 300_000, 'micro-benchmark');
  await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
  return message.results;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  mkdirSync(RESULTS_DIR, { recursive: true });
  if (options.profile) {
    rmSync(PROFILE_DIR, { recursive: true, force: true });
    mkdirSync(PROFILE_DIR, { recursive: true });
  }

  const attester = createTestAttester({ header: TOKEN_HEADER });
  const env: NodeJS.ProcessEnv = {
    BENCH_SECRET: attester.secret!,
    BENCH_KEY_PREFIX: `bench:${process.pid}:${randomBytes(4).toString('hex')}:`,
    BENCH_REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    NODE_ENV: 'production',
    ...(options.profile ? { BENCH_PROFILE_DIR: PROFILE_DIR } : {}),
  };
  const scenarios = options.http ? selectScenarios(options) : [];
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  log(
    `mobile-api-shield bench: node ${process.version}, ${os.cpus().length} cpu(s) ${os.cpus()[0]?.model ?? ''}; ` +
      `${scenarios.length} scenario(s) x ${options.rounds} round(s) x ${options.durationSec} s, warm-up ${options.warmupSec} s, ` +
      `connections ${options.connections}, pipelining ${options.pipelining}${options.quick ? ' (quick)' : ''}`,
  );

  const running: RunningScenario[] = [];
  const results = new Map<string, RoundResult[]>();
  const problems: string[] = [];
  if (scenarios.length > 0) {
    const sameTokens = new Map<string, string>();
    for (const s of scenarios) {
      if (!sameTokens.has(s.client.authorization)) {
        sameTokens.set(s.client.authorization, await attester.mint({ bindTo: s.client.authorization, ttlSeconds: 3_600 }));
      }
    }
    // Start every server up front (they idle between their windows), one after another to keep start-up quiet.
    for (const s of scenarios) running.push(await startScenario(s, env, attester, sameTokens.get(s.client.authorization)!, options));
    for (const r of running) await sanityCheck(r);
    if (options.warmupSec > 0) {
      log(`warming up (${options.warmupSec} s each)...`);
      for (const r of running) {
        const warm = await load(r, options.warmupSec, options);
        if (warm.non2xx > 0 || warm.errors > 0) problems.push(`${r.scenario.name}: warm-up had ${warm.non2xx} non-2xx, ${warm.errors} errors`);
      }
    }
    for (let round = 0; round < options.rounds; round += 1) {
      const order = round % 2 === 0 ? running : [...running].reverse();
      for (const r of order) {
        const result = await measure(r, round, options);
        if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
          problems.push(`${r.scenario.name} round ${round + 1}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
        }
        const list = results.get(r.scenario.name) ?? [];
        list.push(result);
        results.set(r.scenario.name, list);
        log(
          `round ${round + 1}/${options.rounds}  ${r.scenario.name.padEnd(26)} ${fmt(result.reqPerSec, 0).padStart(7)} req/s  ` +
            `p99 ${fmt(result.p99Ms, 0).padStart(3)} ms  server ${fmt(result.cpuUsPerRequest)} us/req`,
        );
      }
    }
    await Promise.all(running.map((r) => stopChild(r.child)));
  }

  const summaries = summarize(running, results);
  for (const s of summaries) if (s.tokenPoolWrapped) problems.push(`${s.name}: the fresh-token pool wrapped (some tokens were seen twice)`);
  let micro: MicroResult[] = [];
  if (options.micro) {
    log('micro-benchmark of shield.check() (no HTTP)...');
    micro = await runMicro(env, options);
  }

  if (summaries.length > 0) {
    log('');
    log(
      table(
        ['scenario', 'req/s', 'p99 ms', 'server CPU us/req', 'ratio to bare', 'added CPU us/req'],
        summaries.map((s) => [
          s.name,
          fmt(s.reqPerSec, 0),
          fmt(s.p99Ms, 0),
          fmt(s.cpuUsPerRequest),
          fmt(s.ratioToBaseline, 3),
          s.addedCpuUsPerRequest === undefined ? '-' : `${s.addedCpuUsPerRequest >= 0 ? '+' : ''}${fmt(s.addedCpuUsPerRequest)}`,
        ]),
      ),
    );
  }
  if (micro.length > 0) {
    log('');
    log(
      table(
        ['shield.check() micro', 'calls', 'us/call (median batch)', 'min..max batch', 'CPU us/call'],
        micro.map((m) => [m.name, String(m.calls), fmt(m.usPerCall, 2), `${fmt(m.usPerCallMin, 2)}..${fmt(m.usPerCallMax, 2)}`, fmt(m.cpuUsPerCall, 2)]),
      ),
    );
  }
  const targets = checkTargets(summaries);
  if (targets.length > 0) {
    log('');
    for (const t of targets) log(`${t.met ? 'MET   ' : 'MISSED'}  ${t.target}: ${t.measured}`);
  }
  if (options.profile) {
    // The last round's window of each server, and each micro case's timed loop.
    const dir = PROFILE_DIR;
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
    const last = new Map<string, string>();
    for (const f of files) last.set(f.replace(/\.round\d+\.cpuprofile$/, ''), f);
    for (const f of last.values()) {
      log(`\ntop self time, ${path.relative(ROOT, path.join(dir, f))}:\n${topFunctions(path.join(dir, f), 25)}`);
    }
  }
  for (const p of problems) log(`PROBLEM: ${p}`);
  const loads = summaries.flatMap((s) => s.rounds.map((r) => r.loadAvg1));
  const busiest = loads.length > 0 ? Math.max(...loads) : os.loadavg()[0]!;
  const cores = os.cpus().length;
  if (busiest > cores) {
    log(
      `WARNING: 1-min load average reached ${busiest.toFixed(1)} on ${cores} cores during the run: other processes competed ` +
        'for the CPUs, so absolute req/s and CPU us/req are inflated and noisy; compare ratios, rerun on a quiet machine.',
    );
  }

  const report = {
    generatedAt: new Date().toISOString(),
    elapsedSec: (Date.now() - started) / 1000,
    machine: { loadAvgAtEnd: os.loadavg(), node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? null, platform: `${os.platform()} ${os.release()}` },
    options: { ...options, out: path.relative(ROOT, options.out) },
    targets: TARGETS,
    targetChecks: targets,
    scenarios: summaries,
    micro,
    problems,
  };
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
  log(`\nwrote ${path.relative(ROOT, options.out)} in ${fmt(report.elapsedSec, 0)} s`);
  if (problems.length > 0) return 1;
  if (options.strict && targets.some((t) => !t.met)) return 1;
  return 0;
}

process.once('SIGINT', () => {
  killChildren('SIGTERM');
  setTimeout(() => {
    killChildren('SIGKILL');
    process.exit(130);
  }, 2_000).unref();
});
process.once('exit', () => killChildren('SIGKILL'));

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    killChildren('SIGTERM');
    setTimeout(() => killChildren('SIGKILL'), 2_000).unref();
    process.exitCode = 1;
  },
);
