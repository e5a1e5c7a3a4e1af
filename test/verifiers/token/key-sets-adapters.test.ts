/**
 * JWK sets through every adapter over real HTTP: during a JWKS outage a `failOpen` shield answers a forged token
 * naming a random kid 401 (the last fetched set has no such key), never lets it through; and a local set with
 * several keys matching a token without kid lets a genuine token reach the handler.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShield } from '../../../src/shield.js';
import { ADAPTERS, type RunningApp } from '../../helpers/adapters.js';

const genuine = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
const COOLDOWN_MS = 100;

let failing = false;
let jwksServer: http.Server;
let jwksUrl: string;
beforeAll(async () => {
  const body = JSON.stringify({ keys: [{ ...(await exportJWK(genuine.publicKey)), kid: 'a', alg: 'RS256', use: 'sig' }] });
  jwksServer = http.createServer((_req, res) => {
    if (failing) res.writeHead(500).end('down');
    else res.setHeader('content-type', 'application/json').end(body);
  });
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
});
afterAll(() => {
  jwksServer.closeAllConnections();
  jwksServer.close();
});

const mint = (key: typeof genuine, kid?: string) =>
  new SignJWT({ exp: Math.floor(Date.now() / 1000) + 60, jti: randomUUID() })
    .setProtectedHeader(kid === undefined ? { alg: 'RS256' } : { alg: 'RS256', kid })
    .sign(key.privateKey);

describe.each(ADAPTERS.map((a) => [a.name, a] as const))('%s: JWK sets', (_name, harness) => {
  it('failOpen during a JWKS outage: a forged token naming a random kid is 401, a genuine one still 200', async () => {
    failing = false;
    const shield = createShield({ token: { jwksUrl, failOpen: true, jwksCooldownMs: COOLDOWN_MS } });
    const app: RunningApp = await harness.start(shield, [{ method: 'GET', path: '/profile' }]);
    try {
      const get = async (token: string) => request(app.server).get('/profile').set('x-attestation-token', token);
      expect((await get(await mint(genuine, 'a'))).status).toBe(200);
      await new Promise((r) => setTimeout(r, COOLDOWN_MS + 20)); // past jose's cooldown: an unknown kid refetches
      failing = true;
      for (const kid of ['zzz', 'random-1', 'random-2']) {
        const res = await get(await mint(attacker, kid));
        expect(res.status, kid).toBe(401);
        expect(res.body.code).toBe('token_invalid');
      }
      expect((await get(await mint(genuine, 'a'))).status).toBe(200);
    } finally {
      failing = false;
      await app.close();
    }
  });

  it('a local set with two keys and a token without kid: signed by the second key 200, by neither 401', async () => {
    const keys = await Promise.all([other, genuine].map(async (p) => (await exportJWK(p.publicKey)) as { kty: string }));
    const app = await harness.start(createShield({ token: { jwks: { keys } } }), [{ method: 'GET', path: '/profile' }]);
    try {
      const get = async (token: string) => request(app.server).get('/profile').set('x-attestation-token', token);
      expect((await get(await mint(genuine))).status).toBe(200);
      const forged = await get(await mint(attacker));
      expect(forged.status).toBe(401);
      expect(forged.body.code).toBe('token_invalid');
    } finally {
      await app.close();
    }
  });
});
