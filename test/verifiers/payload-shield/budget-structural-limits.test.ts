/**
 * With `budgetExhausted: 'allow'`, an exhausted inspection budget stops the detectors, not the structural limits:
 * a string over `maxStringLength`, nesting over `maxDepth` or an array over `maxArrayLength` after the budget ran out
 * is still refused (413), as the code's rule says ("a structural limit always denies"); before, the walk stopped at
 * the budget and such a body passed as merely "incomplete".
 */
import { describe, expect, it } from 'vitest';
import { compilePayloadOptions, inspectPayload } from '../../../src/verifiers/payload-shield/index.js';
import { request } from './helpers.js';

const allow = compilePayloadOptions({ budgetExhausted: 'allow' });
const deny = compilePayloadOptions({});

describe("structural limits under budgetExhausted: 'allow'", () => {
  it('a string over maxStringLength that also exhausts the budget is refused', () => {
    expect(inspectPayload(request(), { a: 'x'.repeat(300_000) }, allow)).toMatchObject({ action: 'deny', code: 'payload_too_large' });
  });

  it('nesting over maxDepth and an array over maxArrayLength after the budget ran out are refused', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100; i++) deep = { a: deep };
    const pad = { pad1: 'y'.repeat(90_000), pad2: 'y'.repeat(90_000), pad3: 'y'.repeat(90_000) };
    expect(inspectPayload(request(), { ...pad, deep }, allow)).toMatchObject({ action: 'deny', code: 'payload_too_large' });
    expect(inspectPayload(request(), { ...pad, list: new Array(50_000).fill('z') }, allow)).toMatchObject({ action: 'deny', code: 'payload_too_large' });
  });

  it('a body within the structural limits that only exhausts the budget passes, marked incomplete (deny mode refuses it)', () => {
    const body = { pad1: 'y'.repeat(90_000), pad2: 'y'.repeat(90_000), pad3: 'y'.repeat(90_000), tail: 'ok' };
    expect(inspectPayload(request(), body, allow)).toMatchObject({ action: 'allow', incomplete: { limit: 'maxInspectBytes' } });
    expect(inspectPayload(request(), body, deny)).toMatchObject({ action: 'deny', code: 'payload_too_large' });
  });
});
