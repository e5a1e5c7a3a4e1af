/**
 * The `VerifierResult` records a check lists on its decision, and how a verifier's outcome is recorded on the pass. Most results carry no detail and no duration (a pass or
 * a skip with timings off, the common case): such a result is one of twelve per verifier (outcome, mode, cache), so
 * each is made once, frozen, and shared by every decision that lists it. An allowed request then allocates no result
 * objects, where it made one per verifier and stage before (about 80 bytes each, seven on a Fastify request with the
 * full shield). Results with a code, a detail or a duration are made per request, as before.
 */
import type { DenyCode } from './codes.js';
import type { VerifierResult } from './decision.js';
import { errorDetail } from './errors.js';
import type { Failure, Pass } from './request-state.js';
import type { Mode } from './route-options.js';
import type { CacheLookup, VerifierOutcome } from './verifier.js';

/** Shared results per verifier: 2 outcomes (pass, skip) x 2 modes x 3 cache answers (none, hit, miss). */
const PER_VERIFIER = 12;

/** A result made for one request (nothing shared). */
export function verifierResult(
  verifier: string,
  outcome: VerifierResult['outcome'],
  mode: Mode,
  code: DenyCode | undefined,
  detail: string | undefined,
  durationMs: number | undefined,
  cache: CacheLookup | undefined,
): VerifierResult {
  return { verifier, outcome, mode, code, detail, durationMs, cache };
}

/** The results of one shield's verifiers, by the verifier's index in the shield's loop. */
export class VerifierResults {
  readonly #names: readonly string[];
  readonly #shared: (VerifierResult | undefined)[];

  constructor(names: readonly string[]) {
    this.#names = names;
    this.#shared = new Array<VerifierResult | undefined>(names.length * PER_VERIFIER).fill(undefined);
  }

  /** The result of verifier `index`: a shared frozen one when it has no code, detail or duration, else a new one. */
  of(
    index: number,
    outcome: VerifierResult['outcome'],
    mode: Mode,
    code: DenyCode | undefined,
    detail: string | undefined,
    durationMs: number | undefined,
    cache: CacheLookup | undefined,
  ): VerifierResult {
    const name = this.#names[index]!;
    const cacheSlot = cache === undefined ? 0 : cache === 'hit' ? 1 : cache === 'miss' ? 2 : -1;
    if (code !== undefined || detail !== undefined || durationMs !== undefined || cacheSlot < 0 || (outcome !== 'pass' && outcome !== 'skip')) {
      return verifierResult(name, outcome, mode, code, detail, durationMs, cache);
    }
    const slot = index * PER_VERIFIER + (outcome === 'pass' ? 0 : 6) + (mode === 'enforce' ? 0 : 3) + cacheSlot;
    return (this.#shared[slot] ??= Object.freeze(verifierResult(name, outcome, mode, undefined, undefined, undefined, cache)));
  }

  /**
   * Adds verifier `i`'s result to the pass; true when it denies in enforce mode (the loop stops there). An error is a
   * `shield_unavailable` denial unless the verifier fails open (`failOpen`: listed, not denied).
   */
  record(pass: Pass, i: number, failOpen: boolean, mode: Mode, outcome: VerifierOutcome | Failure, durationMs: number | undefined): boolean {
    let effective: VerifierOutcome;
    if (outcome.outcome === 'error') {
      if (failOpen) {
        pass.add(this.of(i, 'error', mode, undefined, errorDetail(outcome.error), durationMs, undefined));
        return false;
      }
      pass.add(this.of(i, 'error', mode, 'shield_unavailable', errorDetail(outcome.error), durationMs, undefined));
      effective = { outcome: 'deny', code: 'shield_unavailable' };
    } else {
      effective = outcome;
      pass.add(this.of(i, outcome.outcome, mode, outcome.outcome === 'deny' ? outcome.code : undefined, outcome.detail, durationMs, outcome.cache));
    }
    if (effective.outcome !== 'deny') return false;
    if (mode === 'enforce') {
      pass.denied = effective;
      return true;
    }
    pass.monitored ??= effective;
    return false;
  }
}
