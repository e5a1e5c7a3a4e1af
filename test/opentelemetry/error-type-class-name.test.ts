/**
 * docs/observability.md: `mobile_api_shield.verifier.errors` has `error.type` "(the error's class name)". The code
 * records `error.name`, which a subclass inherits as 'Error' unless it sets it: a `class BackendUnavailable extends
 * Error {}` and a verifier timeout both count as `error.type: 'Error'`, indistinguishable from each other.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeterProvider, MetricReader, type SumMetricData } from '@opentelemetry/sdk-metrics';
import { createShield } from '../../src/shield.js';
import type { Verifier } from '../../src/core/verifier.js';
import { ATTRIBUTES, METRICS, openTelemetry } from '../../src/opentelemetry/index.js';
import { ADAPTERS, type RunningApp } from '../helpers/adapters.js';

class InMemoryReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}
class BackendUnavailable extends Error {}

const backend: Verifier = {
  name: 'backend',
  verify: () => {
    throw new BackendUnavailable('fraud backend unreachable');
  },
};

const adapter = ADAPTERS.find((a) => a.name === 'express5')!;
describe('verifier error counter error.type', () => {
  let app: RunningApp;
  const reader = new InMemoryReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  beforeAll(async () => {
    const telemetry = openTelemetry({ meterProvider, traces: false });
    const shield = createShield({ ...telemetry.hooks, verifiers: [backend] });
    app = await adapter.start(shield, [{ method: 'GET', path: '/profile' }]);
  });
  afterAll(async () => {
    await app?.close();
    await meterProvider.shutdown();
  });

  it("is the error's class name, as documented", async () => {
    expect((await request(app.url).get('/profile')).status).toBe(503);
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === METRICS.verifierErrors) as SumMetricData;
    expect(metric.dataPoints.map((p) => p.attributes[ATTRIBUTES.errorType])).toEqual(['BackendUnavailable']);
  });
});
