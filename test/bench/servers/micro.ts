/**
 * Micro-benchmark of `shield.check()` without HTTP, run as a child process of the bench runner (a clean heap, no
 * autocannon in the same process). Each case builds a shield and a request once, warms up, then times batches of
 * sequential `await shield.check(...)` calls with process.hrtime.bigint and reports the median batch's mean µs per
 * call, plus the process CPU µs per call (which includes libuv threadpool work such as WebCrypto HMAC).
 *
 * To add a case, append to MICRO_CASES. Reads BENCH_SECRET (and BENCH_MICRO_SCALE, BENCH_MICRO_ONLY,
 * BENCH_PROFILE_DIR); prints nothing; replies over IPC with MicroResult[].
 */
import type { ShieldConfig } from '../../../src/core/config.js';
import type { ShieldRequest } from '../../../src/core/request.js';
import { lib } from './library.js';
import { createTestAttester, type TestAttester } from '../../../src/testing/test-attester.js';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { BENCH_AUTHORIZATION, orderBody } from './scenarios.js';
import { slug, WindowProfiler } from './window-profiler.js';
import { measurePayload, type PayloadTiming } from './payload-timing.js';

/** One micro-benchmark case. */
export interface MicroCase {
  readonly name: string;
  readonly config: (secret: string) => ShieldConfig;
  /**
   * Tokens to cycle through, minted before timing: 1 = the same token every call (cached path); more = a distinct
   * token per call until the pool is used up (uncached path), so `calls` is capped at the pool size.
   */
  readonly distinctTokens: number;
  /** Measured calls (after `warmup` calls). */
  readonly calls: number;
  readonly warmup: number;
  /** Set when no token header is sent. */
  readonly noToken?: boolean;
  /** Size of the order body (`orderBody`); 300 bytes when unset. */
  readonly bodyBytes?: number;
  /**
   * Sweep `EVICTION_BYTES` of memory before each call, outside the timed part: every call then starts with the
   * check's code and data out of the processor's caches, as a server's calls do after the framework's and the
   * kernel's work for the request (a loop of checks alone keeps them cached). Timed call by call.
   */
  readonly evictCaches?: boolean;
}

/** What the micro-benchmark reports per case. */
export interface MicroResult {
  readonly name: string;
  readonly calls: number;
  /** Mean wall-clock µs per call of the median batch. */
  readonly usPerCall: number;
  /** Fastest and slowest batch means, µs per call. */
  readonly usPerCallMin: number;
  readonly usPerCallMax: number;
  /** Process CPU µs per call over all measured batches (undefined when the batches also swept caches). */
  readonly cpuUsPerCall: number | undefined;
}

/** The full shield of the bench's `fastify+shield full 1KB` row, on its 1 KB order body. */
const fullShield = (secret: string): ShieldConfig => ({
  token: lib.approov({ secret }),
  device: { tokenClaims: { signals: { rooted: 'rooted', emulator: 'emulator' } } },
  credentials: {},
  payload: { contentTypes: ['application/json'] },
});

/** The cases; "core only" is the floor the token verifier's cost is read against. */
export const MICRO_CASES: readonly MicroCase[] = [
  { name: 'core only (no verifiers)', config: () => ({}), distinctTokens: 1, calls: 200_000, warmup: 20_000, noToken: true },
  {
    name: 'approov token, cached, bound',
    config: (secret) => ({ token: lib.approov({ secret }) }),
    distinctTokens: 1,
    calls: 200_000,
    warmup: 20_000,
  },
  {
    // onDecision set: per-verifier timings on (one clock read per verifier that runs, plus one).
    name: 'approov token, cached, bound, onDecision',
    config: (secret) => ({ token: lib.approov({ secret }), onDecision: () => {} }),
    distinctTokens: 1,
    calls: 200_000,
    warmup: 20_000,
  },
  {
    name: 'approov token, cached, no binding',
    config: (secret) => ({ token: lib.approov({ secret, binding: false }) }),
    distinctTokens: 1,
    calls: 200_000,
    warmup: 20_000,
  },
  {
    name: 'approov token, never seen (full HS256 verify)',
    config: (secret) => ({ token: lib.approov({ secret }) }),
    distinctTokens: 12_000,
    calls: 10_000,
    warmup: 2_000,
  },
  { name: 'full shield, 1 KB order', config: fullShield, distinctTokens: 1, bodyBytes: 1024, calls: 50_000, warmup: 20_000 },
  {
    name: 'full shield, 1 KB order, caches swept before each call',
    config: fullShield,
    distinctTokens: 1,
    bodyBytes: 1024,
    calls: 2_000,
    warmup: 20_000,
    evictCaches: true,
  },
];

