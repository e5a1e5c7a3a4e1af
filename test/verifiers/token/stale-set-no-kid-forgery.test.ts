/**
 * Review (token): a JWKS past jwksCacheMaxAgeMs during an outage, with failOpen. A forged token naming a known kid is
 * refused (the stale key does not verify it), and so must be a forged token naming NO kid against a set with several
 * keys of its type: each stale key (at most 8, as on the fresh path) is tried, and only a token one of them verifies
 * is left undecided (the key may have been withdrawn). Before the fix such a forgery was "cannot decide", which
 * failOpen passed: no genuine token or key needed.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ShieldRequest } from '../../../src/core/request.js';
import { createShield } from '../../../src/shield.js';
import { OutageJwks } from './outage-jwks.js';

const k1 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const k2 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ecKeys = Array.from({ length: 9 }, () => generateKeyPairSync('ec', { namedCurve: 'P-256' }));
const jwks = new OutageJwks();
beforeAll(async () => {
  await jwks.start();
});
afterAll(() => jwks.close());
beforeEach(async () => {
  jwks.failing = false;
  // Two signing keys, as Google's App Check JWKS (several RSA keys) or a set mid-rotation publishes.
  jwks.keys = [
    { ...(await exportJWK(k1.publicKey)), kid: 'a', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(k2.publicKey)), kid: 'b', alg: 'RS256', use: 'sig' },
  ];
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => vi.useRealTimers());

type Pair = typeof k1;
const request = (token: string): ShieldRequest => ({ method: 'GET', path: '/', ip: '127.0.0.1', headers: { 'x-attestation-token': token } });
const mint = (key: Pair, kid: string | undefined, alg = 'RS256') =>
  new SignJWT({ exp: Math.floor(Date.now() / 1000) + 3600, jti: randomUUID() })
    .setProtectedHeader(kid === undefined ? { alg } : { alg, kid })
    .sign(key.privateKey);

describe('stale JWKS + failOpen: a forgery without kid', () => {
  it('is refused like a forgery naming a known kid', async () => {
    const shield = createShield({ token: { jwksUrl: jwks.url, jwksCacheMaxAgeMs: 60_000, failOpen: true } });
    expect((await shield.check(request(await mint(k1, 'a')))).allowed).toBe(true); // set fetched
    vi.setSystemTime(Date.now() + 61_000); // past the max age
    jwks.failing = true; // and the endpoint is down

    const namingKnownKid = await shield.check(request(await mint(attacker, 'a')));
    expect(namingKnownKid.code).toBe('token_invalid');

    const withoutKid = await shield.check(request(await mint(attacker, undefined)));
    expect(withoutKid.allowed).toBe(false); // before the fix: allowed (failOpen passed "cannot decide")
    expect(withoutKid.code).toBe('token_invalid');
    expect(withoutKid.results[0]?.detail).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('without failOpen the same forgery is 401 token_invalid, not 503', async () => {
    const shield = createShield({ token: { jwksUrl: jwks.url, jwksCacheMaxAgeMs: 60_000 } });
    expect((await shield.check(request(await mint(k1, 'a')))).allowed).toBe(true);
    vi.setSystemTime(Date.now() + 61_000);
    jwks.failing = true;
    expect((await shield.check(request(await mint(attacker, undefined)))).code).toBe('token_invalid');
  });

  it('a genuine token without kid, signed by the second stale key, is still undecided (503, or a pass with failOpen)', async () => {
    const closed = createShield({ token: { jwksUrl: jwks.url, jwksCacheMaxAgeMs: 60_000 } });
    const open = createShield({ token: { jwksUrl: jwks.url, jwksCacheMaxAgeMs: 60_000, failOpen: true } });
    expect((await closed.check(request(await mint(k1, 'a')))).allowed).toBe(true);
    expect((await open.check(request(await mint(k1, 'a')))).allowed).toBe(true);
    vi.setSystemTime(Date.now() + 61_000);
    jwks.failing = true;
    expect(await closed.check(request(await mint(k2, undefined)))).toMatchObject({ allowed: false, status: 503, code: 'shield_unavailable' });
    const passed = await open.check(request(await mint(k2, undefined)));
    expect(passed.allowed).toBe(true);
    expect(passed.results[0]).toMatchObject({ verifier: 'token', outcome: 'error' }); // undecided, not verified
  });

  it('a token that more than 8 stale keys match is refused, as on the fresh path, even with failOpen', async () => {
    jwks.keys = await Promise.all(ecKeys.map(async (p) => ({ ...(await exportJWK(p.publicKey)), alg: 'ES256' })));
    const shield = createShield({ token: { jwksUrl: jwks.url, jwksCacheMaxAgeMs: 60_000, failOpen: true } });
    // While the set is fresh a kid-less token that 9 keys match is refused without trying them...
    expect((await shield.check(request(await mint(ecKeys[0] as Pair, undefined, 'ES256')))).code).toBe('token_invalid');
    vi.setSystemTime(Date.now() + 61_000);
    jwks.failing = true;
    // ...and past its max age too (before the fix: "cannot decide", which failOpen passed, forged or not).
    const genuine = await shield.check(request(await mint(ecKeys[0] as Pair, undefined, 'ES256')));
    expect(genuine).toMatchObject({ allowed: false, code: 'token_invalid' });
    const forged = await shield.check(request(await mint(generateKeyPairSync('ec', { namedCurve: 'P-256' }), undefined, 'ES256')));
    expect(forged).toMatchObject({ allowed: false, code: 'token_invalid' });
    expect(forged.results[0]?.detail).toBe('ERR_JWKS_MULTIPLE_MATCHING_KEYS');
  });
});
