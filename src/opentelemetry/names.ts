/** Names of the shield's span, metrics and attributes: stable, documented in docs/observability.md. */

/** The span recorded for each checked request. */
export const SPAN_NAME = 'mobile_api_shield.check';

/** Metric instrument names. Durations are histograms in seconds, as OpenTelemetry's conventions prefer. */
export const METRICS = Object.freeze({
  /** Counter of decisions: outcome (allowed, denied, monitored, exempt), code (when one), mode. */
  decisions: 'mobile_api_shield.decisions',
  /** Histogram (s) of each verifier's time on a request: verifier name, outcome. Verifiers that did not run are left out. */
  verifierDuration: 'mobile_api_shield.verifier.duration',
  /** Counter of verifier cache lookups: verifier name, result (hit, miss). The token cache hit rate is hit / all. */
  cacheLookups: 'mobile_api_shield.verifier.cache.lookups',
  /** Counter of verifier errors and timeouts: verifier name, error class. */
  verifierErrors: 'mobile_api_shield.verifier.errors',
  /** Histogram (s) of store operations: operation, outcome (ok, error). */
  storeDuration: 'mobile_api_shield.store.duration',
});

/** Attribute keys, on the span and on the metrics. */
export const ATTRIBUTES = Object.freeze({
  allowed: 'mobile_api_shield.decision.allowed',
  /**
   * allowed, denied, monitored (allowed in monitor mode, `code` says what would have been denied), or exempt (the
   * shield is off on the route: `routes: { 'GET /health': false }`, nothing was checked).
   */
  outcome: 'mobile_api_shield.decision.outcome',
  code: 'mobile_api_shield.decision.code',
  status: 'mobile_api_shield.decision.status',
  mode: 'mobile_api_shield.decision.mode',
  /** The decision's opaque support reference (also in the problem body): correlates a span with a support call. */
  reference: 'mobile_api_shield.decision.reference',
  /** Sum of the verifiers' times on the request (ms). */
  durationMs: 'mobile_api_shield.decision.duration_ms',
  verifier: 'mobile_api_shield.verifier.name',
  verifierOutcome: 'mobile_api_shield.verifier.outcome',
  cacheResult: 'mobile_api_shield.cache.result',
  storeOperation: 'mobile_api_shield.store.operation',
  storeOutcome: 'mobile_api_shield.store.outcome',
  errorType: 'error.type',
  httpMethod: 'http.request.method',
  /** Span attributes per verifier: `mobile_api_shield.verifier.<name>.<field>` (outcome, mode, code, duration_ms, cache). */
  verifierPrefix: 'mobile_api_shield.verifier.',
});

/** Histogram buckets (seconds) from 5 µs to 2.5 s: a cached token check takes microseconds, a remote JWKS fetch or a Redis round trip milliseconds. */
export const DURATION_BUCKETS_S: readonly number[] = Object.freeze([
  0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
  2.5,
]);

/** The decision's outcome attribute value (see `ATTRIBUTES.outcome`). */
export function decisionOutcome(decision: { readonly allowed: boolean; readonly code?: string; readonly results: readonly unknown[] }): string {
  if (!decision.allowed) return 'denied';
  if (decision.code !== undefined) return 'monitored';
  return decision.results.length === 0 ? 'exempt' : 'allowed';
}
