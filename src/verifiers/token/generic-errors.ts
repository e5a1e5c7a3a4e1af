import type { VerifierOutcome } from '../../core/verifier.js';

/** `genericErrors`: every refusal of a presented token reads `token_invalid`; the detail keeps the reason. */
export function generic(outcome: VerifierOutcome | Promise<VerifierOutcome>): VerifierOutcome | Promise<VerifierOutcome> {
  if (outcome instanceof Promise) return outcome.then(generalise);
  return generalise(outcome);
}

function generalise(outcome: VerifierOutcome): VerifierOutcome {
  if (outcome.outcome !== 'deny' || outcome.code === 'token_missing' || outcome.code === 'token_invalid') return outcome;
  return { outcome: 'deny', code: 'token_invalid', detail: `${outcome.code}: ${outcome.detail ?? ''}`, cache: outcome.cache };
}
