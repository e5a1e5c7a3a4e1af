import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { firebaseAppCheck } from '../../src/attestation/firebase-app-check.js';
import { createShield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';

// Issue 17 item 8 (Firebase App Check as strict as firebase-admin, limited-use tokens) and item 9 (Approov
// asymmetric key sets). Keys are served by a local JWKS endpoint; nothing reaches the network.
const PROJECT = '123456789012';
const APP = '1:123456789012:android:abc';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
let server: http.Server;
let base: string;

beforeAll(async () => {
  const firebaseKeys = { keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'fb', alg: 'RS256', use: 'sig' }] };
  const approovKeys = { keys: [{ ...(await exportJWK(ec.publicKey)), kid: 'ap', alg: 'ES256', use: 'sig' }] };
  server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.url === '/approov/jwks' ? approovKeys : firebaseKeys));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const checkWith = (header: string, token: string) => ({ method: 'GET', path: '/', ip: '127.0.0.1', headers: { [header]: token } });

/** An App Check token exactly as Firebase shapes it, with parts overridable. */
async function appCheckToken(over: { typ?: string | null; aud?: unknown; sub?: unknown } = {}): Promise<string> {
  const claims: Record<string, unknown> = { aud: over.aud === undefined ? [`projects/${PROJECT}`] : over.aud };
  if (over.sub !== null) claims.sub = over.sub === undefined ? APP : over.sub;
  const header: { alg: string; kid: string; typ?: string } = { alg: 'RS256', kid: 'fb' };
  if (over.typ !== null) header.typ = over.typ ?? 'JWT';
  return new SignJWT(claims as never)
    .setProtectedHeader(header)
    .setIssuer(`https://firebaseappcheck.googleapis.com/${PROJECT}`)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(rsa.privateKey);
}

describe('item 8: Firebase App Check checks what firebase-admin checks', () => {
  const shield = () => createShield({ token: firebaseAppCheck({ projectNumber: PROJECT, jwksUrl: `${base}/firebase/jwks` }) });

  it('a genuine token passes', async () => {
    expect(await shield().check(checkWith('x-firebase-appcheck', await appCheckToken()))).toMatchObject({ allowed: true });
  });

  it.each([
    ['typ other than JWT', { typ: 'at+jwt' }],
    ['no typ', { typ: null }],
    ['aud a string, not an array', { aud: `projects/${PROJECT}` }],
    ['sub empty', { sub: '' }],
    ['sub not a string', { sub: 42 }],
  ] as const)('refuses %s', async (_name, over) => {
    const decision = await shield().check(checkWith('x-firebase-appcheck', await appCheckToken(over)));
    expect(decision).toMatchObject({ allowed: false, code: 'token_invalid' });
  });

  it('limited-use tokens: consumed once through the injected consume, replays refused', async () => {
    const consumed = new Set<string>();
    const calls: string[] = [];
    const consume = async (token: string) => {
      calls.push(token);
      const alreadyConsumed = consumed.has(token);
      consumed.add(token);
      return { alreadyConsumed };
    };
    const s = createShield({ token: firebaseAppCheck({ projectNumber: PROJECT, jwksUrl: `${base}/firebase/jwks`, consume }) });
    const token = await appCheckToken();
    expect(await s.check(checkWith('x-firebase-appcheck', token))).toMatchObject({ allowed: true });
    expect(await s.check(checkWith('x-firebase-appcheck', token))).toMatchObject({ allowed: false, code: 'token_replayed' });
    expect(calls).toEqual([token, token]);
  });

  it('a consume that cannot answer fails closed', async () => {
    const consume = async () => {
      throw new Error('App Check API unreachable');
    };
    const s = createShield({ token: firebaseAppCheck({ projectNumber: PROJECT, jwksUrl: `${base}/firebase/jwks`, consume }) });
    const decision = await s.check(checkWith('x-firebase-appcheck', await appCheckToken()));
    expect(decision).toMatchObject({ allowed: false, status: 503 });
  });
});

describe('item 9: approov() with an asymmetric key set', () => {
  const attester = createTestAttester({ privateKey: ec.privateKey, kid: 'ap', header: 'approov-token' });

  it.each([
    ['publicKey', () => approov({ publicKey: ec.publicKey.export({ type: 'spki', format: 'pem' }).toString(), binding: false })],
    ['jwks', async () => approov({ jwks: { keys: [{ ...(await exportJWK(ec.publicKey)), kty: 'EC', kid: 'ap', alg: 'ES256' }] }, binding: false })],
    ['jwksUrl', () => approov({ jwksUrl: `${base}/approov/jwks`, binding: false })],
  ] as const)('verifies ES256 tokens with %s and refuses forgeries', async (_name, options) => {
    const shield = createShield({ token: await options() });
    expect(await shield.check(checkWith('approov-token', await attester.mint()))).toMatchObject({ allowed: true });
    expect(await shield.check(checkWith('approov-token', await attester.forge()))).toMatchObject({ allowed: false, code: 'token_invalid' });
  });

  it('an asymmetric key set never accepts HS256 (no key confusion); the secret form stays HS256', () => {
    expect(approov({ jwksUrl: `${base}/approov/jwks` }).algorithms).not.toContain('HS256');
    expect(approov({ secret: 'c2VjcmV0' }).algorithms).toEqual(['HS256']);
    expect(approov({ jwksUrl: `${base}/approov/jwks` }).binding).toEqual({ claim: 'pay', headers: ['authorization'] });
  });

  it('an option given as undefined keeps the preset value: binding stays on (a conditional config turned it off)', async () => {
    const failover = false as boolean;
    const options = approov({ publicKey: ec.publicKey.export({ type: 'spki', format: 'pem' }).toString(), binding: failover ? { allowMissingClaim: true } : undefined });
    expect(options.binding).toEqual({ claim: 'pay', headers: ['authorization'] });
    const shield = createShield({ token: options });
    const token = await attester.mint({ bindTo: 'Bearer alice' });
    const withAuthorization = (authorization?: string) => ({ ...checkWith('approov-token', token), headers: { 'approov-token': token, ...(authorization ? { authorization } : {}) } });
    expect(await shield.check(withAuthorization('Bearer alice'))).toMatchObject({ allowed: true });
    expect(await shield.check(withAuthorization('Bearer mallory'))).toMatchObject({ allowed: false, code: 'token_binding_mismatch' });
    expect(await shield.check(withAuthorization())).toMatchObject({ allowed: false, code: 'token_binding_mismatch' });
  });
});
