import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import type { Decision } from '../shield.js';
import type { StoreOperationListener } from '../stores/timed-store.js';
import { ATTRIBUTES, DURATION_BUCKETS_S, METRICS, decisionOutcome } from './names.js';

/** The shield's metric instruments on one meter, with the recording functions the hooks call. */
export interface ShieldInstruments {
  recordDecision(decision: Decision): void;
  recordError(error: unknown, verifier: string): void;
  readonly recordStoreOperation: StoreOperationListener;
}

/** Creates the instruments once (per `openTelemetry()` call); recording then only adds values. */
export function createShieldInstruments(meter: Meter): ShieldInstruments {
  const advice = { explicitBucketBoundaries: [...DURATION_BUCKETS_S] };
  const decisions: Counter = meter.createCounter(METRICS.decisions, { description: 'Requests the shield decided on', unit: '{decision}' });
  const verifierDuration: Histogram = meter.createHistogram(METRICS.verifierDuration, {
    description: "Time a verifier took on a request (awaiting included)",
    unit: 's',
    advice,
  });
  const cacheLookups: Counter = meter.createCounter(METRICS.cacheLookups, {
    description: 'Verifier cache lookups (the token verifier: tokens already verified, or not)',
    unit: '{lookup}',
  });
  const verifierErrors: Counter = meter.createCounter(METRICS.verifierErrors, { description: 'Verifier errors and timeouts', unit: '{error}' });
  const storeDuration: Histogram = meter.createHistogram(METRICS.storeDuration, { description: 'Time of a store operation', unit: 's', advice });

  return {
    recordDecision(decision) {
      const attributes: Attributes = {
        [ATTRIBUTES.outcome]: decisionOutcome(decision),
        [ATTRIBUTES.mode]: decision.mode,
      };
      if (decision.code !== undefined) attributes[ATTRIBUTES.code] = decision.code;
      decisions.add(1, attributes);
      for (const result of decision.results) {
        // A result of 0 ms that skipped is a verifier that did not run (off, not applicable): not a latency.
        if (result.durationMs !== undefined && !(result.outcome === 'skip' && result.durationMs === 0)) {
          verifierDuration.record(result.durationMs / 1000, { [ATTRIBUTES.verifier]: result.verifier, [ATTRIBUTES.verifierOutcome]: result.outcome });
        }
        if (result.cache !== undefined) cacheLookups.add(1, { [ATTRIBUTES.verifier]: result.verifier, [ATTRIBUTES.cacheResult]: result.cache });
      }
    },
    recordError(error, verifier) {
      verifierErrors.add(1, { [ATTRIBUTES.verifier]: verifier, [ATTRIBUTES.errorType]: errorType(error) });
    },
    recordStoreOperation(operation, durationMs, failed) {
      storeDuration.record(durationMs / 1000, { [ATTRIBUTES.storeOperation]: operation, [ATTRIBUTES.storeOutcome]: failed ? 'error' : 'ok' });
    },
  };
}

/**
 * The `error.type` of an error: its class name (OpenTelemetry's convention), so `class BackendDown extends Error {}`
 * counts apart from a plain `Error` even when it leaves `name` as `'Error'`; capped, as attribute values must stay few.
 */
function errorType(error: unknown): string {
  if (!(error instanceof Error)) return 'non-error';
  const name = typeof error.name === 'string' ? error.name : 'Error';
  const ctor: unknown = (error as { constructor?: { name?: unknown } }).constructor?.name;
  return (name === 'Error' && typeof ctor === 'string' && ctor !== '' ? ctor : name).slice(0, 64);
}
