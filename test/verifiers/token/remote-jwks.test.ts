import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firebaseAppCheck } from '../../../src/attestation/firebase-app-check.js';
import { createShield } from '../../../src/shield.js';
import { createTestAttester } from '../../../src/testing/index.js';

/** A local JWKS endpoint whose keys and behaviour the tests change. */
let keys: object[] = [];
let behaviour: 'ok' | 'hang' | 'error' = 'ok';
let fetches = 0;
let server: http.Server;
let jwksUrl: string;

const PROJECT = '123456789012';
const first = generateKeyPairSync('rsa', { modulusLength: 2048 });
const second = generateKeyPairSync('rsa', { modulusLength: 2048 });

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    fetches++;
    if (behaviour === 'hang') return; // never answers: the fetch must time out
    if (behaviour === 'error') {
      res.statusCode = 500;
      res.end('oops');
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/jwks`;
  keys = [{ ...(await exportJWK(first.publicKey)), kid: 'a', alg: 'RS256', use: 'sig' }];
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const appCheckAttester = (key: typeof first, kid: string, extra: { audience?: string[]; subject?: string } = {}) =>
  createTestAttester({
    privateKey: key.privateKey,
    kid,
    issuer: `https://firebaseappcheck.googleapis.com/${PROJECT}`,
    audience: extra.audience ?? [`projects/${PROJECT}`, 'projects/my-project'],
    subject: extra.subject ?? '1:123456789012:android:abc',
    header: 'x-firebase-appcheck',
  });

const request = (token: string) => ({ method: 'GET', path: '/', ip: '127.0.0.1', headers: { 'x-firebase-appcheck': token } });

describe('firebaseAppCheck preset against a local JWKS endpoint', () => {
  it('verifies a genuine App Check token, checks iss, aud and sub', async () => {
    behaviour = 'ok';
    const shield = createShield({
      token: firebaseAppCheck({ projectNumber: PROJECT, appIds: ['1:123456789012:android:abc'], jwksUrl }),
    });
    const genuine = await shield.check(request(await appCheckAttester(first, 'a').mint()));
    expect(genuine).toMatchObject({ allowed: true, attestation: { provider: 'firebase-app-check' } });
    const otherApp = await shield.check(request(await appCheckAttester(first, 'a', { subject: '1:1:ios:zzz' }).mint()));
    expect(otherApp.code).toBe('token_invalid');
    const otherProject = await shield.check(request(await appCheckAttester(first, 'a', { audience: ['projects/999'] }).mint()));
    expect(otherProject.code).toBe('token_invalid');
  });

  it('caps the JWKS cache at 6 hours', () => {
    const options = firebaseAppCheck({ projectNumber: PROJECT, jwksCacheMaxAgeMs: 48 * 3_600_000 });
    expect(options.jwksCacheMaxAgeMs).toBe(6 * 3_600_000);
    expect(options.issuer).toBe(`https://firebaseappcheck.googleapis.com/${PROJECT}`);
    expect(() => firebaseAppCheck({ projectNumber: 'my-project' })).toThrow(/numeric/);
  });

  it('picks up a rotated key (unknown kid triggers a refetch) and drops a withdrawn one', async () => {
    behaviour = 'ok';
    const shield = createShield({ token: { ...firebaseAppCheck({ projectNumber: PROJECT, jwksUrl }), jwksCooldownMs: 0 } });
    const oldToken = await appCheckAttester(first, 'a').mint();
    expect((await shield.check(request(oldToken))).allowed).toBe(true);
    keys = [{ ...(await exportJWK(second.publicKey)), kid: 'b', alg: 'RS256' }];
    const newToken = await appCheckAttester(second, 'b').mint();
    expect((await shield.check(request(newToken))).allowed).toBe(true);
    // Key "a" is gone from the refreshed set: its token, verified and cached before, is no longer accepted.
    expect((await shield.check(request(oldToken))).code).toBe('token_invalid');
  });

  it('reuses a verification while the fetched key set is fresh, and verifies again once it is due for a fetch', async () => {
    behaviour = 'ok';
    keys = [{ ...(await exportJWK(first.publicKey)), kid: 'a', alg: 'RS256', use: 'sig' }];
    const shield = createShield({ token: { ...firebaseAppCheck({ projectNumber: PROJECT, jwksUrl }), jwksCacheMaxAgeMs: 1_500 } });
    const token = await appCheckAttester(first, 'a').mint();
    const cacheOf = async () => (await shield.check(request(token))).results.find((r) => r.verifier === 'token')?.cache;
    const before = fetches;
    // The first verification fetched the set while it ran (its key identity changed meanwhile): verified, not cached.
    expect([await cacheOf(), await cacheOf(), await cacheOf(), await cacheOf()]).toEqual(['miss', 'miss', 'hit', 'hit']);
    expect(fetches - before).toBe(1);
    // Past jwksCacheMaxAgeMs, with key "a" withdrawn: the cached verification does not count, the new set refuses it.
    keys = [{ ...(await exportJWK(second.publicKey)), kid: 'b', alg: 'RS256' }];
    await new Promise((r) => setTimeout(r, 1_600));
    expect((await shield.check(request(token))).code).toBe('token_invalid');
    expect(fetches - before).toBe(2);
  });

  it('fails closed with shield_unavailable when the JWKS cannot be fetched', async () => {
    behaviour = 'error';
    const shield = createShield({ token: { ...firebaseAppCheck({ projectNumber: PROJECT, jwksUrl }), jwksTimeoutMs: 300 } });
    const d = await shield.check(request(await appCheckAttester(first, 'a').mint()));
    expect(d).toMatchObject({ allowed: false, status: 503, code: 'shield_unavailable' });
    expect(d.results[0]).toMatchObject({ verifier: 'token', outcome: 'error' });
  });

  it('a hanging JWKS endpoint times out instead of hanging the request', async () => {
    behaviour = 'hang';
    const shield = createShield({ token: { ...firebaseAppCheck({ projectNumber: PROJECT, jwksUrl }), jwksTimeoutMs: 200 } });
    const started = Date.now();
    const d = await shield.check(request(await appCheckAttester(first, 'a').mint()));
    expect(d.code).toBe('shield_unavailable');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails open only when configured to', async () => {
    behaviour = 'error';
    const errors: string[] = [];
    const shield = createShield({
      token: { ...firebaseAppCheck({ projectNumber: PROJECT, jwksUrl, failOpen: true }), jwksTimeoutMs: 300 },
      onError: (_e, info) => void errors.push(info.verifier),
    });
    const d = await shield.check(request(await appCheckAttester(first, 'a').mint()));
    expect(d.allowed).toBe(true);
    expect(d.results[0]?.outcome).toBe('error');
    expect(errors).toEqual(['token']);
    behaviour = 'ok';
  });
});
