/**
 * Bounds the token verifier keeps where jose is looser or a moment of change would otherwise be remembered: a
 * single-use token's last second (jose compares whole seconds), a key set that rotates while a verification runs,
 * and a claims check that answers anything but `true` or nothing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { approov } from '../../../src/attestation/approov.js';
import { createShield } from '../../../src/shield.js';
import type { ShieldRequest } from '../../../src/core/request.js';

const secret = randomBytes(32);
const requestWith = (header: string, token: string): ShieldRequest => ({ method: 'GET', path: '/pay', ip: '203.0.113.5', headers: { [header]: token } });

describe('a single-use token is refused once the shield\'s exact bound has passed, though jose still accepts it', () => {
  afterEach(() => vi.useRealTimers());
  const T = 1_800_000_000_000; // a whole second

  it('maxTokenAge: in the second after iat + maxTokenAge', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T + 20);
    const shield = createShield({ token: { secret: secret.toString('base64'), replay: true, maxTokenAge: 2 } });
    const iat = T / 1000;
    const token = await new SignJWT({ iat, exp: iat + 60, jti: randomUUID() }).setProtectedHeader({ alg: 'HS256' }).sign(secret);
    const check = async () => (await shield.check(requestWith('x-attestation-token', token))).code;
    expect(await check()).toBeUndefined();
    expect(await check()).toBe('token_replayed');
    vi.setSystemTime(T + 2_100); // past iat + 2 s; jose's whole-second clock still reads iat + 2
    expect(await check()).toBe('token_expired');
  });

  it('a fractional exp (Approov tokens carry them): in the part of a second after exp', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T + 20);
    const shield = createShield({ token: approov({ secret: secret.toString('base64'), binding: false, replay: true }) });
    const exp = T / 1000 + 2.1;
    const token = await new SignJWT({ exp, jti: randomUUID() }).setProtectedHeader({ alg: 'HS256' }).sign(secret);
    const check = async () => (await shield.check(requestWith('approov-token', token))).code;
    expect(await check()).toBeUndefined();
    expect(await check()).toBe('token_replayed');
    vi.setSystemTime(exp * 1000 + 150); // past exp; floor(now) is still below exp
    expect(await check()).toBe('token_expired');
  });
});

describe('a key set that rotates while verifications run', () => {
  let keys: object[] = [];
  let hold: (() => void) | undefined;
  let holdNext = false;
  let server: http.Server;
  let url = '';
  const withdrawn = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kept = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      const answer = () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys }));
      };
      if (holdNext) {
        holdNext = false;
        hold = answer;
      } else answer();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
    keys = [
      { ...(await exportJWK(withdrawn.publicKey)), kid: 'old', alg: 'ES256', use: 'sig' },
      { ...(await exportJWK(kept.publicKey)), kid: 'new', alg: 'ES256', use: 'sig' },
    ];
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const mint = (key: typeof kept, kid: string) =>
    new SignJWT({ exp: Math.floor(Date.now() / 1000) + 600, n: randomUUID() }).setProtectedHeader({ alg: 'ES256', kid }).sign(key.privateKey);

  it('tokens of the withdrawn key verified while the new set arrived are not remembered as verified against it', async () => {
    const shield = createShield({ token: { jwksUrl: url, jwksCooldownMs: 0 } });
    const check = (token: string) => shield.check(requestWith('x-attestation-token', token));
    expect((await check(await mint(kept, 'new'))).allowed).toBe(true); // the first fetch: both keys
    const oldTokens = await Promise.all(Array.from({ length: 200 }, () => mint(withdrawn, 'old')));
    keys = keys.slice(1); // the issuer withdraws "old"
    holdNext = true;
    const refetch = check(await mint(kept, 'unknown-kid')); // an unknown kid makes the verifier fetch again
    while (!hold) await new Promise((r) => setTimeout(r, 5));
    const inFlight = oldTokens.map((t) => check(t));
    hold();
    await Promise.all(inFlight); // verified against the set in force when they started: either answer is fair
    await refetch;
    const after = await Promise.all(oldTokens.map((t) => check(t)));
    expect(after.filter((d) => d.allowed)).toHaveLength(0);
    expect(new Set(after.map((d) => d.code))).toEqual(new Set(['token_invalid']));
  });
});

describe('claimsCheck', () => {
  const token = () => new SignJWT({ exp: Math.floor(Date.now() / 1000) + 60, app: 'tampered' }).setProtectedHeader({ alg: 'HS256' }).sign(secret);
  const shieldWith = (claimsCheck: (claims: Readonly<Record<string, unknown>>) => unknown) =>
    createShield({ token: { secret: secret.toString('base64'), claimsCheck: claimsCheck as () => boolean } });

  it('an async check (a Promise) refuses instead of passing unchecked; so do null and numbers', async () => {
    for (const check of [async (c: Readonly<Record<string, unknown>>) => c.app === 'genuine', () => null, () => 0, () => 1]) {
      const decision = await shieldWith(check).check(requestWith('x-attestation-token', await token()));
      expect(decision.code).toBe('token_invalid');
    }
  });

  it('true or nothing accepts; false or a reason refuses', async () => {
    expect((await shieldWith(() => true).check(requestWith('x-attestation-token', await token()))).allowed).toBe(true);
    expect((await shieldWith(() => undefined).check(requestWith('x-attestation-token', await token()))).allowed).toBe(true);
    expect((await shieldWith(() => false).check(requestWith('x-attestation-token', await token()))).code).toBe('token_invalid');
    expect((await shieldWith(() => 'wrong app').check(requestWith('x-attestation-token', await token()))).code).toBe('token_invalid');
  });
});