/** Memory swept by `evictCaches`: more than this processor's level-2 caches and a share of its last level. */
const EVICTION_BYTES = 8 << 20;
/** The cache line size the sweep steps by. */
const CACHE_LINE = 64;
let evictionBuffer: Uint8Array | undefined;

/** Reads and writes one byte per cache line of `EVICTION_BYTES`, evicting what the caches held before. */
function sweepCaches(): number {
  const buffer = (evictionBuffer ??= new Uint8Array(EVICTION_BYTES));
  let sum = 0;
  for (let i = 0; i < buffer.length; i += CACHE_LINE) sum += buffer[i]!++;
  return sum;
}

/** A fixed primitive timed on the same machine, so numbers from machines of different speed can be related. */
export interface Calibration {
  /** CPU µs of one `createHash('sha256').update(<75-byte string>).digest()`. */
  readonly sha256CreateHashUs: number;
}

/** The micro child's answer. */
export interface MicroMessage {
  readonly type: 'micro';
  readonly results: MicroResult[];
  readonly calibration: Calibration;
  /** The payload shield's latency (1 KB body p99, slowest corpus body); skipped with BENCH_MICRO_ONLY. */
  readonly payload: PayloadTiming | undefined;
}

const BATCHES = 5;

function calibrate(): Calibration {
  const input = BENCH_AUTHORIZATION;
  const n = 100_000;
  for (let i = 0; i < 10_000; i += 1) createHash('sha256').update(input, 'utf8').digest();
  const start = process.cpuUsage();
  for (let i = 0; i < n; i += 1) createHash('sha256').update(input, 'utf8').digest();
  const cpu = process.cpuUsage(start);
  return { sha256CreateHashUs: (cpu.user + cpu.system) / n };
}

async function mintPool(attester: TestAttester, count: number): Promise<string[]> {
  const tokens: string[] = [];
  // A distinct claim per token: tokens minted in the same second would otherwise be byte-identical.
  for (let i = 0; i < count; i += 1) tokens.push(await attester.mint({ bindTo: BENCH_AUTHORIZATION, claims: { n: i } }));
  return tokens;
}

