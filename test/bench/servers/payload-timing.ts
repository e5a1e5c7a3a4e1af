/**
 * The payload shield's latency targets (issue 12), measured in the micro child: the p99 of `shield.check()` with the
 * payload shield on a realistic ~1 KB JSON body (quotes, apostrophes, `#`, `;`, `&`, parentheses: the values that
 * reach the detectors, unlike a padded body), and the slowest body of the labelled detection corpus (best of 3 per
 * record, so a GC pause is not counted against one body).
 */
import { performance } from 'node:perf_hooks';
import type { ShieldRequest } from '../../../src/core/request.js';
import { lib } from './library.js';
import { corpusAvailable, loadCorpus, toShieldRequest } from '../detection-corpus.js';

/** What the payload timing reports. */
export interface PayloadTiming {
  readonly samples: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** Slowest record of the dev corpus in ms (best of 3 runs each), or undefined when the corpus is absent. */
  readonly corpusMaxMs: number | undefined;
  readonly corpusRecords: number;
}

/** The ~1 KB JSON body of a typical mobile order (the same one `npm run bench:detection` times). */
export const MOBILE_ORDER_1KB = JSON.stringify({
  items: [
    { sku: 'SKU-4F2A9C', name: "Levi's 501 jeans W32\" L34\"", qty: 1, price: 89.9 },
    { sku: 'SKU-77E1B0', name: 'Cast-iron skillet 12"', qty: 2, price: 34.5 },
  ],
  note: "Leave at door; ring bell. It's a gift - no receipt please!",
  shipping: { name: "Siobhán O'Neill", line1: "12 King's Road", line2: 'Apt #4; Building B', city: 'London', postcode: 'SW3 4NB', country: 'GB' },
  coupon: 'SPRING-20',
  paymentMethod: 'apple_pay',
  device: { model: 'iPhone15,3', os: 'iOS 17.4.1', appVersion: '5.12.0 (5120)' },
  clientTs: '2024-06-01T10:15:22.000Z',
  tags: ['gift', 'express', 'eco-packaging'],
  comment: 'Please deliver after 6pm (dog is friendly) & call +44 20 7946 0958 if needed.',
}).padEnd(1024, ' ');

/** The headers of a typical mobile request (the same ones `npm run bench:detection` times). */
export const MOBILE_HEADERS: Readonly<Record<string, string>> = {
  host: 'api.example.com',
  'user-agent': 'ShopApp/5.12.0 (iPhone; iOS 17.4.1; Scale/3.00)',
  accept: 'application/json',
  'accept-language': 'en-GB,en;q=0.9',
  'accept-encoding': 'br;q=1.0, gzip;q=0.9',
  'content-type': 'application/json',
  'content-length': '1024',
  authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl',
  'x-request-id': '6f1c2a4e-8b7d-4c1e-9f00-2a3b4c5d6e7f',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  'x-attestation-token': 'eyJhbGciOiJFUzI1NiJ9.eyJkaWQiOiJhYmMifQ.c2ln',
  cookie: 'session=abc123; _ga=GA1.2.123456789.1700000000',
};

/** Times the payload shield; `scale` shrinks the sample count for quick runs. */
export async function measurePayload(scale: number): Promise<PayloadTiming> {
  const shield = lib.createShield({ payload: {} });
  const body: unknown = JSON.parse(MOBILE_ORDER_1KB);
  const request = (): ShieldRequest => ({ method: 'POST', path: '/v1/orders', ip: '127.0.0.1', query: '', headers: MOBILE_HEADERS, body });
  const n = Math.max(500, Math.round(10_000 * scale));
  for (let i = 0; i < n; i++) await shield.check(request());
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    const decision = await shield.check(request());
    samples.push((performance.now() - start) * 1000);
    if (!decision.allowed) throw new Error(`payload timing: the 1 KB order body was denied (${decision.code})`);
  }
  samples.sort((a, b) => a - b);
  let corpusMaxMs: number | undefined;
  let corpusRecords = 0;
  if (corpusAvailable()) {
    const records = loadCorpus().map(toShieldRequest);
    corpusRecords = records.length;
    corpusMaxMs = 0;
    for (const r of records) await shield.check(r); // warm-up
    for (const r of records) {
      let best = Infinity;
      for (let k = 0; k < 3; k++) {
        const start = performance.now();
        await shield.check(r);
        best = Math.min(best, performance.now() - start);
      }
      corpusMaxMs = Math.max(corpusMaxMs, best);
    }
  }
  return {
    samples: n,
    p50Us: samples[Math.floor(0.5 * n)]!,
    p99Us: samples[Math.floor(0.99 * n)]!,
    corpusMaxMs,
    corpusRecords,
  };
}
