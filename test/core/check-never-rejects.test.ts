/**
 * `check` is documented "never rejects" and `checkNow` "never throws or rejects": anything unexpected fails closed as
 * shield_unavailable. The fallback (`unavailable`) read `request.ip` and cleared `request.parsedQueryFrom` again
 * outside any guard, so a hand-built request whose `ip` getter throws, a Proxy, or a frozen request carrying
 * `parsedQueryFrom` made check() reject and checkNow() throw.
 */
import { describe, expect, it } from 'vitest';
import { createShield } from '../../src/shield.js';

const requests: [string, () => unknown][] = [
  ['ip getter that throws', () => ({ method: 'GET', path: '/', headers: {}, get ip(): string { throw new Error('ip'); } })],
  ['a Proxy whose traps throw', () => new Proxy({}, { get() { throw new Error('trap'); } })],
  ['a frozen request with parsedQueryFrom', () => Object.freeze({ method: 'GET', path: '/', headers: {}, ip: '203.0.113.1', parsedQueryFrom: { query: {} } })],
];

describe('check/checkNow never throw or reject on a malformed request', () => {
  const shield = createShield({});

  it.each(requests)('check: %s resolves a fail-closed decision', async (_label, make) => {
    await expect(shield.check(make() as never)).resolves.toMatchObject({ allowed: false, code: 'shield_unavailable' });
  });

  it.each(requests)('checkNow: %s does not throw', async (_label, make) => {
    let decision: unknown;
    expect(() => {
      decision = shield.checkNow(make() as never);
    }).not.toThrow();
    await expect(Promise.resolve(decision)).resolves.toMatchObject({ allowed: false, code: 'shield_unavailable' });
  });

  it.each(requests)('%s: reported to onError once, onDecision at most once', async (_label, make) => {
    const errors: string[] = [];
    const decisions: unknown[] = [];
    const observed = createShield({
      onError: (_error, info) => void errors.push(info.verifier),
      onDecision: (decision) => void decisions.push(decision.code),
    });
    await expect(observed.check(make() as never)).resolves.toMatchObject({ allowed: false, status: 503 });
    expect(errors).toEqual(['core']);
    // onDecision's view of a request that cannot be read cannot be built: it is skipped then, never thrown from.
    expect(decisions.length).toBeLessThanOrEqual(1);
    expect(decisions.every((code) => code === 'shield_unavailable')).toBe(true);
  });

  it('an asynchronous check (a pending verifier) of a frozen request still fails closed', async () => {
    const pending = createShield({ verifiers: [{ name: 'slow', verify: () => Promise.resolve({ outcome: 'pass' as const }) }] });
    const frozen = requests[2]![1]();
    await expect(pending.check(frozen as never)).resolves.toMatchObject({ allowed: false, code: 'shield_unavailable' });
  });

  it('a writable request still has its parsed query released, and is allowed', async () => {
    const request = { method: 'GET', path: '/', headers: {}, ip: '203.0.113.1', parsedQueryFrom: { query: {} } as unknown };
    await expect(shield.check(request as never)).resolves.toMatchObject({ allowed: true });
    expect(request.parsedQueryFrom).toBeUndefined();
  });
});
