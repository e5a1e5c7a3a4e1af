/**
 * How long the client caches a token a service answers without `expiresIn` (an older service): the token's own
 * `exp - iat`, counted on the device's clock from receipt, when both claims are usable numbers; the answer's
 * `expiresAt` otherwise; never more than a day either way. The tokens here are unsigned: the client reads their
 * timing without verifying (the shield verifies).
 */
import { describe, expect, it } from 'vitest';
import { createAttestationClient } from '../../src/client/index.js';

const SERVICE = 'https://svc.example';
const DAY_MS = 86_400_000;
const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A JWS-shaped token whose payload is `claims` (plus a serial `n`, so each minted token differs). */
const jwt = (claims: Record<string, unknown>, n: number) => `${b64url({ alg: 'ES256' })}.${b64url({ ...claims, n })}.c2ln`;

/**
 * An Android client on a device clock the test moves (`advance`), against a stub service whose answers `answer(n)`
 * builds for the n-th token; `minted()` counts token requests.
 */
function setup(answer: (n: number, serviceNow: number) => Record<string, unknown>, deviceSkewMs = 0) {
  const serviceNow = Math.floor(Date.now() / 1000);
  let clock = Date.now() + deviceSkewMs;
  let minted = 0;
  const client = createAttestationClient({
    serviceUrl: SERVICE,
    attester: { platform: 'android', requestIntegrityToken: async () => 'integrity' },
    now: () => clock,
    fetch: async (input) => (String(input).endsWith('/challenge') ? json({ challenge: 'A'.repeat(43) }) : json(answer(++minted, serviceNow))),
  });
  return { client, minted: () => minted, advance: (ms: number) => void (clock += ms) };
}

describe('token lifetime without expiresIn', () => {
  it('a device clock 10 minutes ahead reuses a token whose exp - iat is 300 s, until the refresh margin', async () => {
    const s = setup((n, t) => ({ token: jwt({ iat: t, exp: t + 300 }, n), expiresAt: t + 300 }), 10 * 60_000);
    const first = await s.client.getToken();
    expect((await s.client.getToken()).token).toBe(first.token);
    s.advance(269_000);
    expect((await s.client.getToken()).token).toBe(first.token);
    expect(s.minted()).toBe(1);
    s.advance(2_000); // 271 s: inside the 30 s refresh margin
    expect((await s.client.getToken()).token).not.toBe(first.token);
    expect(s.minted()).toBe(2);
  });

  it('falls back to expiresAt when iat/exp are missing, not numbers, reversed or the token is not a JWT', async () => {
    const unusable: Array<(n: number, t: number) => string> = [
      (n) => jwt({}, n),
      (n, t) => jwt({ exp: t + 3600 }, n),
      (n, t) => jwt({ iat: String(t), exp: t + 3600 }, n),
      (n, t) => jwt({ iat: t, exp: null }, n),
      (n, t) => jwt({ iat: t, exp: [t + 3600] }, n),
      (n, t) => jwt({ iat: t + 3600, exp: t }, n), // negative lifetime
      (n, t) => jwt({ iat: -1.7e308, exp: 1.7e308 }, n), // exp - iat overflows to Infinity
      (n) => `t${n}.b.c`, // payload not base64url JSON
      (n) => `t${n}`, // not a JWS at all
      (n) => `${b64url({ alg: 'ES256' })}.${b64url([n, 1, 2])}.c2ln`, // payload JSON but not an object
    ];
    for (const token of unusable) {
      // The answer's expiresAt says 300 s, the claims (where numbers) say an hour: the cache must follow expiresAt.
      const s = setup((n, t) => ({ token: token(n, t), expiresAt: t + 300 }));
      const first = await s.client.getToken();
      expect((await s.client.getToken()).token, first.token).toBe(first.token);
      s.advance(271_000);
      expect((await s.client.getToken()).token, first.token).not.toBe(first.token);
      expect(s.minted()).toBe(2);
    }
  });

  it('an absurd lifetime (token claims, expiresIn or expiresAt) is cached at most a day, not forever', async () => {
    const answers: Array<(n: number, t: number) => Record<string, unknown>> = [
      (n, t) => ({ token: jwt({ iat: 0, exp: 1e15 }, n), expiresAt: t + 300 }),
      (n, t) => ({ token: jwt({ iat: t, exp: t + 300 }, n), expiresAt: t + 300, expiresIn: 1e12 }),
      (n) => ({ token: `t${n}.b.c`, expiresAt: 1e300 }),
    ];
    for (const answer of answers) {
      const s = setup(answer);
      const first = await s.client.getToken();
      s.advance(DAY_MS - 31_000);
      expect((await s.client.getToken()).token).toBe(first.token);
      s.advance(2_000);
      expect((await s.client.getToken()).token).not.toBe(first.token);
      expect(s.minted()).toBe(2);
    }
  });

  it('expiresIn, when the service sends it, still wins over the token claims', async () => {
    const s = setup((n, t) => ({ token: jwt({ iat: t, exp: t + 3600 }, n), expiresAt: t + 3600, expiresIn: 300 }));
    const first = await s.client.getToken();
    s.advance(271_000);
    expect((await s.client.getToken()).token).not.toBe(first.token);
  });
});
