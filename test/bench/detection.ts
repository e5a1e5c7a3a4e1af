/**
 * `npm run bench:detection`: replays every record of ../shared/waf-dev/corpus-dev.jsonl through the shield (the same
 * `createShield(...).check(request)` path the adapters use, body read through `readBody`) and prints detection per
 * category, the false-positive rate on benign requests and p50/p99 time per request.
 *
 * Flags: `--paranoia N`, `--direct` (call `inspectPayload` without the core), `--misses CATEGORY` (list missed
 * record ids), `--fp` (list false-positive record ids with the rules that fired).
 */
import { performance } from 'node:perf_hooks';
import { parseBody } from '../../src/core/body.js';
import { createShield } from '../../src/core/shield.js';
import {
  compilePayloadOptions,
  createPayloadShieldVerifier,
  inspectPayload,
  type PayloadShieldOptions,
} from '../../src/verifiers/payload-shield/index.js';
import { corpusAvailable, CORPUS_PATH, loadCorpus, tally, toShieldRequest } from './detection-corpus.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : (args[i + 1] ?? '');
};

if (!corpusAvailable()) {
  console.error(`corpus not found at ${CORPUS_PATH}; nothing to measure`);
  process.exit(1);
}

const paranoia = Number(flag('--paranoia') ?? 1) as 1 | 2 | 3 | 4;
const options: PayloadShieldOptions = { paranoia };
const direct = args.includes('--direct');
const records = loadCorpus();

type Check = (i: number) => Promise<{ blocked: boolean; detail: string }>;

function viaShield(): Check {
  // Prefer the core's own `payload` config key once it exists; until then register the verifier explicitly.
  let shield: ReturnType<typeof createShield>;
  try {
    shield = createShield({ payload: options } as Parameters<typeof createShield>[0]);
  } catch {
    shield = createShield({ verifiers: [createPayloadShieldVerifier(options)] });
  }
  return async (i) => {
    const decision = await shield.check(toShieldRequest(records[i]!));
    const detail = decision.results.map((r) => ('detail' in r && r.detail ? r.detail : '')).join(' ');
    return { blocked: !decision.allowed, detail };
  };
}

function viaInspect(): Check {
  const compiled = compilePayloadOptions(options);
  return async (i) => {
    const record = records[i]!;
    const request = toShieldRequest(record);
    const raw = await request.readBody!(compiled.limits.maxBodyBytes);
    let body: unknown;
    try {
      body = raw === undefined ? undefined : parseBody(raw, request.headers['content-type'] as string | undefined);
    } catch {
      return { blocked: true, detail: 'malformed body' };
    }
    const verdict = inspectPayload(request, body, compiled);
    return { blocked: verdict.action === 'deny', detail: verdict.action === 'deny' ? verdict.detail : '' };
  };
}

const check = direct ? viaInspect() : viaShield();

// Warm up the JIT on the whole corpus once, then measure.
for (let i = 0; i < records.length; i++) await check(i);
const flagged: boolean[] = [];
const details: string[] = [];
const times: number[] = [];
for (let i = 0; i < records.length; i++) {
  const start = performance.now();
  const result = await check(i);
  times.push((performance.now() - start) * 1000);
  flagged.push(result.blocked);
  details.push(result.detail);
}

const scores = tally(records, flagged);
const pct = (a: number, b: number): string => (b === 0 ? '  n/a' : `${((100 * a) / b).toFixed(1).padStart(5)}%`);
console.log(`payload shield detection: ${records.length} records, paranoia ${paranoia}, ${direct ? 'inspectPayload' : 'createShield().check'}`);
console.log('category    detected / total');
let attacks = 0;
let caught = 0;
for (const score of [...scores.values()].sort((a, b) => b.total - a.total)) {
  if (score.category === 'benign') continue;
  attacks += score.total;
  caught += score.flagged;
  console.log(`${score.category.padEnd(10)} ${pct(score.flagged, score.total)}  ${String(score.flagged).padStart(5)} / ${score.total}`);
}
const benign = scores.get('benign') ?? { total: 0, flagged: 0 };
console.log(`${'overall'.padEnd(10)} ${pct(caught, attacks)}  ${String(caught).padStart(5)} / ${attacks}`);
console.log(`false positives on benign: ${pct(benign.flagged, benign.total)}  (${benign.flagged} / ${benign.total})`);
const sorted = [...times].sort((a, b) => a - b);
const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
console.log(`time per request: p50 ${at(0.5).toFixed(1)} µs, p99 ${at(0.99).toFixed(1)} µs, max ${sorted[sorted.length - 1]!.toFixed(1)} µs`);

const missCategory = flag('--misses');
if (missCategory) {
  records.forEach((r, i) => {
    if (r.category === missCategory && !flagged[i]) console.log(`MISS ${r.id} ${JSON.stringify((r as { meta?: { line?: string } }).meta?.line ?? '').slice(0, 160)}`);
  });
}
if (args.includes('--fp')) {
  records.forEach((r, i) => {
    if (r.expected === 'benign' && flagged[i]) console.log(`FP ${r.id} ${details[i]}`);
  });
}
