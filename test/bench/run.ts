/**
 * `npm run bench`: HTTP benchmark of the shield on Fastify 5, Express 5 and Koa 3 (bare vs shielded), plus a
 * micro-benchmark of `shield.check()` without HTTP. See test/bench/README.md.
 *
 * Every scenario of servers/scenarios.ts runs in its own child process (servers/server.ts) on 127.0.0.1 and an
 * ephemeral port; autocannon runs here. Each round measures the scenarios group by group (a bare row and the rows
 * compared with it), each group's windows mirrored (A B C C B A, half the duration each), the group order reversed on
 * odd rounds, so drift over the run affects bare and shielded rows alike. The server measures its own CPU time
 * over each measured window (process.cpuUsage deltas, opened and closed over IPC) and counts the requests it
 * received, which gives the server's CPU µs per request apart from autocannon's.
 *
 * Each scenario gets two windows per round: a saturating one (req/s, p99 latency) and one at a fixed request rate,
 * the same for every row, whose server CPU µs per request is the one compared. At saturation a slower server
 * batches more requests per wake-up and per syscall, so its CPU per request is not comparable with a faster one's.
 *
 * Then, with the same child processes, an in-process view: each server runs N requests through its own app without a
 * socket (Fastify's inject, light-my-request for Express and Koa), one at a time, and reports the CPU they took.
 * Without kernel and socket work, and without load-dependent batching, the shield's added CPU per request stands
 * out more clearly than over HTTP.
 *
 * Flags (each also as an env var): --quick, --inject N (BENCH_INJECT: requests per in-process batch; 0 = skip), --rounds N (BENCH_ROUNDS), --duration S (BENCH_DURATION),
 * --warmup S (BENCH_WARMUP), --rate N|auto|0 (BENCH_RATE: fixed req/s of the CPU window; auto = half the
 * slowest warm-up; 0 = no fixed-rate window), --rate-duration S (BENCH_RATE_DURATION), --connections N (BENCH_CONNECTIONS), --pipelining N (BENCH_PIPELINING),
 * --only name,name (BENCH_ONLY; baselines are added), --optional (BENCH_OPTIONAL=1: include optional rows),
 * --no-micro (BENCH_MICRO=0), --no-http (BENCH_HTTP=0), --profile (BENCH_PROFILE=1: --cpu-prof on each server,
 * top functions printed), --strict (BENCH_STRICT=1: exit 1 when a target is missed), --no-pin (BENCH_PIN=0: do not
 * pin the servers and the load generator to separate CPUs with taskset), --out FILE (BENCH_OUT), --time-check
 * (BENCH_TIME_CHECK=1: time spent inside shield.checkNow over HTTP, per shielded row; two clock reads a check).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createTestAttester, type TestAttester } from '../../src/testing/test-attester.js';
import type { Calibration, MicroMessage, MicroResult } from './servers/micro.js';
import type { PayloadTiming } from './servers/payload-timing.js';
import { BENCH_TOKEN_HEADER, clientHeaders, SCENARIOS, type Scenario } from './servers/scenarios.js';
import type { ChildMessage, ParentMessage } from './servers/server.js';
import { shieldShare, slug } from './servers/window-profiler.js';
import type { Profiler } from 'node:inspector';
import { BENCH_SOURCE, PROJECT_ROOT } from './servers/library.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER_ENTRY = path.join(HERE, 'servers', 'server.ts');
const MICRO_ENTRY = path.join(HERE, 'servers', 'micro.ts');
const RESULTS_DIR = path.join(HERE, 'results');
const PROFILE_DIR = path.join(RESULTS_DIR, 'profiles');
/** Upper bound of req/s any scenario reaches here; sizes the pool of fresh tokens so it does not wrap. */
const MAX_EXPECTED_RPS = 40_000;
const MAX_TOKEN_POOL = 60_000;

/** Targets of issue 2 (later issues add theirs here). */
/** Issue 12's targets ("Hot path"); every one is printed as MET or MISSED with the machine calibration line. */
const TARGETS = {
  /** Fastify + shield (token with binding, token seen before) req/s over bare Fastify's. */
  fastifyRatioMin: 0.9,
  /** Shield's added server CPU µs per request once a token has been seen (Fastify, Express, Koa). */
  addedCpuUsMax: 10,
  /** Fastify + full shield (token, device policy, payload on 1 KB, credentials on the login route) over bare. */
  fullRatioMin: 0.75,
  /** Payload shield on a 1 KB JSON body: p99 µs per check. */
  payloadP99UsMax: 100,
  /** Slowest body of the detection corpus, ms. */
  corpusMaxMsMax: 2,
};

// ---------------------------------------------------------------------------------------------------------------
// Options