async function runCase(c: MicroCase, secret: string, attester: TestAttester, profiler: WindowProfiler | undefined): Promise<MicroResult> {
  const shield = lib.createShield(c.config(secret));
  const tokens = c.noToken ? [] : await mintPool(attester, c.distinctTokens);
  const body = JSON.parse(orderBody(c.bodyBytes ?? 300)) as unknown;
  let next = 0;
  // An HTTP parser hands over each header value as a new string: one whose hash V8 has not computed yet. Reusing
  // one string object would let every lookup keyed by it (the verified-token cache) skip that work, which no
  // server request does; so the header values are copied per call (about 0.1 µs, in every case alike).
  const tokenBytes = tokens.map((t) => Buffer.from(t, 'latin1'));
  const authorizationBytes = Buffer.from(BENCH_AUTHORIZATION, 'latin1');
  const requestFor = (): ShieldRequest => {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      authorization: authorizationBytes.toString('latin1'),
    };
    if (!c.noToken) {
      headers['approov-token'] = tokenBytes[c.distinctTokens === 1 ? 0 : next % tokens.length]!.toString('latin1');
      next += 1;
    }
    return { method: 'POST', path: '/v1/orders', headers, ip: '127.0.0.1', query: '', body };
  };

  for (let i = 0; i < c.warmup; i += 1) {
    const decision = await shield.check(requestFor());
    if (!decision.allowed) throw new Error(`micro case "${c.name}": warm-up request denied with ${decision.code}`);
  }
  const perBatch = Math.floor(Math.min(c.calls, c.distinctTokens === 1 ? c.calls : c.distinctTokens - c.warmup) / BATCHES);
  const means: number[] = [];
  await profiler?.start();
  const cpuStart = process.cpuUsage();
  for (let b = 0; b < BATCHES; b += 1) {
    // Building the request object stays inside the timed loop: an adapter builds one per request too.
    if (c.evictCaches) {
      let timed = 0n;
      for (let i = 0; i < perBatch; i += 1) {
        sweepCaches();
        const started = process.hrtime.bigint();
        await shield.check(requestFor());
        timed += process.hrtime.bigint() - started;
      }
      means.push(Number(timed) / 1e3 / perBatch);
      continue;
    }
    const started = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i += 1) await shield.check(requestFor());
    means.push(Number(process.hrtime.bigint() - started) / 1e3 / perBatch);
  }
  const cpu = process.cpuUsage(cpuStart);
  const profileDir = process.env.BENCH_PROFILE_DIR;
  if (profiler && profileDir) await profiler.stop(path.join(profileDir, `micro-${slug(c.name)}.cpuprofile`));
  const last = await shield.check(requestFor());
  if (!last.allowed) throw new Error(`micro case "${c.name}": request denied with ${last.code}`);
  means.sort((a, b) => a - b);
  return {
    name: c.name,
    calls: perBatch * BATCHES,
    usPerCall: means[Math.floor(BATCHES / 2)]!,
    usPerCallMin: means[0]!,
    usPerCallMax: means[BATCHES - 1]!,
    cpuUsPerCall: c.evictCaches ? undefined : (cpu.user + cpu.system) / (perBatch * BATCHES),
  };
}

async function main(): Promise<MicroMessage> {
  const secret = process.env.BENCH_SECRET;
  if (!process.send) throw new Error('micro.ts must be started by the bench runner (needs an IPC channel)');
  if (!secret) throw new Error('BENCH_SECRET is not set (the bench runner sets it)');
  const scale = Number(process.env.BENCH_MICRO_SCALE ?? '1');
  const attester = createTestAttester({ secret, header: 'approov-token' });
  const results: MicroResult[] = [];
  const profiler = process.env.BENCH_PROFILE_DIR ? new WindowProfiler() : undefined;
  // BENCH_MICRO_ONLY: run only the cases whose name contains this text.
  const only = process.env.BENCH_MICRO_ONLY;
  for (const c of MICRO_CASES) {
    if (only && !c.name.includes(only)) continue;
    const scaled: MicroCase = {
      ...c,
      calls: Math.max(BATCHES, Math.round(c.calls * scale)),
      warmup: Math.max(1, Math.round(c.warmup * scale)),
      distinctTokens: c.distinctTokens === 1 ? 1 : Math.max(BATCHES + 1, Math.round(c.distinctTokens * scale)),
    };
    results.push(await runCase(scaled, secret, attester, profiler));
  }
  const payload = only ? undefined : await measurePayload(scale);
  return { type: 'micro', results, calibration: calibrate(), payload };
}

/** Sends the last message and exits once it is flushed (process.exit right after send can drop it). */
function sendAndExit(message: unknown, code: number): void {
  if (!process.send) process.exit(code);
  process.send(message, () => process.exit(code));
}

main().then(
  (message) => sendAndExit(message, 0),
  (error: unknown) => sendAndExit({ type: 'failed', message: error instanceof Error ? error.message : String(error) }, 1),
);
