/**
 * Carrying out a decision that is still pending (a token never seen before, a store read). Every adapter hands its
 * synchronous decisions to a function directly and its pending ones here: a `.then` closure written inside the
 * middleware or hook would capture its locals, and V8 then allocates a context for them on every call, the
 * synchronous ones (the common, cached request) included.
 */
import type { Decision } from '../core/decision.js';

/**
 * Calls `carryOut(...args, decision)` once `pending` settles; an error `carryOut` throws goes to `fail` (the
 * framework's `next`/`done`), as it would on the synchronous path, instead of an unhandled rejection.
 */
export function settleLater<Args extends unknown[]>(
  pending: Promise<Decision>,
  fail: (error: Error) => void,
  carryOut: (...args: [...Args, Decision]) => void,
  ...args: Args
): void {
  pending.then((decision) => carryOut(...args, decision)).catch(fail);
}
