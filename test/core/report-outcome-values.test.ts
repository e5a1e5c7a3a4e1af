/**
 * `shield.reportOutcome` takes an HTTP status Node can send, `success`, `failure` or `refused`; anything else is
 * ignored without a rejection (adapters call it without awaiting it, so a rejection would be unhandled) and does not
 * take the request's outcome: the status reported after it still reaches the verifiers.
 */
import { describe, expect, it } from 'vitest';
import { createShield } from '../../src/index.js';

describe('shield.reportOutcome values', () => {
  it('ignores an unknown outcome, and the status reported after it is heard', async () => {
    const heard: unknown[] = [];
    const shield = createShield({ verifiers: [{ name: 'listener', verify: () => ({ outcome: 'pass' }), onResponse: (_ctx, outcome) => void heard.push(outcome) }] });
    const decision = await shield.check({ method: 'POST', path: '/login', headers: {}, ip: '203.0.113.1' });
    await expect(shield.reportOutcome(decision, 'failed' as never)).resolves.toBeUndefined();
    await expect(shield.reportOutcome(decision, 600.5 as never)).resolves.toBeUndefined();
    expect(heard).toEqual([]);
    await shield.reportOutcome(decision, 999);
    await shield.reportOutcome(decision, 401);
    expect(heard).toEqual([999]);
  });
});
