import { describe, expect, it } from 'vitest';
import { cachedDigestCount, digestKey } from '../../../src/verifiers/credential-abuse/key-digest.js';

describe('digestKey', () => {
  it('is a fixed-length digest; the same value the same digest', () => {
    expect(digestKey('alice@example.com')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(digestKey('alice@example.com')).toBe(digestKey('alice@example.com'));
    expect(digestKey('alice@example.com')).not.toBe(digestKey('bob@example.com'));
  });

  it('caches short values only: a username NFKC grew to 18,000 characters is hashed, never kept', () => {
    const before = cachedDigestCount();
    const grown = '\uFDFA'.repeat(1_023).normalize('NFKC'); // what 1,023 characters of U+FDFA normalise to
    expect(grown.length).toBeGreaterThan(18_000);
    for (let i = 0; i < 50; i++) expect(digestKey(`${grown}${i}`)).toHaveLength(22);
    expect(cachedDigestCount()).toBe(before);
    digestKey(`short-${Date.now()}`);
    expect(cachedDigestCount()).toBe(before + 1);
  });
});
