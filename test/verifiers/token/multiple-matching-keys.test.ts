/**
 * A JWK set in which several keys match a token (no `kid`, or a shared one): jose's sets do not choose among them
 * (JWKSMultipleMatchingKeys), so the verifier tries each candidate, at most 8, and the first whose signature
 * verifies decides. A token no candidate verifies is `token_invalid`; so is one that more than 8 keys match.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import type { ShieldRequest } from '../../../src/core/request.js';
import { createShield } from '../../../src/shield.js';

const first = generateKeyPairSync('rsa', { modulusLength: 2048 });
const second = generateKeyPairSync('rsa', { modulusLength: 2048 });
const outsider = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ecKeys = Array.from({ length: 9 }, () => generateKeyPairSync('ec', { namedCurve: 'P-256' }));

type Pair = typeof first;
const request = (token: string): ShieldRequest => ({ method: 'GET', path: '/', ip: '127.0.0.1', headers: { 'x-attestation-token': token } });
const mint = (key: Pair, alg = 'RS256', claims: Record<string, unknown> = {}, kid?: string) =>
  new SignJWT({ exp: Math.floor(Date.now() / 1000) + 60, jti: randomUUID(), ...claims })
    .setProtectedHeader(kid === undefined ? { alg } : { alg, kid })
    .sign(key.privateKey);
const jwks = async (pairs: readonly Pair[], extra: object = {}) => ({
  keys: await Promise.all(pairs.map(async (p) => ({ ...(await exportJWK(p.publicKey)), ...extra }) as { kty: string })),
});

describe('a local JWK set with several keys matching a token without kid', () => {
  it('verifies a token signed by the second key', async () => {
    const shield = createShield({ token: { jwks: await jwks([first, second]) } });
    expect((await shield.check(request(await mint(second)))).allowed).toBe(true);
    expect((await shield.check(request(await mint(first)))).allowed).toBe(true);
  });

  it('refuses a token signed by neither key as token_invalid', async () => {
    const shield = createShield({ token: { jwks: await jwks([first, second]) } });
    const d = await shield.check(request(await mint(outsider)));
    expect(d).toMatchObject({ allowed: false, status: 401, code: 'token_invalid' });
    expect(d.results[0]?.detail).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('a claim failure after a good signature is the token\'s own answer (expired), not "try the next key"', async () => {
    const shield = createShield({ token: { jwks: await jwks([first, second]) } });
    const expired = await mint(second, 'RS256', { exp: Math.floor(Date.now() / 1000) - 60 });
    expect((await shield.check(request(expired))).code).toBe('token_expired');
  });

  it('keys sharing the kid the token names are tried too', async () => {
    const shield = createShield({ token: { jwks: await jwks([first, second], { kid: 'k' }) } });
    expect((await shield.check(request(await mint(second, 'RS256', {}, 'k')))).allowed).toBe(true);
  });

  it('tries at most 8 candidates: a token that 9 keys match is refused, even one signed by one of them', async () => {
    const eight = createShield({ token: { jwks: await jwks(ecKeys.slice(0, 8) as Pair[]) } });
    expect((await eight.check(request(await mint(ecKeys[7] as Pair, 'ES256')))).allowed).toBe(true);
    const nine = createShield({ token: { jwks: await jwks(ecKeys as Pair[]) } });
    const d = await nine.check(request(await mint(ecKeys[0] as Pair, 'ES256')));
    expect(d).toMatchObject({ allowed: false, code: 'token_invalid' });
    expect(d.results[0]?.detail).toBe('ERR_JWKS_MULTIPLE_MATCHING_KEYS');
  });
});

describe('a remote JWK set with several keys matching a token without kid', () => {
  const servers: http.Server[] = [];
  afterAll(() => servers.forEach((s) => (s.closeAllConnections(), s.close())));

  it('verifies a token signed by the second key and refuses one signed by neither', async () => {
    const body = JSON.stringify(await jwks([first, second]));
    const server = http.createServer((_req, res) => res.setHeader('content-type', 'application/json').end(body));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const shield = createShield({ token: { jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks` } });
    expect((await shield.check(request(await mint(second)))).allowed).toBe(true);
    expect((await shield.check(request(await mint(outsider)))).code).toBe('token_invalid');
  });
});
