/**
 * `mobile-api-shield/opentelemetry` with the real SDK (sdk-trace-base's InMemorySpanExporter, sdk-metrics with an
 * in-memory reader), through real HTTP on every adapter: one span per request with the decision and per-verifier
 * attributes, decision / verifier latency / cache lookup / error / store latency metrics, and no token or
 * Authorization value anywhere in what is exported.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, MetricReader, type HistogramMetricData, type MetricData, type SumMetricData } from '@opentelemetry/sdk-metrics';
import { approov } from '../../src/attestation/approov.js';
import { createShield } from '../../src/shield.js';
import { MemoryStore } from '../../src/stores/memory.js';
import type { Verifier } from '../../src/core/verifier.js';
import { ATTRIBUTES, METRICS, SPAN_NAME, openTelemetry } from '../../src/opentelemetry/index.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, type RunningApp, type TestRoute } from '../helpers/adapters.js';

/** A pull reader: `collect()` returns what the meter provider aggregated so far. */
class InMemoryReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const attester = createTestAttester({ header: 'approov-token' });
const USER_AUTH = 'Bearer user-alice-session-7f3a9c';

const routes: TestRoute[] = [
  { method: 'GET', path: '/profile' },
  { method: 'POST', path: '/transfer' },
  { method: 'GET', path: '/beta' },
];

/** Fails (throws) when the request carries `x-fail`: a verifier error, reported to onError. */
const flaky: Verifier = {
  name: 'flaky',
  verify: (ctx) => {
    if (ctx.request.headers['x-fail'] !== undefined) throw new TypeError('backend unreachable');
    return { outcome: 'pass' };
  },
};

/**
 * A body-stage verifier: the decision reported is then the body stage's, and the token's time must be carried over
 * from the header stage (Fastify's preHandler after onRequest, the Express and Koa body middlewares).
 */
const bodyStage: Verifier = { name: 'body', stage: 'body', verify: () => ({ outcome: 'pass' }) };

async function metricsByName(reader: InMemoryReader): Promise<Map<string, MetricData>> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  const found = new Map<string, MetricData>();
  for (const scope of resourceMetrics.scopeMetrics) {
    expect(scope.scope.name).toBe('mobile-api-shield');
    for (const metric of scope.metrics) found.set(metric.descriptor.name, metric);
  }
  return found;
}

/** Sum of a counter's points whose attributes include `match`. */
function counted(metric: MetricData | undefined, match: Record<string, unknown>): number {
  const points = (metric as SumMetricData | undefined)?.dataPoints ?? [];
  return points.filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v)).reduce((n, p) => n + p.value, 0);
}

function histogramCount(metric: MetricData | undefined, match: Record<string, unknown>): number {
  const points = (metric as HistogramMetricData | undefined)?.dataPoints ?? [];
  return points.filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v)).reduce((n, p) => n + p.value.count, 0);
}

