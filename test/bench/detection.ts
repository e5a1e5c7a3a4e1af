/**
 * `npm run bench:detection`: replays every record of ../shared/waf-dev/corpus-dev.jsonl through the shield (the same
 * `createShield(...).check(request)` path the adapters use, body handed over as an app parser would) and prints detection per
 * category, the false-positive rate on benign requests and p50/p99 time per request.
 *
 * Flags: `--paranoia N`, `--direct` (call `inspectPayload` without the core), `--misses CATEGORY` (list missed
 * record ids), `--fp` (list false-positive record ids with the rules that fired), `--slowest N` (list the slowest
 * records). Timing is wall-clock on this machine; the calibration line (a fixed JSON.parse workload) lets numbers
 * from different machines be compared.
 */
import { performance } from 'node:perf_hooks';
import { createShield } from '../../src/shield.js';
import { compilePayloadOptions, inspectPayload, mergePayloadOptions, type PayloadShieldOptions } from '../../src/verifiers/payload-shield/index.js';
import { BENIGN_ROUTES, BENIGN_SEED, generateBenignCorpus, splitHalf, type Half } from './benign-corpus.js';
import { corpusAvailable, CORPUS_PATH, loadCorpus, splitKey, tally, toShieldRequest } from './detection-corpus.js';
import { MOBILE_HEADERS, MOBILE_ORDER_1KB } from './servers/mobile-order.js';

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
const records = [...loadCorpus(), ...(args.includes('--dev-only') ? [] : generateBenignCorpus())];

type Check = (i: number) => Promise<{ blocked: boolean; detail: string }>;

function viaShield(): Check {
  const shield = createShield({ payload: options, routes: BENIGN_ROUTES });
  return async (i) => {
    const decision = await shield.check(toShieldRequest(records[i]!));
    const detail = decision.results.map((r) => ('detail' in r && r.detail ? r.detail : '')).join(' ');
    return { blocked: !decision.allowed, detail };
  };
}

