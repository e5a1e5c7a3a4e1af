import { performance } from 'node:perf_hooks';
import { SpanKind, SpanStatusCode, type Attributes, type Tracer } from '@opentelemetry/api';
import type { LoggedRequest } from '../core/redact.js';
import type { Decision } from '../shield.js';
import { ATTRIBUTES, SPAN_NAME, decisionOutcome } from './names.js';

/** Per verifier name, its span attribute keys: built once per verifier, not per request. */
interface VerifierKeys {
  readonly outcome: string;
  readonly mode: string;
  readonly code: string;
  readonly durationMs: string;
  readonly cache: string;
}

/** Records one span per checked request. */
export interface CheckSpans {
  record(decision: Decision, request: LoggedRequest): void;
}

/**
 * Spans of checks. The span is made when the decision is final (in `onDecision`), as a child of the active context
 * (the HTTP server span when HTTP is instrumented); it ends now and starts the verifiers' summed time earlier, so
 * its length is the shield's own time. Attributes: the decision (allowed, code, status, mode, reference) and, per
 * verifier, outcome, mode, code, duration and cache lookup. No header, token, query or verifier detail text.
 */
export function createCheckSpans(tracer: Tracer): CheckSpans {
  const keysByVerifier = new Map<string, VerifierKeys>();
  const keysFor = (verifier: string): VerifierKeys => {
    let keys = keysByVerifier.get(verifier);
    if (keys === undefined) {
      const prefix = `${ATTRIBUTES.verifierPrefix}${verifier}.`;
      keys = { outcome: `${prefix}outcome`, mode: `${prefix}mode`, code: `${prefix}code`, durationMs: `${prefix}duration_ms`, cache: `${prefix}cache` };
      // Verifier names come from the shield's configuration, never from a request: the map stays small.
      keysByVerifier.set(verifier, keys);
    }
    return keys;
  };

  return {
    record(decision, request) {
      let totalMs = 0;
      for (const result of decision.results) totalMs += result.durationMs ?? 0;
      const end = performance.timeOrigin + performance.now();
      const span = tracer.startSpan(SPAN_NAME, { kind: SpanKind.INTERNAL, startTime: end - totalMs });
      if (span.isRecording()) {
        const attributes: Attributes = {
          [ATTRIBUTES.allowed]: decision.allowed,
          [ATTRIBUTES.outcome]: decisionOutcome(decision),
          [ATTRIBUTES.mode]: decision.mode,
          [ATTRIBUTES.reference]: decision.reference,
          [ATTRIBUTES.durationMs]: totalMs,
          [ATTRIBUTES.httpMethod]: request.method,
        };
        if (decision.code !== undefined) attributes[ATTRIBUTES.code] = decision.code;
        if (decision.status !== undefined) attributes[ATTRIBUTES.status] = decision.status;
        let failed = false;
        for (const result of decision.results) {
          const keys = keysFor(result.verifier);
          attributes[keys.outcome] = result.outcome;
          attributes[keys.mode] = result.mode;
          if (result.code !== undefined) attributes[keys.code] = result.code;
          if (result.durationMs !== undefined) attributes[keys.durationMs] = result.durationMs;
          if (result.cache !== undefined) attributes[keys.cache] = result.cache;
          if (result.outcome === 'error') failed = true;
        }
        span.setAttributes(attributes);
        // A denial is the shield working; only a verifier that could not decide is an error of the operation.
        if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: decision.code ?? 'verifier error' });
      }
      span.end(end);
    },
  };
}
