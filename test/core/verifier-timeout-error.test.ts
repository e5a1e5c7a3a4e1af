/**
 * A verifier still pending at its deadline fails as a `VerifierTimeoutError`, so the decision's detail, `onError` and
 * the OpenTelemetry `error.type` tell a timeout from the verifier's own failures (both read `Error` before).
 */
import { describe, expect, it } from 'vitest';
import { createShield } from '../../src/index.js';

describe('verifier timeouts', () => {
  it('are VerifierTimeoutErrors, told apart from a plain Error the verifier throws', async () => {
    const errors: string[] = [];
    const shield = createShield({
      verifierTimeoutMs: 20,
      onError: (error) => void errors.push((error as Error).name),
      verifiers: [
        { name: 'stuck', verify: () => new Promise(() => undefined), failOpen: true },
        { name: 'broken', verify: () => { throw new Error('backend down'); } },
      ],
    });
    const decision = await shield.check({ method: 'GET', path: '/', headers: {}, ip: '203.0.113.1' });
    expect(decision.allowed).toBe(false);
    expect(decision.results.map((r) => [r.verifier, r.detail])).toEqual([['stuck', 'VerifierTimeoutError'], ['broken', 'Error']]);
    expect(errors).toEqual(['VerifierTimeoutError', 'Error']);
  });
});
