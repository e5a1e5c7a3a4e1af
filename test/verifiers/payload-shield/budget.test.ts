/**
 * The per-request inspection budget (bytes and time) and what happens when it runs out: deny by default (413
 * `payload_too_large`, fail closed), or pass with an "inspection incomplete" detail when `budgetExhausted: 'allow'`;
 * an attack found before the budget ran out still denies.
 */
import { describe, expect, it } from 'vitest';
import { createShield } from '../../../src/shield.js';
import {
  compilePayloadOptions,
  DEFAULT_LIMITS,
  inspectPayload,
  payloadShieldOptionsSchema,
  type PayloadShieldOptions,
} from '../../../src/verifiers/payload-shield/index.js';
import { request } from './helpers.js';

function inspect(options: PayloadShieldOptions, body: unknown) {
  return inspectPayload(request({ headers: {} }), body, compilePayloadOptions(options));
}

/** Markup-dense strings: the most expensive text per character for the detectors. */
const dense = (count: number, length = 400): string[] => Array.from({ length: count }, () => `<a href='x' b="y" onx=1 <c d=e>`.repeat(length / 32));

describe('inspection budget', () => {
  it('defaults to a byte budget well below the body limit, and a time budget', () => {
    expect(DEFAULT_LIMITS.maxInspectBytes).toBe(256 * 1024);
    expect(DEFAULT_LIMITS.maxInspectBytes).toBeLessThanOrEqual(DEFAULT_LIMITS.maxBodyBytes / 4);
    expect(DEFAULT_LIMITS.maxInspectMillis).toBe(50);
  });

  it('denies a benign body over the byte budget by default (fail closed), though it is under the body limit', () => {
    const body = { notes: Array.from({ length: 300 }, () => 'plain words '.repeat(80)) }; // ~288 KiB of text
    // (The time budget is lifted so that a slow, shared test machine cannot trip it first.)
    const verdict = inspect({ limits: { maxInspectMillis: 60_000 } }, body);
    expect(verdict).toMatchObject({ action: 'deny', code: 'payload_too_large', detail: expect.stringContaining('maxInspectBytes') });
  });

  it('denies when the time budget runs out, and says where inspection stopped', () => {
    const verdict = inspect({ limits: { maxInspectMillis: 1 } }, { items: dense(500) });
    expect(verdict).toMatchObject({ action: 'deny', code: 'payload_too_large', detail: expect.stringMatching(/maxInspectMillis exceeded at body\.items\[\d+\]/) });
  });

  it('with budgetExhausted: allow, a benign body over budget passes and is marked incomplete', () => {
    const verdict = inspect({ budgetExhausted: 'allow', limits: { maxInspectMillis: 1 } }, { items: dense(500) });
    expect(verdict.action).toBe('allow');
    expect(verdict.action === 'allow' && verdict.incomplete).toMatchObject({ limit: 'maxInspectMillis' });
    const bytes = inspect({ budgetExhausted: 'allow', limits: { maxInspectBytes: 100 } }, { a: 'x'.repeat(80), b: 'y'.repeat(80) });
    expect(bytes).toMatchObject({ action: 'allow', incomplete: { limit: 'maxInspectBytes', location: 'body.b' } });
  });

  it('with budgetExhausted: allow, an attack inspected before the budget ran out still denies', () => {
    const verdict = inspect({ budgetExhausted: 'allow', limits: { maxInspectBytes: 100 } }, { a: "x' OR 1=1 --", b: 'y'.repeat(200) });
    expect(verdict).toMatchObject({ action: 'deny', code: 'payload_attack' });
  });

  it('structural limits deny whatever budgetExhausted says', () => {
    const verdict = inspect({ budgetExhausted: 'allow', limits: { maxStringLength: 10 } }, { a: 'x'.repeat(11) });
    expect(verdict).toMatchObject({ action: 'deny', detail: expect.stringContaining('maxStringLength') });
  });

  it('validates the options', () => {
    expect(payloadShieldOptionsSchema.safeParse({ budgetExhausted: 'allow', limits: { maxInspectMillis: 5 } }).success).toBe(true);
    expect(payloadShieldOptionsSchema.safeParse({ budgetExhausted: 'maybe' }).success).toBe(false);
    expect(payloadShieldOptionsSchema.safeParse({ limits: { maxInspectMillis: 0 } }).success).toBe(false);
    expect(payloadShieldOptionsSchema.safeParse({ limits: { maxInspectMillis: '5' } }).success).toBe(false);
  });

  it('reports an incomplete inspection in the pass detail through createShield().check', async () => {
    // content-type (16) + `a` (1 + 50) + `b` (1) fit in 100; `b`'s value does not.
    const shield = createShield({ payload: { budgetExhausted: 'allow', limits: { maxInspectBytes: 100 } } });
    const body = { a: 'x'.repeat(50), b: 'y'.repeat(50) };
    const length = String(Buffer.byteLength(JSON.stringify(body)));
    // The body as the application's parser produced it (the shield never parses bodies itself).
    const decision = await shield.check(request({ headers: { 'content-type': 'application/json', 'content-length': length }, body }));
    expect(decision.allowed).toBe(true);
    const detail = decision.results.find((r) => r.verifier === 'payload-shield')?.detail;
    expect(detail).toMatch(/inspection incomplete: budget maxInspectBytes exhausted at body\.b/);
  });
});
