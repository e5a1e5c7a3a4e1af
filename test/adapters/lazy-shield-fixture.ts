/**
 * The first shield of the lazy-second-shield tests (decision-keeping-lazy-shield-*.test.ts): token-only with
 * single-use tokens, a header-stage verifier that records the outcome it hears, and a count of the checks it reports.
 * Each test file makes its own, so that it is the only shield of its process until the test creates a second.
 */
import { createShield, type Shield } from '../../src/index.js';
import type { RequestOutcome } from '../../src/core/verifier.js';
import { createTestAttester, type TestAttester } from '../../src/testing/index.js';

export interface FirstShield {
  readonly shield: Shield;
  readonly attester: TestAttester;
  readonly header: string;
  /** Checks the shield reported (`onDecision`). */
  checks(): number;
  /** The outcomes its recording verifier heard. */
  readonly heard: RequestOutcome[];
}

/** A new first shield (see the file's TSDoc). */
export function firstShield(): FirstShield {
  const attester = createTestAttester();
  const header = 'x-attestation-token';
  let checks = 0;
  const heard: RequestOutcome[] = [];
  const shield = createShield({
    token: { secret: attester.secret as string, header, replay: true },
    verifiers: [{ name: 'outcome-recorder', stage: 'headers', verify: () => ({ outcome: 'pass' }), onResponse: (_ctx, outcome) => void heard.push(outcome) }],
    onDecision: () => void (checks += 1),
  });
  return { shield, attester, header, checks: () => checks, heard };
}