for (const adapter of ADAPTERS) {
  describe(`OpenTelemetry through ${adapter.name}`, () => {
    let app: RunningApp;
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const reader = new InMemoryReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const tokens: string[] = [];
    const spans = () => exporter.getFinishedSpans().filter((s) => s.name === SPAN_NAME);

    beforeAll(async () => {
      const telemetry = openTelemetry({ tracerProvider, meterProvider });
      expect(telemetry.enabled).toBe(true);
      const shield = createShield({
        ...telemetry.hooks,
        store: telemetry.instrumentStore(new MemoryStore()),
        token: approov({ secret: attester.secret! }),
        verifiers: [flaky, bodyStage],
        routes: { 'POST /transfer': { token: { replay: true } }, 'GET /beta': { mode: 'monitor' } },
      });
      app = await adapter.start(shield, routes);
      const reusable = await attester.mint({ bindTo: USER_AUTH });
      const singleUse = await attester.mint({ bindTo: USER_AUTH, singleUse: true });
      tokens.push(reusable, singleUse);
      const send = (method: 'get' | 'post', path: string, headers: Record<string, string>) => {
        const call = request(app.url)[method](path).set(headers);
        return method === 'post' ? call.send({ amount: 10 }) : call;
      };
      // In order: miss, hit, no token, single-use first use (miss, store write), its replay (hit, store write),
      // monitored missing token, verifier error (token hit first).
      expect((await send('get', '/profile', { authorization: USER_AUTH, 'approov-token': reusable })).status).toBe(200);
      expect((await send('get', '/profile', { authorization: USER_AUTH, 'approov-token': reusable })).status).toBe(200);
      expect((await send('get', '/profile', { authorization: USER_AUTH })).status).toBe(401);
      expect((await send('post', '/transfer', { authorization: USER_AUTH, 'approov-token': singleUse })).status).toBe(200);
      expect((await send('post', '/transfer', { authorization: USER_AUTH, 'approov-token': singleUse })).status).toBe(401);
      expect((await send('get', '/beta', { authorization: USER_AUTH })).status).toBe(200);
      expect((await send('get', '/profile', { authorization: USER_AUTH, 'approov-token': reusable, 'x-fail': '1' })).status).toBe(503);
    });
    afterAll(async () => {
      await app?.close();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    });

    it('records one span per request with the decision and each verifier as attributes', () => {
      const recorded = spans();
      expect(recorded).toHaveLength(7);
      const attrs = recorded.map((s) => s.attributes);
      expect(attrs.map((a) => [a[ATTRIBUTES.outcome], a[ATTRIBUTES.code] ?? null])).toEqual([
        ['allowed', null],
        ['allowed', null],
        ['denied', 'token_missing'],
        ['allowed', null],
        ['denied', 'token_replayed'],
        ['monitored', 'token_missing'],
        ['denied', 'shield_unavailable'],
      ]);
      expect(attrs[0]).toMatchObject({
        [ATTRIBUTES.allowed]: true,
        [ATTRIBUTES.mode]: 'enforce',
        [ATTRIBUTES.httpMethod]: 'GET',
        'mobile_api_shield.verifier.token.outcome': 'pass',
        'mobile_api_shield.verifier.token.mode': 'enforce',
        'mobile_api_shield.verifier.token.cache': 'miss',
        'mobile_api_shield.verifier.flaky.outcome': 'pass',
        'mobile_api_shield.verifier.body.outcome': 'pass',
      });
      expect(attrs[0]?.['mobile_api_shield.verifier.body.duration_ms']).toBeGreaterThan(0);
      expect(attrs[1]?.['mobile_api_shield.verifier.token.cache']).toBe('hit');
      expect(attrs[2]).toMatchObject({ [ATTRIBUTES.status]: 401, 'mobile_api_shield.verifier.token.code': 'token_missing' });
      expect(attrs[4]).toMatchObject({ 'mobile_api_shield.verifier.token.code': 'token_replayed', 'mobile_api_shield.verifier.token.cache': 'hit' });
      expect(attrs[5]).toMatchObject({ [ATTRIBUTES.mode]: 'monitor', 'mobile_api_shield.verifier.token.mode': 'monitor' });
      for (const a of attrs) {
        expect(a['mobile_api_shield.verifier.token.duration_ms']).toBeGreaterThan(0);
        expect(typeof a[ATTRIBUTES.reference]).toBe('string');
      }
    });

    it("spans of a verifier error are errors; a denial is not; a span lasts the verifiers' time", () => {
      const recorded = spans();
      expect(recorded.map((s) => s.status.code)).toEqual([
        SpanStatusCode.UNSET, SpanStatusCode.UNSET, SpanStatusCode.UNSET, SpanStatusCode.UNSET, SpanStatusCode.UNSET, SpanStatusCode.UNSET,
        SpanStatusCode.ERROR,
      ]);
      expect(recorded[6]?.attributes['mobile_api_shield.verifier.flaky.outcome']).toBe('error');
      for (const span of recorded) {
        const lengthMs = span.duration[0] * 1000 + span.duration[1] / 1e6;
        const total = span.attributes[ATTRIBUTES.durationMs] as number;
        const verifiers = Object.entries(span.attributes)
          .filter(([k]) => k.endsWith('.duration_ms') && k.startsWith('mobile_api_shield.verifier.'))
          .reduce((n, [, v]) => n + (v as number), 0);
        expect(total).toBeCloseTo(verifiers, 6);
        // HrTime conversion rounds to the microsecond.
        expect(Math.abs(lengthMs - total)).toBeLessThan(0.01);
      }
    });

    it('counts decisions by outcome and code, verifier latency, cache lookups, errors and store latency', async () => {
      const m = await metricsByName(reader);
      const decisions = m.get(METRICS.decisions);
      expect(counted(decisions, { [ATTRIBUTES.outcome]: 'allowed' })).toBe(3);
      expect(counted(decisions, { [ATTRIBUTES.outcome]: 'denied', [ATTRIBUTES.code]: 'token_missing' })).toBe(1);
      expect(counted(decisions, { [ATTRIBUTES.outcome]: 'denied', [ATTRIBUTES.code]: 'token_replayed' })).toBe(1);
      expect(counted(decisions, { [ATTRIBUTES.outcome]: 'denied', [ATTRIBUTES.code]: 'shield_unavailable' })).toBe(1);
      expect(counted(decisions, { [ATTRIBUTES.outcome]: 'monitored', [ATTRIBUTES.mode]: 'monitor' })).toBe(1);

      const latency = m.get(METRICS.verifierDuration) as HistogramMetricData;
      expect(latency.descriptor.unit).toBe('s');
      expect(histogramCount(latency, { [ATTRIBUTES.verifier]: 'token' })).toBe(7);
      // flaky ran after every token pass and after the monitored deny: 5 times (one of them an error).
      expect(histogramCount(latency, { [ATTRIBUTES.verifier]: 'flaky' })).toBe(5);
      expect(histogramCount(latency, { [ATTRIBUTES.verifier]: 'flaky', [ATTRIBUTES.verifierOutcome]: 'error' })).toBe(1);
      for (const point of latency.dataPoints) expect(point.value.max).toBeLessThan(5);

      const cache = m.get(METRICS.cacheLookups);
      expect(counted(cache, { [ATTRIBUTES.verifier]: 'token', [ATTRIBUTES.cacheResult]: 'miss' })).toBe(2);
      expect(counted(cache, { [ATTRIBUTES.verifier]: 'token', [ATTRIBUTES.cacheResult]: 'hit' })).toBe(3);

      expect(counted(m.get(METRICS.verifierErrors), { [ATTRIBUTES.verifier]: 'flaky', [ATTRIBUTES.errorType]: 'TypeError' })).toBe(1);

      const store = m.get(METRICS.storeDuration);
      expect(histogramCount(store, { [ATTRIBUTES.storeOperation]: 'setIfAbsent', [ATTRIBUTES.storeOutcome]: 'ok' })).toBe(2);
    });

    it('exports no token, no Authorization value and no header', async () => {
      const exported = JSON.stringify({
        spans: spans().map((s: ReadableSpan) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })),
        metrics: (await reader.collect()).resourceMetrics,
      });
      for (const secret of [...tokens, USER_AUTH, 'user-alice-session', attester.secret!]) expect(exported).not.toContain(secret);
      for (const token of tokens) expect(exported).not.toContain(token.split('.')[2]);
      expect(exported).not.toMatch(/authorization|approov-token|x-fail/i);
    });
  });
}