function viaInspect(): Check {
  const compiled = compilePayloadOptions(options);
  // The routes table's payload options, compiled once per route as the shield does.
  const byRoute = new Map(Object.entries(BENIGN_ROUTES).map(([route, o]) => [route, compilePayloadOptions(mergePayloadOptions(options, o.payload))]));
  return async (i) => {
    const record = records[i]!;
    const request = toShieldRequest(record);
    if (request.bodyUnparsed === true) return { blocked: true, detail: 'malformed body' };
    const body = request.body;
    const verdict = inspectPayload(request, body, byRoute.get(`${request.method} ${request.path}`) ?? compiled);
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
// Best of 5 per record: the cost of the work itself, without scheduler stalls and GC pauses of a busy machine.
const bestTimes: number[] = [];
for (let i = 0; i < records.length; i++) {
  let best = Infinity;
  for (let run = 0; run < 5; run++) {
    const start = performance.now();
    await check(i);
    best = Math.min(best, (performance.now() - start) * 1000);
  }
  bestTimes.push(best);
}

// Calibration: JSON.parse of a fixed 10 KB document, median of 200 runs (~10-20 µs on an ordinary laptop).
const calibrationDoc = JSON.stringify({ items: Array.from({ length: 100 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b'], price: i * 1.5 })) });
const calibration: number[] = [];
for (let i = 0; i < 200; i++) {
  const start = performance.now();
  JSON.parse(calibrationDoc);
  calibration.push((performance.now() - start) * 1000);
}
calibration.sort((a, b) => a - b);

// Per-half reports: `tune` is what rules may be adjusted on, `held` is never looked at while tuning.
const halves = records.map((r) => (r.source === 'generated' ? splitHalf(r.id) : splitHalf(splitKey(r))));
const pct = (a: number, b: number): string => (b === 0 ? '  n/a' : `${((100 * a) / b).toFixed(1).padStart(5)}%`);
const devIdx = records.map((_r, i) => i).filter((i) => records[i]!.source !== 'generated');
const genIdx = records.map((_r, i) => i).filter((i) => records[i]!.source === 'generated');
const pick = (idx: number[], half: Half) => idx.filter((i) => halves[i] === half);
const scoresOf = (idx: number[]) => tally(idx.map((i) => records[i]!), idx.map((i) => flagged[i]!));
const devScores = { tune: scoresOf(pick(devIdx, 'tune')), held: scoresOf(pick(devIdx, 'held')) };
console.log(`payload shield detection: paranoia ${paranoia}, ${direct ? 'inspectPayload' : 'createShield().check'}`);
console.log(`dev corpus (${devIdx.length} records, split by a hash of the list entry): tune half | held half`);
console.log('category       tune            held');
const categories = [...scoresOf(devIdx).values()].filter((s) => s.category !== 'benign').sort((a, b) => b.total - a.total);
const overall = { tune: [0, 0], held: [0, 0] };
for (const { category } of categories) {
  const cell = (half: 'tune' | 'held'): string => {
    const s = devScores[half].get(category) ?? { flagged: 0, total: 0 };
    overall[half][0]! += s.flagged;
    overall[half][1]! += s.total;
    return `${pct(s.flagged, s.total)} ${`${s.flagged}/${s.total}`.padStart(9)}`;
  };
  console.log(`${category.padEnd(10)} ${cell('tune')}  ${cell('held')}`);
}
console.log(`${'overall'.padEnd(10)} ${pct(overall.tune[0]!, overall.tune[1]!)} ${`${overall.tune[0]}/${overall.tune[1]}`.padStart(9)}  ${pct(overall.held[0]!, overall.held[1]!)} ${`${overall.held[0]}/${overall.held[1]}`.padStart(9)}`);
for (const half of ['tune', 'held'] as const) {
  const b = devScores[half].get('benign') ?? { flagged: 0, total: 0 };
  console.log(`dev benign, ${half} half: false positives ${pct(b.flagged, b.total)} (${b.flagged}/${b.total})`);
}
if (genIdx.length > 0) {
  console.log(`generated benign corpus (${genIdx.length} records, seed ${BENIGN_SEED.toString(16)}, split by a hash of the record id):`);
  for (const half of ['tune', 'held'] as const) {
    const idx = pick(genIdx, half);
    const fp = idx.filter((i) => flagged[i]).length;
    const perFamily = new Map<string, [number, number]>();
    for (const i of idx) {
      const fam = records[i]!.subcategory ?? '?';
      const cur = perFamily.get(fam) ?? [0, 0];
      cur[1]++;
      if (flagged[i]) cur[0]++;
      perFamily.set(fam, cur);
    }
    const fams = [...perFamily].map(([f, [a, t]]) => `${f} ${a}/${t}`).join(', ');
    console.log(`  ${half} half: false positives ${pct(fp, idx.length)} (${fp}/${idx.length})  [${fams}]`);
  }
}
const sorted = [...times].sort((a, b) => a - b);
const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
console.log(`time per request (single run): p50 ${at(0.5).toFixed(1)} µs, p99 ${at(0.99).toFixed(1)} µs, max ${sorted[sorted.length - 1]!.toFixed(1)} µs`);
const bestSorted = [...bestTimes].sort((a, b) => a - b);
const bestAt = (q: number): number => bestSorted[Math.min(bestSorted.length - 1, Math.floor(q * bestSorted.length))]!;
console.log(`time per request (best of 5): p50 ${bestAt(0.5).toFixed(1)} µs, p99 ${bestAt(0.99).toFixed(1)} µs, max ${bestSorted[bestSorted.length - 1]!.toFixed(1)} µs`);
console.log(`machine calibration: JSON.parse of a ${calibrationDoc.length}-byte document takes ${calibration[100]!.toFixed(1)} µs (median)`);
const slowest = Number(flag('--slowest') ?? 0);
if (slowest > 0) {
  times
    .map((_t, i) => [bestTimes[i]!, i] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, slowest)
    .forEach(([t, i]) => console.log(`SLOW ${t.toFixed(0)} µs ${records[i]!.id} (${records[i]!.request.body?.length ?? 0} body bytes)`));
}

// `--half tune` while tuning: listing records of the held half would defeat the split.
const halfFilter = flag('--half') as Half | undefined;
const missCategory = flag('--misses');
if (missCategory) {
  records.forEach((r, i) => {
    if (r.category === missCategory && !flagged[i] && (halfFilter === undefined || halves[i] === halfFilter)) console.log(`MISS ${r.id} ${JSON.stringify((r as { meta?: { line?: string } }).meta?.line ?? '').slice(0, 160)}`);
  });
}
if (args.includes('--fp')) {
  records.forEach((r, i) => {
    if (r.expected === 'benign' && flagged[i] && (halfFilter === undefined || halves[i] === halfFilter)) {
      console.log(`FP ${r.id} ${details[i]}`);
      if (args.includes('--verbose')) console.log(`   ${JSON.stringify(r.request.query + ' ' + (r.request.body ?? '')).slice(0, 400)}`);
    }
  });
}

// Worst case: a 1 MiB body (the default body limit) of markup- and syntax-dense values, through createShield().check.
// With the default budget (`maxInspectBytes` 256 KiB, `maxInspectMillis` 25) inspection stops early and the request
// is denied (fail closed); with the budget lifted the same body shows the full cost the budget caps.
if (!args.includes('--no-worst-case')) {
  const MIB = 1024 * 1024;
  const shapes: Record<string, string> = {
    markup: `<a href='x' b="y" onx=1 <c d=e>`,
    'sql-ish': `1' or "a" = 'b' and (x) - `,
    'shell-ish': `a;b|c&d\`e\`$(f) `,
    encoded: '%25%32%35%26%23x3c;\\u0027 ',
  };
  const measure = async (body: string, payload: PayloadShieldOptions): Promise<[number, string]> => {
    const shield = createShield({ payload } as Parameters<typeof createShield>[0]);
    const length = String(Buffer.byteLength(body));
    // The body as the application's parser hands it over (the shield never parses bodies itself).
    const parsed: unknown = JSON.parse(body);
    const runs: number[] = [];
    let outcome = '';
    for (let run = 0; run < 3; run++) {
      const request = {
        method: 'POST', path: '/v1/notes', ip: '127.0.0.1', query: '',
        headers: { 'content-type': 'application/json', 'content-length': length },
        body: parsed,
      };
      const start = performance.now();
      const decision = await shield.check(request);
      runs.push(performance.now() - start);
      const detail = decision.results.map((r) => ('detail' in r && r.detail ? r.detail : '')).join(' ').slice(0, 60);
      outcome = `${decision.allowed ? 'allowed' : `denied ${decision.code ?? ''}`}${detail ? `: ${detail}` : ''}`;
    }
    runs.sort((a, b) => a - b);
    return [runs[1]!, outcome];
  };
  console.log('worst case, 1 MiB JSON body of dense values (median of 3, ms): default budget | budget lifted');
  for (const [name, unit] of Object.entries(shapes)) {
    const items: string[] = [];
    let size = 20;
    const v = unit.repeat(8);
    const step = JSON.stringify(v).length + 1;
    while (size + step < MIB) {
      items.push(v);
      size += step;
    }
    const body = JSON.stringify({ items });
    const [defMs, defOut] = await measure(body, {});
    const [fullMs, fullOut] = await measure(body, { limits: { maxInspectBytes: 2 * MIB, maxInspectMillis: 60_000 } });
    console.log(`  ${name.padEnd(10)} ${(body.length / 1024).toFixed(0)} KiB: ${defMs.toFixed(1)} ms (${defOut}) | ${fullMs.toFixed(1)} ms (${fullOut})`);
  }
}

// Per-check time for a typical mobile request: a ~1 KB JSON body with ordinary mobile headers, through check().
{
  const shield = createShield({ payload: {} } as Parameters<typeof createShield>[0]);
  // The same body and headers the bench's payload-timing row uses; the body as the app's parser produced it.
  const body = MOBILE_ORDER_1KB;
  const headers = MOBILE_HEADERS;
  const parsedBody: unknown = JSON.parse(body);
  const make = () => ({ method: 'POST', path: '/v1/orders', ip: '127.0.0.1', query: '', headers, body: parsedBody });
  for (let i = 0; i < 2000; i++) await shield.check(make());
  const samples: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const start = performance.now();
    await shield.check(make());
    samples.push((performance.now() - start) * 1000);
  }
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.floor(p * samples.length)]!.toFixed(1);
  console.log(`1 KB JSON body + 12 mobile headers through check(), 5000 runs: p50 ${q(0.5)} µs, p90 ${q(0.9)} µs, p99 ${q(0.99)} µs`);
  // The payload shield's own share: inspectPayload on the already-parsed body (no core, no JSON.parse).
  const compiled = compilePayloadOptions({});
  const parsed: unknown = JSON.parse(body);
  const view = { method: 'POST', path: '/v1/orders', headers, query: '' };
  for (let i = 0; i < 2000; i++) inspectPayload(view, parsed, compiled);
  const own: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const start = performance.now();
    inspectPayload(view, parsed, compiled);
    own.push((performance.now() - start) * 1000);
  }
  own.sort((a, b) => a - b);
  const o = (p: number) => own[Math.floor(p * own.length)]!.toFixed(1);
  console.log(`  of which inspectPayload alone: p50 ${o(0.5)} µs, p90 ${o(0.9)} µs, p99 ${o(0.99)} µs`);
}
