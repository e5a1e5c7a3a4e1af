import { performance } from 'node:perf_hooks';
import type { Store } from './store.js';

/** The store operations `timedStore` times (the optional ones only when the store has them). */
export type StoreOperationName =
  | 'setIfAbsent'
  | 'get'
  | 'delete'
  | 'increment'
  | 'addToSet'
  | 'setIfGreater'
  | 'raiseIfPresent'
  | 'reserveAttempt'
  | 'settleAttempt'
  | 'reserveMember'
  | 'removeMember'
  | 'resetScope';

/** Told after each store operation: which, how long it took (ms, until its promise settled) and whether it failed. */
export type StoreOperationListener = (operation: StoreOperationName, durationMs: number, failed: boolean) => void;

const OPERATIONS: readonly StoreOperationName[] = [
  'setIfAbsent', 'get', 'delete', 'increment', 'addToSet', 'setIfGreater', 'raiseIfPresent',
  'reserveAttempt', 'settleAttempt', 'reserveMember', 'removeMember', 'resetScope',
];

/**
 * Wraps a store so that every operation is timed and reported to `onOperation` (store latency metrics). The wrapper
 * has exactly the operations the store has (so `reserveAttempt` and friends stay optional), changes no result and
 * no error, and a listener that throws is ignored: metrics never break a request. Keys and values are never reported.
 */
export function timedStore(store: Store, onOperation: StoreOperationListener): Store {
  const report = (operation: StoreOperationName, started: number, failed: boolean): void => {
    try {
      onOperation(operation, performance.now() - started, failed);
    } catch {
      // A failing metrics listener must not turn into a failing store call.
    }
  };
  const timed: Partial<Record<StoreOperationName, (...args: never[]) => Promise<unknown>>> = {};
  for (const operation of OPERATIONS) {
    const original = (store as unknown as Record<string, unknown>)[operation];
    if (typeof original !== 'function') continue;
    timed[operation] = (...args: never[]): Promise<unknown> => {
      const started = performance.now();
      let pending: Promise<unknown>;
      try {
        pending = (original as (...a: never[]) => Promise<unknown>).apply(store, args);
      } catch (error) {
        report(operation, started, true);
        throw error;
      }
      return Promise.resolve(pending).then(
        (value) => {
          report(operation, started, false);
          return value;
        },
        (error: unknown) => {
          report(operation, started, true);
          throw error;
        },
      );
    };
  }
  return timed as unknown as Store;
}
