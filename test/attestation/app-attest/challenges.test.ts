import { describe, expect, it } from 'vitest';
import { createAttestationChallenges } from '../../../src/attestation/app-attest/index.js';
import { TestMemoryStore } from '../memory-store.js';

describe('App Attest registration challenges', () => {
  it('an issued challenge is consumed exactly once, even concurrently', async () => {
    const challenges = createAttestationChallenges({ store: new TestMemoryStore() });
    const c = await challenges.issue();
    expect(c).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const results = await Promise.all(Array.from({ length: 5 }, () => challenges.consume(c)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await challenges.consume(c)).toBe(false);
  });

  it('unknown, malformed and expired challenges are refused', async () => {
    let now = 1_000_000;
    const challenges = createAttestationChallenges({ store: new TestMemoryStore(() => now), ttlMs: 1000 });
    expect(await challenges.consume('A'.repeat(43))).toBe(false);
    expect(await challenges.consume('short')).toBe(false);
    expect(await challenges.consume(undefined as unknown as string)).toBe(false);
    const c = await challenges.issue();
    now += 1001;
    expect(await challenges.consume(c)).toBe(false);
  });

  it('two issued challenges differ', async () => {
    const challenges = createAttestationChallenges({ store: new TestMemoryStore() });
    expect(await challenges.issue()).not.toBe(await challenges.issue());
  });
});
