/**
 * `mobile-api-shield/opentelemetry`: traces and metrics of the shield through `@opentelemetry/api` (an optional peer
 * dependency). `openTelemetry()` returns the hooks to pass to `createShield` and a store wrapper; with no
 * OpenTelemetry SDK registered it returns no hooks at all, so the shield does no extra work per request.
 */
import { ProxyTracer, createNoopMeter, metrics, trace, type Meter, type MeterProvider, type TracerProvider } from '@opentelemetry/api';
import type { LoggedRequest } from '../core/redact.js';
import type { Decision } from '../shield.js';
import type { Store } from '../stores/store.js';
import { timedStore } from '../stores/timed-store.js';
import { createShieldInstruments, type ShieldInstruments } from './instruments.js';
import { createCheckSpans } from './spans.js';

export { ATTRIBUTES, METRICS, SPAN_NAME } from './names.js';

/** Options of {@link openTelemetry}. */
export interface OpenTelemetryOptions {
  /** Where spans go. Default: the global tracer provider (the one the SDK registered). */
  tracerProvider?: TracerProvider;
  /** Where metrics go. Default: the global meter provider (the one the SDK registered). */
  meterProvider?: MeterProvider;
  /** One span per checked request (default true). */
  traces?: boolean;
  /** Counters and histograms (default true). */
  metrics?: boolean;
}

/** The hooks `openTelemetry()` contributes to `createShield` (spread them into the config). */
export interface ShieldTelemetryHooks {
  /** Records the check's span and its metrics. Absent when nothing is recorded (no SDK registered). */
  readonly onDecision?: (decision: Decision, request: LoggedRequest) => void;
  /** Counts verifier errors and timeouts by verifier and error class. Absent when metrics are off. */
  readonly onError?: (error: unknown, info: { verifier: string; reference: string }) => void;
}

/** What `openTelemetry()` returns. */
export interface ShieldTelemetry {
  /** Spread into `createShield({ ...telemetry.hooks, ... })`, or call them from your own hooks. */
  readonly hooks: ShieldTelemetryHooks;
  /**
   * The store, wrapped so every operation's latency is recorded (`mobile_api_shield.store.duration`); the store
   * itself when metrics are off. Pass the result as `store` (e.g. `instrumentStore(new MemoryStore())`).
   */
  instrumentStore(store: Store): Store;
  /** True when a tracer or meter provider records what the shield reports (an SDK is registered or was given). */
  readonly enabled: boolean;
}

/** Instrumentation scope name of the shield's tracer and meter. */
export const INSTRUMENTATION_SCOPE = 'mobile-api-shield';

/**
 * Builds the shield's OpenTelemetry instrumentation: a span per checked request (`mobile_api_shield.check`, with
 * the decision and each verifier's outcome, mode and time as attributes) and metrics: decisions by code, verifier
 * latency, store latency, verifier cache lookups (token cache hit rate) and verifier errors. Never records a token,
 * a header value, the path's query or a verifier's detail text.
 *
 * Call it after the OpenTelemetry SDK is started: like `@opentelemetry/api` itself (a meter taken before the SDK
 * is registered stays a no-op), it looks at the global providers once. With neither a tracer nor a meter provider
 * registered, `hooks` is empty and `instrumentStore` returns the store unchanged: nothing is measured or recorded.
 *
 * Per-verifier times come from `decision.results[].durationMs`, which the shield measures whenever `onDecision` is
 * set (unless `timings: false`).
 */
export function openTelemetry(options: OpenTelemetryOptions = {}): ShieldTelemetry {
  const tracer = options.traces === false ? undefined : (options.tracerProvider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_SCOPE);
  // The global provider hands out a ProxyTracer while no SDK is registered: spans from it are never recorded.
  const tracing = tracer !== undefined && !(tracer instanceof ProxyTracer);
  const meter: Meter | undefined = options.metrics === false ? undefined : (options.meterProvider ?? metrics.getMeterProvider()).getMeter(INSTRUMENTATION_SCOPE);
  const metering = meter !== undefined && meter !== createNoopMeter();
  const instruments: ShieldInstruments | undefined = metering ? createShieldInstruments(meter) : undefined;
  const spans = tracing ? createCheckSpans(tracer) : undefined;
  if (!tracing && !metering) return { hooks: {}, instrumentStore: (store) => store, enabled: false };

  const onDecision = (decision: Decision, request: LoggedRequest): void => {
    spans?.record(decision, request);
    instruments?.recordDecision(decision);
  };
  const hooks: ShieldTelemetryHooks = instruments
    ? { onDecision, onError: (error, info) => instruments.recordError(error, info.verifier) }
    : { onDecision };
  return {
    hooks,
    instrumentStore: (store) => (instruments ? timedStore(store, instruments.recordStoreOperation) : store),
    enabled: true,
  };
}
