/**
 * `openTelemetry()` on the global providers: with no SDK registered (the @opentelemetry/api default) it returns no
 * hooks and leaves the store unwrapped, so the shield does no extra work; once an SDK is registered it records.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { metrics, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { createShield } from '../../src/shield.js';
import { MemoryStore } from '../../src/stores/memory.js';
import type { ShieldRequest } from '../../src/core/request.js';
import type { Verifier } from '../../src/core/verifier.js';
import { ATTRIBUTES, METRICS, SPAN_NAME, openTelemetry } from '../../src/opentelemetry/index.js';

class InMemoryReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const request: ShieldRequest = { method: 'GET', path: '/things', ip: '203.0.113.5', headers: {} };
const pass: Verifier = { name: 'pass', verify: () => ({ outcome: 'pass' }) };

afterEach(() => {
  trace.disable();
  metrics.disable();
});

describe('openTelemetry() with no SDK registered', () => {
  it('returns no hooks and the store itself: no timings, no span, nothing per request', async () => {
    trace.disable();
    metrics.disable();
    const telemetry = openTelemetry();
    expect(telemetry.enabled).toBe(false);
    expect(telemetry.hooks).toEqual({});
    const store = new MemoryStore();
    expect(telemetry.instrumentStore(store)).toBe(store);
    const decision = await createShield({ ...telemetry.hooks, verifiers: [pass] }).check(request);
    expect(decision.allowed).toBe(true);
    // No onDecision was installed, so the shield did not even read the clock for the verifier.
    expect(decision.results[0]?.durationMs).toBeUndefined();
  });

  it('traces: false and metrics: false turn it off even with providers', () => {
    const telemetry = openTelemetry({
      traces: false,
      metrics: false,
      tracerProvider: new BasicTracerProvider(),
      meterProvider: new MeterProvider(),
    });
    expect(telemetry).toMatchObject({ enabled: false, hooks: {} });
  });
});

describe('openTelemetry() on the registered global SDK', () => {
  it('records spans and metrics through the global providers', async () => {
    const exporter = new InMemorySpanExporter();
    const reader = new InMemoryReader();
    expect(trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }))).toBe(true);
    expect(metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }))).toBe(true);
    const telemetry = openTelemetry();
    expect(telemetry.enabled).toBe(true);
    expect(typeof telemetry.hooks.onDecision).toBe('function');
    const decision = await createShield({ ...telemetry.hooks, verifiers: [pass] }).check(request);
    expect(decision.results[0]?.durationMs).toBeGreaterThanOrEqual(0);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual([SPAN_NAME]);
    const { resourceMetrics } = await reader.collect();
    const names = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name));
    expect(names).toEqual(expect.arrayContaining([METRICS.decisions, METRICS.verifierDuration]));
  });

  it('a route the shield is off on is recorded as exempt (nothing was checked), not as allowed', async () => {
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    const telemetry = openTelemetry({ metrics: false });
    const shield = createShield({ ...telemetry.hooks, verifiers: [pass], routes: { 'GET /health': false } });
    await shield.check({ ...request, path: '/health' });
    await shield.check(request);
    expect(exporter.getFinishedSpans().map((s) => s.attributes[ATTRIBUTES.outcome])).toEqual(['exempt', 'allowed']);
  });

  it('metrics only: no span; traces only: no metric hooks and the store is not wrapped', async () => {
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new InMemoryReader()] }));
    const metricsOnly = openTelemetry({ traces: false });
    await createShield({ ...metricsOnly.hooks, verifiers: [pass] }).check(request);
    expect(exporter.getFinishedSpans()).toEqual([]);
    const store = new MemoryStore();
    expect(metricsOnly.instrumentStore(store)).not.toBe(store);
    const tracesOnly = openTelemetry({ metrics: false });
    expect(tracesOnly.hooks.onError).toBeUndefined();
    expect(tracesOnly.instrumentStore(store)).toBe(store);
    await createShield({ ...tracesOnly.hooks, verifiers: [pass] }).check(request);
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });
});
