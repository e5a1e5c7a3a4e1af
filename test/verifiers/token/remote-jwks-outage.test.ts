/**
 * A remote JWK set while its endpoint is down. jose's cooldown runs from the last successful fetch only, so the
 * token verifier keeps one of its own after a failed fetch: no fetch for `jwksCooldownMs` after one failed (no
 * request amplification), and meanwhile (and on the failing request itself) the last fetched set decides: a kid it
 * has no key for is refused `token_invalid` (so `failOpen` never passes a forged token naming a random kid), a known
 * kid verifies while the set is fresh, and only without a usable set is the answer "cannot decide" (503).
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ShieldRequest } from '../../../src/core/request.js';
import { createShield, type Shield } from '../../../src/shield.js';
import type { TokenOptions } from '../../../src/verifiers/token/config.js';
import { OutageJwks } from './outage-jwks.js';

const genuine = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rotated = generateKeyPairSync('rsa', { modulusLength: 2048 });
const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** A local JWKS endpoint that counts its jwks.fetches and answers 500 while `failing`. */
const jwks = new OutageJwks();
beforeAll(() => jwks.start());
afterAll(() => jwks.close());
beforeEach(async () => {
  jwks.failing = false;
  jwks.keys = [{ ...(await exportJWK(genuine.publicKey)), kid: 'a', alg: 'RS256', use: 'sig' }];
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

const request = (token: string): ShieldRequest => ({ method: 'GET', path: '/', ip: '127.0.0.1', headers: { 'x-attestation-token': token } });
/** A distinct token (its own jti) each call, so no verification is answered from the verified-token cache. */
const mint = (key: typeof genuine, kid: string) =>
  new SignJWT({ exp: Math.floor(Date.now() / 1000) + 3600, jti: randomUUID() }).setProtectedHeader({ alg: 'RS256', kid }).sign(key.privateKey);
const advance = (ms: number) => vi.setSystemTime(Date.now() + ms);

/** A shield that fetched the set once (a genuine token verified), then `after` ms later finds the endpoint down. */
async function outage(options: Partial<TokenOptions>, after: number): Promise<Shield> {
  const shield = createShield({ token: { jwksUrl: jwks.url, ...options } });
  expect((await shield.check(request(await mint(genuine, 'a')))).allowed).toBe(true);
  advance(after);
  jwks.failing = true;
  return shield;
}

describe('a failed JWKS fetch starts a cooldown of its own', () => {
  it('20 requests naming random kids against a failing endpoint make at most one fetch (defaults)', async () => {
    const shield = await outage({}, 31_000); // past jose's 30 s cooldown, well within the 10 min max age
    const before = jwks.fetches;
    for (let i = 0; i < 20; i++) {
      const d = await shield.check(request(await mint(attacker, `random-${i}`)));
      expect(d.code).toBe('token_invalid');
    }
    expect(jwks.fetches - before).toBe(1);
  });

  it('after the cooldown a fetch is attempted again, and a set fetched then is used (a rotation lands)', async () => {
    const shield = await outage({ jwksCooldownMs: 5_000 }, 6_000);
    const before = jwks.fetches;
    await shield.check(request(await mint(attacker, 'x')));
    advance(4_000);
    await shield.check(request(await mint(attacker, 'y')));
    expect(jwks.fetches - before).toBe(1);
    advance(1_001);
    jwks.failing = false;
    jwks.keys = [{ ...(await exportJWK(rotated.publicKey)), kid: 'b', alg: 'RS256' }];
    expect((await shield.check(request(await mint(rotated, 'b')))).allowed).toBe(true);
    expect(jwks.fetches - before).toBe(2);
  });

  it('past the max age every request would fetch: one fetch per cooldown, a known kid is 503, an unknown one 401', async () => {
    const shield = await outage({ jwksCacheMaxAgeMs: 60_000 }, 61_000);
    const before = jwks.fetches;
    for (let i = 0; i < 10; i++) {
      // The matching key is in a set past its max age: cannot decide (fail closed), never verified with it.
      expect(await shield.check(request(await mint(genuine, 'a')))).toMatchObject({ allowed: false, status: 503, code: 'shield_unavailable' });
      expect((await shield.check(request(await mint(attacker, `random-${i}`)))).code).toBe('token_invalid');
    }
    expect(jwks.fetches - before).toBe(1);
  });

  it('past the max age, with failOpen, a forged token naming the known kid is refused; a genuine one is "cannot decide"', async () => {
    const shield = await outage({ jwksCacheMaxAgeMs: 60_000, failOpen: true }, 61_000);
    for (let i = 0; i < 3; i++) {
      // The stale key does not verify the forgery's signature: a forgery whatever the current set holds.
      expect((await shield.check(request(await mint(attacker, 'a')))).code).toBe('token_invalid');
      // It verifies the genuine one, but may have been withdrawn since: cannot decide, which failOpen passes.
      expect((await shield.check(request(await mint(genuine, 'a')))).allowed).toBe(true);
    }
  });

  it('with no set ever fetched, every request is "cannot decide" and jwks.fetches stay one per cooldown', async () => {
    jwks.failing = true;
    const shield = createShield({ token: { jwksUrl: jwks.url } });
    const before = jwks.fetches;
    for (let i = 0; i < 10; i++) {
      expect((await shield.check(request(await mint(genuine, 'a')))).code).toBe('shield_unavailable');
    }
    expect(jwks.fetches - before).toBe(1);
  });
});

describe('failOpen during a JWKS outage', () => {
  it('a forged token naming a random kid is refused, including on the request whose refetch failed', async () => {
    const shield = await outage({ failOpen: true }, 31_000);
    const before = jwks.fetches;
    const first = await shield.check(request(await mint(attacker, 'zzz')));
    expect(jwks.fetches - before).toBe(1); // this request's refetch failed...
    expect(first).toMatchObject({ allowed: false, status: 401, code: 'token_invalid' }); // ...and the last set refused it
    expect(first.results[0]).toMatchObject({ verifier: 'token', outcome: 'deny' });
    for (const kid of ['zzz', 'other', 'a-']) {
      expect((await shield.check(request(await mint(attacker, kid)))).code).toBe('token_invalid');
    }
    expect((await shield.check(request(await mint(attacker, 'a')))).code).toBe('token_invalid'); // a known kid: bad signature
    expect(jwks.fetches - before).toBe(1);
  });

  it('a genuine token with a known kid still verifies while the last set is fresh, without a fetch', async () => {
    const shield = await outage({ failOpen: true }, 31_000);
    await shield.check(request(await mint(attacker, 'zzz'))); // the failed refetch
    const before = jwks.fetches;
    const d = await shield.check(request(await mint(genuine, 'a')));
    expect(d.allowed).toBe(true);
    expect(d.results[0]).toMatchObject({ verifier: 'token', outcome: 'pass' });
    expect(jwks.fetches).toBe(before);
  });
});