interface BenchOptions {
  rounds: number;
  durationSec: number;
  warmupSec: number;
  /** Fixed req/s of the CPU window; 'auto' picks half the slowest warm-up's req/s; 0 skips that window. */
  rate: number | 'auto';
  rateDurationSec: number;
  /** Requests per in-process batch; 0 skips the in-process view. */
  injectCount: number;
  connections: number;
  pipelining: number;
  only: string[] | undefined;
  optional: boolean;
  micro: boolean;
  microScale: number;
  http: boolean;
  profile: boolean;
  /** Time spent inside `shield.checkNow` on the servers (BENCH_TIME_CHECK in their environment). */
  timeCheck: boolean;
  /** Pin the server children to one CPU and this runner (autocannon) to another (taskset); default on 2+ CPUs. */
  pin: boolean;
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
    else if (['quick', 'optional', 'no-micro', 'no-http', 'profile', 'strict', 'no-pin', 'time-check', 'help'].includes(arg.slice(2))) flags.set(arg.slice(2), true);
    else {
      const value = argv[i + 1];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      flags.set(arg.slice(2), value);
      i += 1;
    }
  }
  const known = ['quick', 'inject', 'rounds', 'duration', 'warmup', 'rate', 'rate-duration', 'connections', 'pipelining', 'only', 'optional', 'no-micro', 'no-http', 'profile', 'strict', 'no-pin', 'time-check', 'out', 'help'];
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
    durationSec: num('duration', 'BENCH_DURATION', quick ? 1 : 2, 1, 60),
    warmupSec: num('warmup', 'BENCH_WARMUP', quick ? 1 : 1.5, 0, 30),
    rate: value('rate', 'BENCH_RATE') === undefined || value('rate', 'BENCH_RATE') === 'auto' ? 'auto' : Math.round(num('rate', 'BENCH_RATE', 0, 0, 1_000_000)),
    rateDurationSec: num('rate-duration', 'BENCH_RATE_DURATION', quick ? 1 : 1.5, 1, 60),
    injectCount: Math.round(num('inject', 'BENCH_INJECT', quick ? 500 : 2_000, 0, 1_000_000)),
    connections: Math.round(num('connections', 'BENCH_CONNECTIONS', 50, 1, 1000)),
    pipelining: Math.round(num('pipelining', 'BENCH_PIPELINING', 1, 1, 64)),
    only: only ? only.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
    optional: flags.has('optional') || process.env.BENCH_OPTIONAL === '1',
    micro: !flags.has('no-micro') && process.env.BENCH_MICRO !== '0',
    microScale: quick ? 0.1 : 1,
    http: !flags.has('no-http') && process.env.BENCH_HTTP !== '0',
    profile: flags.has('profile') || process.env.BENCH_PROFILE === '1',
    timeCheck: flags.has('time-check') || process.env.BENCH_TIME_CHECK === '1',
    pin: !flags.has('no-pin') && process.env.BENCH_PIN !== '0' && os.cpus().length >= 2 && tasksetWorks(),
    strict: flags.has('strict') || process.env.BENCH_STRICT === '1',
    out: path.resolve(value('out', 'BENCH_OUT') ?? path.join(RESULTS_DIR, 'bench.json')),
  };
}

/** Bare Fastify plus a 5 µs busy hook: run with the full-shield row, printed next to its target. */
const REFERENCE_ROW = 'fastify 1KB + 5us hook';
/** Bare Fastify plus two hooks that read every body character once: run and printed likewise. */
const FLOOR_ROW = 'fastify 1KB + read-every-character hooks';

