/**
 * Review (token): a JWKS past jwksCacheMaxAgeMs during an outage. A token whose signature the stale key verifies was
 * "cannot decide" even when its claims (exp, aud, iss) already refuse it whatever the current set holds: failOpen then
 * passed expired and wrong-audience tokens, and without failOpen they read 503 instead of 401 (the client helper only
 * refreshes on 401 token_expired). Now only the key's withdrawal is undecided: the claims, `claimsCheck`, binding and
 * replay still refuse with their usual codes, and a token they all accept is neither cached nor consumed by a 503.
 */
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { exportJWK, SignJWT, type JWTHeaderParameters } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ShieldRequest } from '../../../src/core/request.js';
import { createShield, type Shield } from '../../../src/shield.js';
import type { TokenOptions } from '../../../src/verifiers/token/config.js';
import { OutageJwks } from './outage-jwks.js';

const genuine = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwks = new OutageJwks();
beforeAll(async () => {
  jwks.keys = [{ ...(await exportJWK(genuine.publicKey)), kid: 'a', alg: 'RS256', use: 'sig' }];
  await jwks.start();
});
afterAll(() => jwks.close());
beforeEach(() => {
  jwks.failing = false;
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => vi.useRealTimers());

const request = (token: string, headers: Record<string, string> = {}): ShieldRequest => ({
  method: 'GET',
  path: '/',
  ip: '127.0.0.1',
  headers: { 'x-attestation-token': token, ...headers },
});
const nowSec = () => Math.floor(Date.now() / 1000);
const mint = (claims: Record<string, unknown>, header: Partial<JWTHeaderParameters> = {}) =>
  new SignJWT({ exp: nowSec() + 3600, jti: randomUUID(), iss: 'https://issuer.test', aud: 'my-api', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'a', ...header })
    .sign(genuine.privateKey);
const payOf = (authorization: string) => createHash('sha256').update(authorization).digest('base64');

type First = { token: string; headers?: Record<string, string> };

/** Shields (one per option set) that verified a genuine token, then find their set past the max age and the endpoint down. */
async function staleOutages(optionSets: Partial<TokenOptions>[], first?: First): Promise<Shield[]> {
  const shields = [];
  for (const options of optionSets) {
    const shield = createShield({ token: { jwksUrl: jwks.url, issuer: 'https://issuer.test', audience: 'my-api', jwksCacheMaxAgeMs: 60_000, ...options } });
    expect((await shield.check(request(first?.token ?? (await mint({})), first?.headers))).allowed).toBe(true);
    shields.push(shield);
  }
  vi.setSystemTime(Date.now() + 61_000);
  jwks.failing = true;
  return shields;
}
const staleOutage = async (options: Partial<TokenOptions>, first?: First): Promise<Shield> => (await staleOutages([options], first))[0] as Shield;

describe('stale JWKS during an outage: claims that refuse the token are still decided', () => {
  it('failOpen does not pass a token for another audience, another issuer, or an expired one', async () => {
    const shield = await staleOutage({ failOpen: true });
    const otherAudience = await shield.check(request(await mint({ aud: 'someone-elses-api' })));
    const otherIssuer = await shield.check(request(await mint({ iss: 'https://other.test' })));
    const expired = await shield.check(request(await mint({ exp: nowSec() - 86_400 })));
    expect(otherAudience.allowed).toBe(false);
    expect(otherIssuer.allowed).toBe(false);
    expect(expired.allowed).toBe(false);
  });

  it('without failOpen an expired token is 401 token_expired (the client refreshes), not 503', async () => {
    const shield = await staleOutage({});
    const expired = await shield.check(request(await mint({ exp: nowSec() - 86_400 })));
    expect(expired.code).toBe('token_expired');
  });

  it('every claim check refuses with its usual code, failOpen or not; only a token passing all is undecided', async () => {
    const options: Partial<TokenOptions> = {
      typ: 'JWT',
      requiredClaims: ['exp', 'sub'],
      maxTokenAge: '5m',
      claimsCheck: (claims) => claims.sub !== 'banned' || 'sub is banned',
    };
    const good = { sub: 'app', iat: nowSec() };
    const [open, closed] = (await staleOutages([{ ...options, failOpen: true }, options], { token: await mint(good, { typ: 'JWT' }) })) as [Shield, Shield];
    const cases: [string, Record<string, unknown>, Partial<JWTHeaderParameters>, string, string?][] = [
      ['expired', { exp: nowSec() - 60 }, { typ: 'JWT' }, 'token_expired'],
      ['not yet valid', { nbf: nowSec() + 600 }, { typ: 'JWT' }, 'token_invalid', 'claim "nbf" check failed'],
      ['other audience', { aud: 'other-api' }, { typ: 'JWT' }, 'token_invalid', 'claim "aud" check failed'],
      ['wrong typ', {}, { typ: 'at+jwt' }, 'token_invalid', 'claim "typ" check failed'],
      ['no sub', { sub: undefined }, { typ: 'JWT' }, 'token_invalid', 'claim "sub" check failed'],
      ['too old', { iat: nowSec() - 3600 }, { typ: 'JWT' }, 'token_expired'],
      ['claimsCheck refuses', { sub: 'banned' }, { typ: 'JWT' }, 'token_invalid', 'sub is banned'],
    ];
    for (const [name, claims, header, code, detail] of cases) {
      for (const shield of [open, closed]) {
        const d = await shield.check(request(await mint({ ...good, ...claims }, header)));
        expect({ name, allowed: d.allowed, status: d.status, code: d.code }).toEqual({ name, allowed: false, status: 401, code });
        if (detail !== undefined) expect(d.results[0]?.detail).toBe(detail);
      }
    }
    // A token all of them accept: its key may have been withdrawn, which cannot be decided.
    const undecided = await mint(good, { typ: 'JWT' });
    expect(await closed.check(request(undecided))).toMatchObject({ allowed: false, status: 503, code: 'shield_unavailable' });
    const passed = await open.check(request(undecided));
    expect(passed.allowed).toBe(true);
    expect(passed.results[0]).toMatchObject({ verifier: 'token', outcome: 'error' });
    expect(passed.attestation).toBeUndefined(); // its claims never speak for the request
  });

  it('a token the stale key verifies is not cached: each request with it is undecided again', async () => {
    const shield = await staleOutage({});
    const token = await mint({});
    for (let i = 0; i < 3; i++) expect((await shield.check(request(token))).code).toBe('shield_unavailable');
  });
});

describe('stale JWKS during an outage: binding and replay still refuse', () => {
  it('failOpen does not pass a token bound to another Authorization header', async () => {
    const binding = { claim: 'pay', headers: ['authorization'] };
    const bound = { token: await mint({ pay: payOf('Bearer alice') }), headers: { authorization: 'Bearer alice' } };
    const shield = await staleOutage({ failOpen: true, binding }, bound);
    const stolen = await mint({ pay: payOf('Bearer alice') });
    expect((await shield.check(request(stolen, { authorization: 'Bearer mallory' }))).code).toBe('token_binding_mismatch');
    expect((await shield.check(request(stolen, { authorization: 'Bearer alice' }))).allowed).toBe(true); // undecided
  });

  it('failOpen: a jti used before the outage is refused, and one passed during it is consumed (a second use refused)', async () => {
    const used = await mint({});
    const shield = await staleOutage({ failOpen: true, replay: true }, { token: used });
    expect((await shield.check(request(used))).code).toBe('token_replayed');
    const fresh = await mint({});
    expect((await shield.check(request(fresh))).allowed).toBe(true); // undecided, passed: it is used
    expect((await shield.check(request(fresh))).code).toBe('token_replayed');
  });

  it('without failOpen: a used jti is 401 token_replayed; a new one is 503 and not consumed, so its retry passes later', async () => {
    const used = await mint({});
    const shield = await staleOutage({ replay: true }, { token: used });
    expect(await shield.check(request(used))).toMatchObject({ allowed: false, status: 401, code: 'token_replayed' });
    const fresh = await mint({});
    expect((await shield.check(request(fresh))).code).toBe('shield_unavailable');
    expect((await shield.check(request(fresh))).code).toBe('shield_unavailable'); // the retry: still not replayed
    vi.setSystemTime(Date.now() + 31_000); // past the failed fetch's cooldown
    jwks.failing = false;
    expect((await shield.check(request(fresh))).allowed).toBe(true); // the endpoint is back: the key still stands
    expect((await shield.check(request(fresh))).code).toBe('token_replayed');
  });

  it('a consume hook refuses an already consumed token with failOpen, and is not called for a 503 without it', async () => {
    const consumed = new Set<string>();
    const consume = vi.fn(async (token: string) => !consumed.has(token) && consumed.add(token) !== undefined);
    const [open, closed] = (await staleOutages([{ failOpen: true, consume, replay: true }, { consume, replay: true }])) as [Shield, Shield];
    const token = await mint({});
    expect((await open.check(request(token))).allowed).toBe(true); // first use, undecided: passed and consumed
    expect((await open.check(request(token))).code).toBe('token_replayed');
    consume.mockClear();
    expect((await closed.check(request(await mint({})))).code).toBe('shield_unavailable');
    expect(consume).not.toHaveBeenCalled();
  });
});
