/**
 * The token verifier says on its result whether its verified-token cache answered (`cache: 'hit'`) or the token
 * had to be verified (`'miss'`): what the token cache hit-rate metrics count.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { approov } from '../../../src/attestation/approov.js';
import { createShield } from '../../../src/shield.js';
import type { ShieldRequest } from '../../../src/core/request.js';
import type { Verifier } from '../../../src/core/verifier.js';
import { createTestAttester } from '../../../src/testing/index.js';

const attester = createTestAttester({ header: 'approov-token' });
const AUTH = 'Bearer user-alice-session';
const requestWith = (token: string | undefined, authorization = AUTH): ShieldRequest => ({
  method: 'GET',
  path: '/profile',
  ip: '203.0.113.5',
  headers: token === undefined ? { authorization } : { authorization, 'approov-token': token },
});

describe('token verifier: cache lookup on the result', () => {
  it('a token seen for the first time is a miss, the same token again a hit; no token is neither', async () => {
    const shield = createShield({ token: approov({ secret: attester.secret! }) });
    const token = await attester.mint({ bindTo: AUTH });
    const first = await shield.check(requestWith(token));
    expect(first.results[0]).toMatchObject({ verifier: 'token', outcome: 'pass', cache: 'miss' });
    const second = await shield.check(requestWith(token));
    expect(second.results[0]).toMatchObject({ verifier: 'token', outcome: 'pass', cache: 'hit' });
    const none = await shield.check(requestWith(undefined));
    expect(none.results[0]).toMatchObject({ outcome: 'deny', code: 'token_missing' });
    expect(none.results[0]?.cache).toBeUndefined();
  });

  it('denials say it too: a forged token is a miss, a cached token on the wrong session a hit', async () => {
    const shield = createShield({ token: approov({ secret: attester.secret! }) });
    const forged = await createTestAttester({ header: 'approov-token' }).mint({ bindTo: AUTH });
    expect((await shield.check(requestWith(forged))).results[0]).toMatchObject({ code: 'token_invalid', cache: 'miss' });
    const token = await attester.mint({ bindTo: AUTH });
    await shield.check(requestWith(token));
    const stolen = await shield.check(requestWith(token, 'Bearer mallory'));
    expect(stolen.results[0]).toMatchObject({ code: 'token_binding_mismatch', cache: 'hit' });
  });

  it('single-use tokens: the replayed use of a cached token is a hit that denies', async () => {
    const shield = createShield({ token: approov({ secret: attester.secret!, replay: true }) });
    const token = await attester.mint({ bindTo: AUTH, singleUse: true });
    expect((await shield.check(requestWith(token))).results[0]).toMatchObject({ outcome: 'pass', cache: 'miss' });
    expect((await shield.check(requestWith(token))).results[0]).toMatchObject({ code: 'token_replayed', cache: 'hit' });
  });

  it('the cache is keyed by the end of a token, but only the whole token hits: a copied signature is verified', async () => {
    const shield = createShield({ token: approov({ secret: attester.secret! }) });
    const token = await attester.mint({ bindTo: AUTH, claims: { tier: 'basic' } });
    expect((await shield.check(requestWith(token))).results[0]).toMatchObject({ outcome: 'pass', cache: 'miss' });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const upgraded = Buffer.from(JSON.stringify({ ...claims, tier: 'gold' })).toString('base64url');
    // Same signature (so the same cache key), another payload, another header: each is a miss that fails verification.
    for (const forged of [`${header}.${upgraded}.${signature}`, `${header}X.${payload}.${signature}`, `.${payload}.${signature}`]) {
      const decision = await shield.check(requestWith(forged));
      expect(decision.allowed).toBe(false);
      expect(decision.results[0]).toMatchObject({ code: 'token_invalid', cache: 'miss' });
    }
    // The genuine token is still cached.
    const again = await shield.check(requestWith(token));
    expect(again.results[0]).toMatchObject({ outcome: 'pass', cache: 'hit' });
    expect(again.attestation?.claims).toMatchObject({ tier: 'basic' });
  });

  it('with the cache off every presented token is a miss', async () => {
    const shield = createShield({ token: { ...approov({ secret: attester.secret! }), verifiedCacheSize: 0 } });
    const token = await attester.mint({ bindTo: AUTH });
    await shield.check(requestWith(token));
    expect((await shield.check(requestWith(token))).results[0]).toMatchObject({ outcome: 'pass', cache: 'miss' });
  });

  it("a custom verifier's cache must be 'hit' or 'miss': anything else fails closed", async () => {
    const custom: Verifier = { name: 'custom', verify: () => ({ outcome: 'pass', cache: 'warm' }) as never };
    const good: Verifier = { name: 'good', verify: () => ({ outcome: 'pass', cache: 'hit' }) };
    const errors: unknown[] = [];
    const bad = await createShield({ verifiers: [custom], onError: (e) => void errors.push(e) }).check(requestWith(undefined));
    expect(bad).toMatchObject({ allowed: false, code: 'shield_unavailable' });
    expect(String(errors[0])).toMatch(/cache must be 'hit' or 'miss'/);
    const ok = await createShield({ verifiers: [good] }).check(requestWith(undefined));
    expect(ok.results[0]).toMatchObject({ verifier: 'good', outcome: 'pass', cache: 'hit' });
  });
});

describe('token verifier: how long a cached verification stands', () => {
  // The clock the check reads (Date) is moved by hand; nothing else is faked, so jose and promises run as usual.
  const at = async <T>(epochMs: number, run: () => Promise<T>): Promise<T> => {
    vi.setSystemTime(epochMs);
    return run();
  };
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
  const cacheOf = (decision: { results: readonly { verifier: string; cache?: string }[] }): string | undefined =>
    decision.results.find((r) => r.verifier === 'token')?.cache;

  it('until the token expires: a hit before, and after it a refusal (never a hit)', async () => {
    const shield = createShield({ token: approov({ secret: attester.secret! }) });
    const token = await at(T0, () => attester.mint({ bindTo: AUTH, ttlSeconds: 120 }));
    expect(cacheOf(await at(T0, () => shield.check(requestWith(token))))).toBe('miss');
    expect(cacheOf(await at(T0 + 119_000, () => shield.check(requestWith(token))))).toBe('hit');
    const after = await at(T0 + 121_000, () => shield.check(requestWith(token)));
    expect(after).toMatchObject({ allowed: false, code: 'token_expired' });
    expect(cacheOf(after)).toBe('miss');
  });

  it('at most an hour for a long-lived token, then it is verified again (and cached again)', async () => {
    const shield = createShield({ token: approov({ secret: attester.secret! }) });
    const token = await at(T0, () => attester.mint({ bindTo: AUTH, ttlSeconds: 86_400 }));
    expect(cacheOf(await at(T0, () => shield.check(requestWith(token))))).toBe('miss');
    expect(cacheOf(await at(T0 + 3_599_000, () => shield.check(requestWith(token))))).toBe('hit');
    expect(cacheOf(await at(T0 + 3_601_000, () => shield.check(requestWith(token))))).toBe('miss');
    expect(cacheOf(await at(T0 + 3_602_000, () => shield.check(requestWith(token))))).toBe('hit');
  });

  it('a minute for a token without an expiry (when the config accepts one)', async () => {
    const shield = createShield({ token: { ...approov({ secret: attester.secret! }), requiredClaims: [] } });
    const token = await at(T0, () => attester.mint({ bindTo: AUTH, withoutExpiry: true }));
    expect(cacheOf(await at(T0, () => shield.check(requestWith(token))))).toBe('miss');
    expect(cacheOf(await at(T0 + 59_000, () => shield.check(requestWith(token))))).toBe('hit');
    const later = await at(T0 + 61_000, () => shield.check(requestWith(token)));
    expect(later.allowed).toBe(true);
    expect(cacheOf(later)).toBe('miss');
  });
});