function selectScenarios(options: BenchOptions): Scenario[] {
  if (!options.only) return SCENARIOS.filter((s) => options.optional || !s.optional);
  const wanted = new Set<string>();
  for (const name of options.only) {
    const scenario = SCENARIOS.find((s) => s.name === name);
    if (!scenario) throw new Error(`--only: unknown scenario "${name}"; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    wanted.add(scenario.name);
    if (scenario.baseline) wanted.add(scenario.baseline);
    if (scenario.name === 'fastify+shield full 1KB') {
      wanted.add(REFERENCE_ROW);
      wanted.add(FLOOR_ROW);
    }
  }
  // Keep the table's order, which alternates bare and shielded rows.
  return SCENARIOS.filter((s) => wanted.has(s.name));
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes

const children = new Set<ChildProcess>();

/** True when `taskset` can set this process's CPU affinity (util-linux; absent on macOS). */
function tasksetWorks(): boolean {
  return spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status === 0;
}

/** The CPUs the server children run on when pinned; the runner and autocannon keep CPU 0. */
let childCpus: string | undefined;

/**
 * Pins this process (all its threads) to CPU 0 and the children started later to the other CPUs: the server under
 * test and the load generator then never share a core or migrate between cores mid-window, which is most of the
 * round-to-round noise on a 2-core machine.
 */
function pinProcesses(): void {
  const cpus = os.cpus().length;
  childCpus = cpus === 2 ? '1' : `1-${cpus - 1}`;
  spawnSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' });
}

function spawnChild(entry: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const argv = ['--import', 'tsx', entry, ...args];
  const child = spawn(childCpus ? 'taskset' : process.execPath, childCpus ? ['-c', childCpus, process.execPath, ...argv] : argv, {
    cwd: PROJECT_ROOT,
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
): Promise<Extract<ChildMessage | MicroMessage, { type: T }>> {
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
      else resolve(message as Extract<ChildMessage | MicroMessage, { type: T }>);
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
  /** The fixed-rate window, when one ran. */
  readonly fixedRate?: FixedRateResult;
  /** µs inside `shield.checkNow` per request (`--time-check`, shielded rows). */
  readonly checkUsPerRequest?: number;
  /** µs the route handler spent answering per request (`--time-check`, Fastify and Express rows). */
  readonly answerUsPerRequest?: number;
}

interface FixedRateResult {
  readonly targetReqPerSec: number;
  readonly achievedReqPerSec: number;
  readonly p99Ms: number;
  readonly serverRequests: number;
  readonly serverCpuUs: number;
  readonly cpuUsPerRequest: number;
  /** µs inside `shield.checkNow` per request (`--time-check`, shielded rows). */
  readonly checkUsPerRequest?: number;
  /** µs the route handler spent answering per request (`--time-check`, Fastify and Express rows). */
  readonly answerUsPerRequest?: number;
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
  const headers = clientHeaders(scenario.client, sameToken);
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
  delete withoutToken[BENCH_TOKEN_HEADER];
  const bare = await fetch(running.url, { method: scenario.route.method, headers: withoutToken, body });
  await bare.arrayBuffer();
  const expected = scenario.withoutTokenStatus ?? (scenario.shielded ? 401 : 200);
  if (bare.status !== expected) {
    throw new Error(`sanity: "${scenario.name}" answered ${bare.status} without a token, expected ${expected} (is the shield mounted?)`);
  }
}

function load(running: RunningScenario, durationSec: number, options: BenchOptions, overallRate?: number): Promise<autocannon.Result> {
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
      return { ...req, headers: { ...running.headers, [BENCH_TOKEN_HEADER]: pool[running.tokenCursor]! } };
    };
  }
  return autocannon({
    url: running.url,
    connections: options.connections,
    pipelining: options.pipelining,
    duration: durationSec,
    requests: [request],
    ...(overallRate ? { overallRate } : {}),
  });
}

/** One measured window: autocannon against the server while the server measures its CPU. */
async function window(
  running: RunningScenario,
  label: string,
  durationSec: number,
  options: BenchOptions,
  overallRate?: number,
): Promise<Window> {
  const what = `server "${running.scenario.name}"`;
  tell(running.child, { type: 'begin', label });
  await nextMessage(running.child, ['begun'], 10_000, what);
  const result = await load(running, durationSec, options, overallRate);
  tell(running.child, { type: 'end' });
  const ended = await nextMessage(running.child, ['ended'], 10_000, what);
  return { result, ended };
}

type Window = { result: autocannon.Result; ended: Extract<ChildMessage, { type: 'ended' }> };

/**
 * A scenario's baseline and the rows compared with it, in the order they are listed (other rows: alone). A round
 * measures one group at a time, so the windows compared with each other are seconds apart, not a whole round.
 */
function comparisonGroups(running: readonly RunningScenario[]): RunningScenario[][] {
  const groups = new Map<string, RunningScenario[]>();
  for (const r of running) {
    const key = r.scenario.baseline ?? r.scenario.name;
    const group = groups.get(key) ?? [];
    // The baseline leads its group whatever order the rows were listed in.
    if (r.scenario.baseline === undefined) group.unshift(r);
    else group.push(r);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * Runs one kind of window (saturating, or at `rate`) for a group, mirrored: each row once in order, then once in
 * reverse, each for half the duration (A B C C B A). Every row's two halves are symmetric about the block's middle,
 * so a machine that speeds up or slows down steadily over the block moves every row's total alike, and a row is
 * never more than a block away from the baseline it is compared with.
 */
async function mirroredWindows(
  group: readonly RunningScenario[],
  round: number,
  seconds: number,
  options: BenchOptions,
  rate?: number,
): Promise<Map<RunningScenario, Window[]>> {
  const halves = new Map<RunningScenario, Window[]>();
  const sequence = [...group, ...[...group].reverse()];
  for (let i = 0; i < sequence.length; i += 1) {
    const r = sequence[i]!;
    const label = `round${round + 1}${rate ? '-fixed-rate' : ''}-${i < group.length ? 'a' : 'b'}`;
    const list = halves.get(r) ?? [];
    list.push(await window(r, label, seconds / 2, options, rate));
    halves.set(r, list);
  }
  return halves;
}

/** The sums over a row's mirrored half windows. */
function sumWindows(windows: readonly Window[]): {
  requests: number;
  durationSec: number;
  p50Ms: number;
  p99Ms: number;
  serverRequests: number;
  serverCpuUs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  heapUsedBytes: number;
  checkUs: number | undefined;
  answerUs: number | undefined;
} {
  const sum = (f: (w: Window) => number): number => windows.reduce((s, w) => s + f(w), 0);
  return {
    requests: sum((w) => w.result.requests.total),
    durationSec: sum((w) => w.result.duration),
    // Latency percentiles do not add: the mean of the halves' (the two halves are equally long).
    p50Ms: sum((w) => w.result.latency.p50) / windows.length,
    p99Ms: sum((w) => w.result.latency.p99) / windows.length,
    serverRequests: sum((w) => w.ended.requests),
    serverCpuUs: sum((w) => w.ended.userUs + w.ended.systemUs),
    non2xx: sum((w) => w.result.non2xx),
    errors: sum((w) => w.result.errors),
    timeouts: sum((w) => w.result.timeouts),
    heapUsedBytes: windows[windows.length - 1]!.ended.heapUsedBytes,
    checkUs: windows.every((w) => w.ended.checkUs !== undefined) ? sum((w) => w.ended.checkUs!) : undefined,
    answerUs: windows.every((w) => w.ended.answerUs !== undefined) ? sum((w) => w.ended.answerUs!) : undefined,
  };
}

/** The per-round line's note of the timed parts (`--time-check`). */
function timedParts(r: { checkUsPerRequest?: number; answerUsPerRequest?: number }): string {
  const parts = [
    ...(r.checkUsPerRequest === undefined ? [] : [`${fmt(r.checkUsPerRequest)} in checkNow`]),
    ...(r.answerUsPerRequest === undefined ? [] : [`${fmt(r.answerUsPerRequest)} answering`]),
  ];
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

/** µs inside `shield.checkNow` and answering, per request of summed windows, when the server timed them. */
function timedPerRequest(w: {
  checkUs: number | undefined;
  answerUs: number | undefined;
  serverRequests: number;
}): { checkUsPerRequest?: number; answerUsPerRequest?: number } {
  if (w.serverRequests === 0) return {};
  return {
    ...(w.checkUs === undefined ? {} : { checkUsPerRequest: w.checkUs / w.serverRequests }),
    ...(w.answerUs === undefined ? {} : { answerUsPerRequest: w.answerUs / w.serverRequests }),
  };
}

/** One round of a comparison group: mirrored saturating windows, then mirrored fixed-rate windows. */
async function measureGroup(group: readonly RunningScenario[], round: number, options: BenchOptions, rate: number): Promise<Map<RunningScenario, RoundResult>> {
  const saturated = await mirroredWindows(group, round, options.durationSec, options);
  const fixed = rate > 0 ? await mirroredWindows(group, round, options.rateDurationSec, options, rate) : undefined;
  const out = new Map<RunningScenario, RoundResult>();
  for (const r of group) {
    const sat = sumWindows(saturated.get(r)!);
    let fixedRate: FixedRateResult | undefined;
    const fixedHalves = fixed?.get(r);
    if (fixedHalves) {
      const f = sumWindows(fixedHalves);
      for (const [key, value] of [['non2xx', f.non2xx], ['errors', f.errors], ['timeouts', f.timeouts]] as const) {
        if (value > 0) throw new Error(`"${r.scenario.name}" fixed-rate window: ${value} ${key}`);
      }
      fixedRate = {
        targetReqPerSec: rate,
        achievedReqPerSec: f.requests / f.durationSec,
        p99Ms: f.p99Ms,
        serverRequests: f.serverRequests,
        serverCpuUs: f.serverCpuUs,
        cpuUsPerRequest: f.serverRequests > 0 ? f.serverCpuUs / f.serverRequests : Number.NaN,
        ...timedPerRequest(f),
      };
    }
    out.set(r, {
      round,
      reqPerSec: sat.requests / sat.durationSec,
      p50Ms: sat.p50Ms,
      p99Ms: sat.p99Ms,
      clientRequests: sat.requests,
      serverRequests: sat.serverRequests,
      serverCpuUs: sat.serverCpuUs,
      cpuUsPerRequest: sat.serverRequests > 0 ? sat.serverCpuUs / sat.serverRequests : Number.NaN,
      non2xx: sat.non2xx,
      errors: sat.errors,
      timeouts: sat.timeouts,
      heapUsedBytes: sat.heapUsedBytes,
      loadAvg1: os.loadavg()[0]!,
      ...(fixedRate ? { fixedRate } : {}),
      ...timedPerRequest(sat),
    });
  }
  return out;
}

/** In-process results of one scenario: CPU µs per request, per round. */
interface InjectRounds {
  readonly cpuUs: number[];
  readonly wallUs: number[];
  readonly count: number[];
}

async function injectBatch(running: RunningScenario, count: number, profile = false): Promise<{ cpuUs: number; wallUs: number; libraryUs?: number }> {
  const { scenario } = running;
  tell(running.child, {
    type: 'inject',
    count,
    request: { method: scenario.route.method, url: scenario.route.path, headers: running.headers, payload: scenario.client.body },
    profile,
  });
  const answer = await nextMessage(running.child, ['injected'], 300_000, `server "${scenario.name}" (in-process)`);
  if (answer.non2xx > 0) throw new Error(`"${scenario.name}" in-process: ${answer.non2xx} of ${count} requests were not 2xx`);
  return { cpuUs: answer.cpuUs, wallUs: answer.wallUs, ...(answer.libraryUs !== undefined ? { libraryUs: answer.libraryUs } : {}) };
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
  /**
   * Server CPU µs per request in the fixed-rate windows (all rounds pooled); at saturation when no fixed-rate
   * window ran (`cpuBasis` says which).
   */
  readonly cpuUsPerRequest: number;
  readonly cpuBasis: 'fixed-rate' | 'saturated';
  /** Server CPU µs per request in the saturating windows (pooled). */
  readonly saturatedCpuUsPerRequest: number;
  /** Median over rounds of (this round's req/s ÷ the baseline's req/s in the same round). */
  readonly ratioToBaseline: number | undefined;
  /** Median over rounds of (this round's CPU µs per request minus the baseline's in the same round). */
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
  const pooledSaturated = (rounds: readonly RoundResult[]): number =>
    rounds.reduce((s, r) => s + r.serverCpuUs, 0) / Math.max(1, rounds.reduce((s, r) => s + r.serverRequests, 0));
  const fixedRun = (rounds: readonly RoundResult[]): boolean => rounds.length > 0 && rounds.every((r) => r.fixedRate);
  const pooledCpu = (rounds: readonly RoundResult[]): number =>
    fixedRun(rounds)
      ? rounds.reduce((s, r) => s + r.fixedRate!.serverCpuUs, 0) / Math.max(1, rounds.reduce((s, r) => s + r.fixedRate!.serverRequests, 0))
      : pooledSaturated(rounds);
  return running.map(({ scenario, tokenPool, tokenPoolWrapped }) => {
    const rounds = results.get(scenario.name) ?? [];
    const base = scenario.baseline ? results.get(scenario.baseline) : undefined;
    const cpu = pooledCpu(rounds);
    let ratio: number | undefined;
    let added: number | undefined;
    if (base && base.length === rounds.length && rounds.length > 0) {
      ratio = median(rounds.map((r, i) => r.reqPerSec / base[i]!.reqPerSec));
      // Paired by round, like the ratio: a round the machine slowed for both rows cancels out, and one bad round
      // (another process waking up in one window) moves the median less than it moves a pooled mean.
      const fixed = fixedRun(rounds) && fixedRun(base);
      const roundCpu = (r: RoundResult): number => (fixed ? r.fixedRate!.cpuUsPerRequest : r.cpuUsPerRequest);
      added = median(rounds.map((r, i) => roundCpu(r) - roundCpu(base[i]!)));
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
      cpuBasis: fixedRun(rounds) ? 'fixed-rate' : 'saturated',
      saturatedCpuUsPerRequest: pooledSaturated(rounds),
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
/** `fmt` with an explicit sign (`+3.2`, `-0.4`), for differences. */
const signed = (n: number | undefined): string => (n === undefined || Number.isNaN(n) ? '-' : `${n >= 0 ? '+' : ''}${fmt(n)}`);

/** Slices each in-process round is split into (see the in-process loop). */
const IN_PROCESS_SLICES = 4;

interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

interface InjectSummary {
  readonly name: string;
  readonly baseline: string | undefined;
  /** Median over rounds of CPU µs per request. */
  readonly cpuUsPerRequest: number;
  readonly minRound: number;
  readonly maxRound: number;
  /** Median over slices of (this row's µs/req minus its baseline's in the same slice). */
  readonly addedCpuUsPerRequest: number | undefined;
  /**
   * This row's fastest slice minus its baseline's fastest: other tenants of a host only ever add CPU time to a
   * slice, so the minima are the least disturbed reading of each (GC still counts: every slice has its share).
   */
  readonly addedCpuUsAtMinimum: number | undefined;
  readonly wallUsPerRequest: number;
  readonly rounds: readonly number[];
}

function summarizeInjected(running: readonly RunningScenario[], injected: Map<string, InjectRounds>): InjectSummary[] {
  const perRequest = (r: InjectRounds): number[] => r.cpuUs.map((cpu, i) => cpu / r.count[i]!);
  const out: InjectSummary[] = [];
  for (const { scenario } of running) {
    const mine = injected.get(scenario.name);
    if (!mine) continue;
    const rounds = perRequest(mine);
    const base = scenario.baseline ? injected.get(scenario.baseline) : undefined;
    const baseRounds = base ? perRequest(base) : undefined;
    out.push({
      name: scenario.name,
      baseline: scenario.baseline,
      cpuUsPerRequest: median(rounds),
      minRound: Math.min(...rounds),
      maxRound: Math.max(...rounds),
      addedCpuUsPerRequest:
        baseRounds && baseRounds.length === rounds.length ? median(rounds.map((v, i) => v - baseRounds[i]!)) : undefined,
      addedCpuUsAtMinimum: baseRounds ? Math.min(...rounds) - Math.min(...baseRounds) : undefined,
      wallUsPerRequest: median(mine.wallUs.map((w, i) => w / mine.count[i]!)),
      rounds,
    });
  }
  return out;
}

/** The rows the "<= 10 us added per request for a seen token" target is about (token with binding only). */
const TOKEN_ONLY_ROWS: readonly string[] = ['fastify+shield', 'express+shield', 'koa+shield'];

function checkTargets(
  summaries: readonly ScenarioSummary[],
  inProcess: readonly InjectSummary[],
  payload: PayloadTiming | undefined,
): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const fastify = summaries.find((s) => s.name === 'fastify+shield');
  if (fastify?.ratioToBaseline !== undefined) {
    checks.push({
      target: `fastify+shield req/s >= ${TARGETS.fastifyRatioMin} x bare`,
      measured: fmt(fastify.ratioToBaseline, 3),
      met: fastify.ratioToBaseline >= TARGETS.fastifyRatioMin,
    });
  }
  const full = summaries.find((s) => s.name === 'fastify+shield full 1KB');
  if (full?.ratioToBaseline !== undefined) {
    // The reference row (bare Fastify + a hook that only spins 5 µs) says what 5 µs of any work costs here.
    // The floor row (two hooks reading every body character once) says what the least payload inspection costs.
    const spin = summaries.find((s) => s.name === REFERENCE_ROW)?.ratioToBaseline;
    const floor = summaries.find((s) => s.name === FLOOR_ROW)?.ratioToBaseline;
    const references = [
      ...(spin === undefined ? [] : [`bare + a 5 us busy hook = ${fmt(spin, 3)}`]),
      ...(floor === undefined ? [] : [`bare + two hooks reading every body character = ${fmt(floor, 3)}`]),
    ];
    checks.push({
      target: `${full.name} req/s >= ${TARGETS.fullRatioMin} x bare`,
      measured: fmt(full.ratioToBaseline, 3) + (references.length === 0 ? '' : ` (reference: ${references.join('; ')})`),
      met: full.ratioToBaseline >= TARGETS.fullRatioMin,
    });
  }
  if (payload) {
    checks.push({
      target: `payload shield on a 1 KB JSON body: p99 < ${TARGETS.payloadP99UsMax} us per check`,
      measured:
        `${fmt(payload.p99Us)} us (controls of the same p50 here: pure arithmetic p99 ${fmt(payload.controlP99Us)} us, ` +
        `allocating as much as a check p99 ${fmt(payload.allocatingControlP99Us)} us)`,
      met: payload.p99Us < TARGETS.payloadP99UsMax,
    });
    if (payload.corpusMaxMs !== undefined) {
      checks.push({
        target: `payload shield: no detection-corpus body above ${TARGETS.corpusMaxMsMax} ms`,
        measured: `${fmt(payload.corpusMaxMs, 2)} ms`,
        met: payload.corpusMaxMs <= TARGETS.corpusMaxMsMax,
      });
    }
  }
  for (const s of summaries) {
    if (!TOKEN_ONLY_ROWS.includes(s.name) || s.addedCpuUsPerRequest === undefined) continue;
    checks.push({
      target: `${s.name}: added server CPU < ${TARGETS.addedCpuUsMax} us/req over HTTP (token seen before)`,
      measured: `${fmt(s.addedCpuUsPerRequest)} us`,
      met: s.addedCpuUsPerRequest < TARGETS.addedCpuUsMax,
    });
  }
  for (const s of inProcess) {
    if (!TOKEN_ONLY_ROWS.includes(s.name) || s.addedCpuUsPerRequest === undefined) continue;
    checks.push({
      target: `${s.name}: added CPU < ${TARGETS.addedCpuUsMax} us/req in-process (token seen before)`,
      measured: `${fmt(s.addedCpuUsPerRequest)} us (fastest slices: ${signed(s.addedCpuUsAtMinimum)} us)`,
      met: s.addedCpuUsPerRequest < TARGETS.addedCpuUsMax,
    });
  }
  return checks;
}

// ---------------------------------------------------------------------------------------------------------------
// Profiles

/** Self time per function of a profile, top `limit`, as text. */
function topFunctions(profile: Profiler.Profile, limit: number): string {
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
    const where = url ? `${url.replace(/^file:\/\//, '').replace(PROJECT_ROOT + '/', '')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  const top = [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit);
  return top.map(([k, us]) => `  ${((us / Math.max(1, total)) * 100).toFixed(1).padStart(5)}%  ${k}`).join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Main

async function runMicro(
  env: NodeJS.ProcessEnv,
  options: BenchOptions,
): Promise<{ results: MicroResult[]; calibration: Calibration; payload: PayloadTiming | undefined }> {
  const child = spawnChild(MICRO_ENTRY, [], { ...env, BENCH_MICRO_SCALE: String(options.microScale) });
  const message = await nextMessage(child, ['micro'], 300_000, 'micro-benchmark');
  await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
  return { results: message.results, calibration: message.calibration, payload: message.payload };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options.pin) pinProcesses();
  const started = Date.now();
  mkdirSync(RESULTS_DIR, { recursive: true });
  if (options.profile) {
    rmSync(PROFILE_DIR, { recursive: true, force: true });
    mkdirSync(PROFILE_DIR, { recursive: true });
  }

  const attester = createTestAttester({ header: BENCH_TOKEN_HEADER });
  const env: NodeJS.ProcessEnv = {
    BENCH_SECRET: attester.secret!,
    BENCH_KEY_PREFIX: `bench:${process.pid}:${randomBytes(4).toString('hex')}:`,
    BENCH_REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    NODE_ENV: 'production',
    ...(options.profile ? { BENCH_PROFILE_DIR: PROFILE_DIR } : {}),
    ...(options.timeCheck ? { BENCH_TIME_CHECK: '1' } : {}),
  };
  const scenarios = options.http ? selectScenarios(options) : [];
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  log(
    `mobile-api-shield bench: node ${process.version}, ${os.cpus().length} cpu(s) ${os.cpus()[0]?.model ?? ''}; ` +
      `${scenarios.length} scenario(s) x ${options.rounds} round(s) x ${options.durationSec} s, warm-up ${options.warmupSec} s, ` +
      `connections ${options.connections}, pipelining ${options.pipelining}${options.quick ? ' (quick)' : ''}; ` +
      `library from ${BENCH_SOURCE === 'dist' ? 'dist/ (the built package)' : 'src/ through tsx (BENCH_SOURCE=src)'}; ` +
      (childCpus ? `servers pinned to CPU ${childCpus}, load generator to CPU 0` : 'not pinned'),
  );

  const running: RunningScenario[] = [];
  const injected = new Map<string, InjectRounds>();
  /** The library's own sampled CPU µs per in-process request, per shielded row (see the profiled batch below). */
  const libraryInPlace = new Map<string, number>();
  let rate = 0;
  const results = new Map<string, RoundResult[]>();
  const problems: string[] = [];
  if (scenarios.length > 0) {
    const sameTokens = new Map<string, string>();
    for (const s of scenarios) {
      if (!sameTokens.has(s.client.authorization)) {
        sameTokens.set(s.client.authorization, await attester.mint({ bindTo: s.client.authorization, ttlSeconds: 3_600 }));
      }
    }
    // Start every server up front (they idle between their windows; start-up is over before warm-up), one after
    // another: they share one pinned CPU, and sixteen compiling at once on a busy host overran the ready timeout.
    for (const s of scenarios) running.push(await startScenario(s, env, attester, sameTokens.get(s.client.authorization)!, options));
    for (const r of running) await sanityCheck(r);
    const warmRates: number[] = [];
    if (options.warmupSec > 0) {
      log(`warming up (${options.warmupSec} s each)...`);
      for (const r of running) {
        const warm = await load(r, options.warmupSec, options);
        if (warm.non2xx > 0 || warm.errors > 0) problems.push(`${r.scenario.name}: warm-up had ${warm.non2xx} non-2xx, ${warm.errors} errors`);
        warmRates.push(warm.requests.total / warm.duration);
      }
    }
    if (options.rate === 'auto') {
      // Half the slowest row's warm-up rate: every row keeps up, and all are measured at the same load.
      const slowest = warmRates.length > 0 ? Math.min(...warmRates) : 2_000;
      rate = Math.max(100, Math.floor(slowest / 2 / 100) * 100);
    } else rate = options.rate;
    if (rate > 0) log(`fixed-rate CPU windows at ${rate} req/s (${options.rateDurationSec} s each)`);
    const groups = comparisonGroups(running);
    for (let round = 0; round < options.rounds; round += 1) {
      const order = round % 2 === 0 ? groups : [...groups].reverse();
      for (const group of order) {
        for (const [r, result] of await measureGroup(group, round, options, rate)) {
          if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
            problems.push(`${r.scenario.name} round ${round + 1}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
          }
          const list = results.get(r.scenario.name) ?? [];
          list.push(result);
          results.set(r.scenario.name, list);
          log(
            `round ${round + 1}/${options.rounds}  ${r.scenario.name.padEnd(26)} ${fmt(result.reqPerSec, 0).padStart(7)} req/s  ` +
              `p99 ${fmt(result.p99Ms, 0).padStart(3)} ms  server ${fmt(result.cpuUsPerRequest)} us/req` +
              timedParts(result) +
              (result.fixedRate
                ? `  | at ${fmt(result.fixedRate.achievedReqPerSec, 0)} req/s: server ${fmt(result.fixedRate.cpuUsPerRequest)} us/req` +
                  timedParts(result.fixedRate)
                : ''),
          );
        }
      }
    }
    if (options.injectCount > 0) {
      // Rows with a rotating token are left out: a fixed token would measure the cached path under their name.
      const eligible = running.filter((r) => typeof r.scenario.client.token !== 'number');
      // Each round's requests go in IN_PROCESS_SLICES interleaved slices: more, shorter samples per row, so the
      // minimum (below) has quiet moments to find on a shared host.
      const slice = Math.max(1, Math.round(options.injectCount / IN_PROCESS_SLICES));
      log(
        `in-process (no socket): ${options.injectCount} sequential requests per round in ${IN_PROCESS_SLICES} interleaved slices, ` +
          `1 warm-up + ${options.rounds} round(s)`,
      );
      for (const r of eligible) await injectBatch(r, options.injectCount);
      for (let round = 0; round < options.rounds * IN_PROCESS_SLICES; round += 1) {
        const order = round % 2 === 0 ? eligible : [...eligible].reverse();
        for (const r of order) {
          const { cpuUs, wallUs } = await injectBatch(r, slice);
          const entry = injected.get(r.scenario.name) ?? { cpuUs: [], wallUs: [], count: [] };
          entry.cpuUs.push(cpuUs);
          entry.wallUs.push(wallUs);
          entry.count.push(slice);
          injected.set(r.scenario.name, entry);
        }
      }
      // One more batch per shielded row under the sampling profiler: the library's own CPU per request in place,
      // which a difference of two totals (the added CPU above) cannot separate from the host's spread.
      for (const r of eligible) {
        if (!r.scenario.shielded) continue;
        const { libraryUs } = await injectBatch(r, options.injectCount, true);
        if (libraryUs !== undefined) libraryInPlace.set(r.scenario.name, libraryUs / options.injectCount);
      }
    }
    await Promise.all(running.map((r) => stopChild(r.child)));
  }

  const summaries = summarize(running, results);
  const warnings: string[] = [];
  for (const s of summaries) {
    if (s.tokenPoolWrapped) problems.push(`${s.name}: the fresh-token pool wrapped (some tokens were seen twice)`);
    const behind = s.rounds.filter((r) => r.fixedRate && r.fixedRate.achievedReqPerSec < 0.9 * r.fixedRate.targetReqPerSec);
    if (behind.length > 0) warnings.push(`${s.name}: fell behind the fixed rate in ${behind.length} round(s); lower --rate`);
  }
  let micro: MicroResult[] = [];
  let calibration: Calibration | undefined;
  let payload: PayloadTiming | undefined;
  if (options.micro) {
    log('micro-benchmark of shield.check() (no HTTP) and payload shield timing...');
    ({ results: micro, calibration, payload } = await runMicro(env, options));
  }

  if (summaries.length > 0) {
    log('');
    log(
      table(
        [
          'scenario',
          'req/s',
          'p99 ms',
          rate > 0 ? `server CPU us/req @${rate} req/s` : 'server CPU us/req',
          'ratio to bare',
          'added CPU us/req',
          'CPU us/req saturated',
        ],
        summaries.map((s) => [
          s.name,
          fmt(s.reqPerSec, 0),
          fmt(s.p99Ms, 0),
          fmt(s.cpuUsPerRequest),
          fmt(s.ratioToBaseline, 3),
          s.addedCpuUsPerRequest === undefined ? '-' : `${s.addedCpuUsPerRequest >= 0 ? '+' : ''}${fmt(s.addedCpuUsPerRequest)}`,
          fmt(s.saturatedCpuUsPerRequest),
        ]),
      ),
    );
    // --time-check: the check's own time over HTTP, to read against the micro-benchmark's (a check in a loop), and
    // the handler's answer, the same code on every row: what a shield in front does to the framework's own work.
    for (const [name, rounds] of results) {
      const fixedOrSaturated = (f: (r: RoundResult | FixedRateResult) => number | undefined): number[] =>
        rounds.map((r) => (r.fixedRate ? f(r.fixedRate) : f(r))).filter((v): v is number => v !== undefined);
      const check = fixedOrSaturated((r) => r.checkUsPerRequest);
      const answer = fixedOrSaturated((r) => r.answerUsPerRequest);
      const parts = [
        ...(check.length > 0 ? [`${fmt(median(check))} us inside shield.checkNow`] : []),
        ...(answer.length > 0 ? [`${fmt(median(answer))} us answering in the handler`] : []),
      ];
      if (parts.length > 0) log(`${name}: ${parts.join(', ')} a request over HTTP (medians of ${rounds.length} rounds)`);
    }
  }
  if (micro.length > 0) {
    log('');
    log(
      table(
        ['shield.check() micro', 'calls', 'us/call (median batch)', 'min..max batch', 'CPU us/call'],
        micro.map((m) => [m.name, String(m.calls), fmt(m.usPerCall, 2), `${fmt(m.usPerCallMin, 2)}..${fmt(m.usPerCallMax, 2)}`, fmt(m.cpuUsPerCall, 2)]),
      ),
    );
    if (calibration) {
      log(
        `machine calibration: node:crypto createHash('sha256') of a 75-byte string = ${fmt(calibration.sha256CreateHashUs, 2)} us CPU ` +
          `(well under 1 us on an unloaded recent x86 core; relate the numbers above to it)`,
      );
    }
  }
  if (payload) {
    log('');
    log(
      `payload shield, check() on a 1 KB mobile order JSON body (${payload.samples} runs): p50 ${fmt(payload.p50Us)} us, p99 ${fmt(payload.p99Us)} us` +
        ` (tail controls timed alike: pure arithmetic p50 ${fmt(payload.controlP50Us)} us, p99 ${fmt(payload.controlP99Us)} us;` +
        ` allocating as much as a check p99 ${fmt(payload.allocatingControlP99Us)} us);` +
        ` a check allocates ${fmt(payload.allocatedBytesPerCheck / 1024, 1)} KB` +
        (payload.corpusMaxMs === undefined ? '; detection corpus absent' : `; slowest of ${payload.corpusRecords} corpus bodies (best of 3): ${fmt(payload.corpusMaxMs, 2)} ms`),
    );
  }
  const inProcess = summarizeInjected(running, injected);
  if (inProcess.length > 0) {
    log('');
    log(
      table(
        ['in-process (no socket)', 'CPU us/req', 'min..max slice', 'added CPU us/req', 'added, fastest slices', 'library code us/req (sampled)'],
        inProcess.map((s) => [
          s.name,
          fmt(s.cpuUsPerRequest),
          `${fmt(s.minRound)}..${fmt(s.maxRound)}`,
          signed(s.addedCpuUsPerRequest),
          signed(s.addedCpuUsAtMinimum),
          libraryInPlace.has(s.name) ? fmt(libraryInPlace.get(s.name)!) : '',
        ]),
      ),
    );
  }
  const targets = checkTargets(summaries, inProcess, payload);
  if (targets.length > 0) {
    log('');
    const load = os.loadavg()[0]!;
    log(
      `targets (issue 12) on ${os.cpus().length} cpu(s), 1-min load average ${fmt(load, 2)}` +
        (calibration ? `, calibration sha256(75 B) = ${fmt(calibration.sha256CreateHashUs, 2)} us` : '') +
        (load > os.cpus().length ? ' (machine busy: absolute numbers inflated, ratios within a round still hold)' : ''),
    );
    for (const t of targets) log(`${t.met ? 'MET   ' : 'MISSED'}  ${t.target}: ${t.measured}`);
  }
  if (options.profile) {
    // The last round's second saturating half-window of each server, and each micro case's timed loop.
    const dir = PROFILE_DIR;
    const last = `.round${options.rounds}-b.cpuprofile`;
    const wanted = readdirSync(dir)
      .filter((f) => f.startsWith('micro-') || f.endsWith(last))
      .sort();
    for (const f of wanted) {
      const file = path.join(dir, f);
      const profile = JSON.parse(readFileSync(file, 'utf8')) as Profiler.Profile;
      const { shieldUs, busyUs } = shieldShare(profile);
      const summary = summaries.find((s) => `${slug(s.name)}${last}` === f);
      const share = shieldUs / Math.max(1, busyUs);
      const perRequest = summary ? ` = about ${fmt(share * summary.saturatedCpuUsPerRequest)} us of its ${fmt(summary.saturatedCpuUsPerRequest)} us/req (saturated)` : '';
      log(
        `\ntop self time, ${path.relative(PROJECT_ROOT, file)}; library code on the stack in ${fmt(share * 100)}% of busy samples${perRequest}:\n` +
          topFunctions(profile, 25),
      );
    }
  }
  for (const w of warnings) log(`WARNING: ${w}`);
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
    options: { ...options, out: path.relative(PROJECT_ROOT, options.out), fixedRateReqPerSec: rate },
    targets: TARGETS,
    targetChecks: targets,
    scenarios: summaries,
    inProcess,
    micro,
    calibration,
    payload,
    warnings,
    problems,
  };
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
  log(`\nwrote ${path.relative(PROJECT_ROOT, options.out)} in ${fmt(report.elapsedSec, 0)} s`);
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
