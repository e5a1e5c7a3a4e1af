/**
 * Deadlines of the attestation service's calls into code it does not control: the `policy` and the Store. A call
 * that never settles (a policy awaiting a backend that hangs, a custom Store that lost its connection) would hang
 * the request for good; past `callTimeoutMs` it fails instead, and the request is answered 503 (fail closed).
 */
import { DeadlineWatch } from '../../core/deadline.js';
import type { Store } from '../../stores/store.js';

/** Default `callTimeoutMs` of the attestation service: the shield's default `verifierTimeoutMs`. */
export const DEFAULT_CALL_TIMEOUT_MS = 3_000;

/** Largest `callTimeoutMs`: the shield's largest `verifierTimeoutMs`. */
export const MAX_CALL_TIMEOUT_MS = 60_000;

/** A `policy` or Store call that did not settle within `callTimeoutMs`; `reason` is the `onEvent` reason. */
export class AttestationCallTimeoutError extends Error {
  constructor(
    readonly reason: 'policy_timeout' | 'store_timeout',
    message: string,
  ) {
    super(message);
    this.name = 'AttestationCallTimeoutError';
  }
}

/** Every Store method the service or its App Attest registry may call (the optional ones only when present). */
const STORE_CALLS = [
  'setIfAbsent',
  'get',
  'delete',
  'increment',
  'addToSet',
  'setIfGreater',
  'raiseIfPresent',
  'reserveAttempt',
  'settleAttempt',
  'reserveMember',
  'removeMember',
  'resetScope',
] as const satisfies readonly (keyof Store)[];

type AnyCall = (...args: unknown[]) => unknown;

/** Bounds calls to `timeoutMs`, with one shared timer (see {@link DeadlineWatch}). */
export interface CallDeadlines {
  /** Runs `call` (a throw becomes a rejection) and settles as it does, or rejects once the deadline passes. */
  policy<T>(call: () => T | PromiseLike<T>): Promise<T>;
  /** `store` with each method bounded; a method the store lacks stays absent (feature checks still see it). */
  store(store: Store): Store;
}

/** Deadlines of `timeoutMs` for the service's policy and Store calls. */
export function createCallDeadlines(timeoutMs: number): CallDeadlines {
  const watch = new DeadlineWatch();
  const bound = <T>(call: () => T | PromiseLike<T>, reason: AttestationCallTimeoutError['reason'], what: string): Promise<T> =>
    watch.race(Promise.resolve().then(call), timeoutMs, () => new AttestationCallTimeoutError(reason, `${what} did not settle within ${timeoutMs} ms`));
  return {
    policy: (call) => bound(call, 'policy_timeout', 'policy'),
    store(store) {
      const source = store as unknown as Record<string, unknown>;
      const bounded: Record<string, AnyCall> = {};
      for (const name of STORE_CALLS) {
        const method = source[name];
        if (typeof method !== 'function') continue;
        bounded[name] = (...args) => bound(() => (method as AnyCall).apply(store, args), 'store_timeout', `store.${name}`);
      }
      return bounded as unknown as Store;
    },
  };
}
