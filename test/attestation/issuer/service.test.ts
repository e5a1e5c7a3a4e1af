/**
 * The attestation service over real HTTP (Express 5): rate limits, fail-closed store errors, policy, App Attest
 * registration rules, and the key life cycle (rotation) as a shield sees it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import express from 'express';
import { SignJWT } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressEndpoints, expressShield } from '../../../src/adapters/express.js';
import { createAttestationService, type AttestationPolicy, type AttestationServiceEvent } from '../../../src/attestation/issuer/index.js';
import { createShield } from '../../../src/shield.js';
import { ShieldConfigError } from '../../../src/core/errors.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import type { Store } from '../../../src/stores/store.js';
import type { Endpoints } from '../../../src/core/endpoints.js';
import type { Shield } from '../../../src/shield.js';
import { androidTokenBody, apple, AUDIENCE, ISSUER, KEY_A, signingKey, testService } from './fixtures.js';

const servers: http.Server[] = [];
async function serve(endpoints: Endpoints, shield?: Shield): Promise<string> {
  const app = express();
  app.use(expressEndpoints(endpoints) as unknown as express.RequestHandler);
  if (shield) {
    app.use(expressShield(shield) as unknown as express.RequestHandler);
    app.get('/api/me', (req, res) => void res.json({ sub: req.shield?.attestation?.claims.sub }));
  }
  const server = http.createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function androidToken(url: string, extra: Record<string, unknown> = {}): Promise<request.Response> {
  const { body } = await request(url).post('/attest/challenge').send({}).expect(200);
  return request(url).post('/attest/android').send(await androidTokenBody({ challenge: body.challenge, ...extra }));
}

/** The SHA-256 of a text, as an app hashes a challenge or its client data for App Attest. */
const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

const kidOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid;

describe('configuration', () => {
  it('refuses invalid options with every problem named', () => {
    expect(() => testService(new MemoryStore(), { signingKeys: [], tokenTtl: 0 })).toThrow(ShieldConfigError);
    expect(() => testService(new MemoryStore(), { signingKeys: [{ kid: 'rsa', privateKey: 'not a key' }] })).toThrow(/signingKeys/);
    expect(() => createAttestationService({ signingKeys: [{ kid: 'a', privateKey: KEY_A }], issuer: ISSUER, audience: AUDIENCE, store: new MemoryStore() })).toThrow(
      /android, ios or both/,
    );
    expect(() =>
      testService(new MemoryStore(), { signingKeys: [{ kid: 'a', privateKey: KEY_A }, { kid: 'a', privateKey: signingKey() }] }),
    ).toThrow(/duplicate kid/);
  });
});

describe('abuse of the service', () => {
  it('rate-limits per IP on every route, with Retry-After', async () => {
    const url = await serve(testService(new MemoryStore(), { rateLimits: { ip: { limit: 3, windowMs: 60_000 } } }));
    for (let i = 0; i < 3; i++) await request(url).post('/attest/challenge').send({}).expect(200);
    const limited = await request(url).post('/attest/challenge').send({});
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('attestation_rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Counted per route: the JWKS has its own budget, and it too runs out.
    for (let i = 0; i < 3; i++) await request(url).get('/.well-known/jwks.json').expect(200);
    expect((await request(url).get('/.well-known/jwks.json')).status).toBe(429);
  });

  it('rate-limits per device independently of the IP', async () => {
    const url = await serve(testService(new MemoryStore(), { rateLimits: { device: { limit: 2, windowMs: 60_000 } } }));
    const hint = { installationId: 'install-rate-1' };
    await request(url).post('/attest/challenge').send(hint).expect(200);
    await request(url).post('/attest/challenge').send(hint).expect(200);
    expect((await request(url).post('/attest/challenge').send(hint)).status).toBe(429);
    await request(url).post('/attest/challenge').send({ installationId: 'install-rate-2' }).expect(200);
    // An App Attest key id counts as one device however it is spelled (base64 or base64url, padded or not).
    const keyId = Buffer.alloc(32, 0xfb);
    await request(url).post('/attest/challenge').send({ keyId: keyId.toString('base64') }).expect(200);
    await request(url).post('/attest/challenge').send({ keyId: keyId.toString('base64url') }).expect(200);
    expect((await request(url).post('/attest/challenge').send({ keyId: keyId.toString('base64').replace(/=+$/, '') })).status).toBe(429);
  });

  it('an IP key over its budget writes no device counter: a new device hint per request adds no key', async () => {
    const store = new MemoryStore();
    const service = testService(store, { rateLimits: { ip: { limit: 5, windowMs: 60_000 } } });
    const challenge = (i: number) =>
      service.handle({ method: 'POST', path: '/attest/challenge', query: new URLSearchParams(), headers: {}, ip: '203.0.113.9', body: { installationId: `inst-${String(i).padStart(8, '0')}` } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await challenge(i)).status);
    const keysAtLimit = store.size;
    for (let i = 5; i < 200; i++) statuses.push((await challenge(i)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(195);
    expect(store.size).toBe(keysAtLimit);
  });

  describe('a device named by a request counts per IP key until its evidence proves it', () => {
    // Behind a trusted loopback proxy, X-Forwarded-For sets each request's client IP.
    const options = { clientIp: { trustProxy: 1 }, rateLimits: { device: { limit: 3, windowMs: 60_000 } } } as const;
    async function register(url: string, device: ReturnType<typeof apple.device>, from: string): Promise<void> {
      const { body } = await request(url).post('/attest/challenge').set('x-forwarded-for', from).send({}).expect(200);
      const attestation = await device.attestKey(sha256(body.challenge));
      await request(url).post('/attest/ios/register').set('x-forwarded-for', from).send({ keyId: device.keyId, attestation, challenge: body.challenge }).expect(201);
    }
    async function token(url: string, device: ReturnType<typeof apple.device>, from: string): Promise<request.Response> {
      const { body } = await request(url).post('/attest/challenge').set('x-forwarded-for', from).send({}).expect(200);
      const clientData = JSON.stringify({ challenge: body.challenge });
      const assertion = await device.generateAssertion(sha256(clientData));
      return request(url).post('/attest/ios/token').set('x-forwarded-for', from).send({ keyId: device.keyId, assertion, clientData });
    }

    it('requests naming a device from other IP keys do not use up its budget', async () => {
      const url = await serve(testService(new MemoryStore(), options));
      const victim = apple.device();
      await register(url, victim, '198.51.100.1');
      // Junk token requests naming the victim's key id, one from each of ten IP keys: refused, and counted there.
      const junk = { keyId: victim.keyId, assertion: 'AAAA', clientData: JSON.stringify({ challenge: 'A'.repeat(43) }) };
      for (let i = 1; i <= 10; i++) {
        expect((await request(url).post('/attest/ios/token').set('x-forwarded-for', `203.0.113.${i}`).send(junk)).status).not.toBe(429);
      }
      for (let i = 1; i <= 10; i++) await request(url).post('/attest/challenge').set('x-forwarded-for', `203.0.113.${i}`).send({ keyId: victim.keyId });
      expect((await token(url, victim, '198.51.100.1')).status).toBe(200);
      // From one IP key, the hint alone is limited: the fourth junk request there is over the device's budget.
      for (let i = 0; i < 2; i++) await request(url).post('/attest/ios/token').set('x-forwarded-for', '192.0.2.9').send(junk);
      expect((await request(url).post('/attest/ios/token').set('x-forwarded-for', '192.0.2.9').send(junk)).status).not.toBe(429);
      expect((await request(url).post('/attest/ios/token').set('x-forwarded-for', '192.0.2.9').send(junk)).status).toBe(429);
    });

    it('a device its key proved is limited on every IP key together', async () => {
      const url = await serve(testService(new MemoryStore(), options));
      const device = apple.device();
      await register(url, device, '198.51.100.1');
      for (let i = 1; i <= 3; i++) expect((await token(url, device, `198.51.100.${10 + i}`)).status).toBe(200);
      const over = await token(url, device, '198.51.100.20');
      expect([over.status, over.body.code]).toEqual([429, 'attestation_rate_limited']);
      // Another device, on the same IP keys, has its own budget.
      const other = apple.device();
      await register(url, other, '198.51.100.1');
      expect((await token(url, other, '198.51.100.20')).status).toBe(200);
    });
  });

  it('counts concurrent requests atomically: exactly the limit gets through', async () => {
    const url = await serve(testService(new MemoryStore(), { rateLimits: { ip: { limit: 5, windowMs: 60_000 } } }));
    const statuses = await Promise.all(Array.from({ length: 12 }, () => request(url).post('/attest/challenge').send({}).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
  });

  it('fails closed with 503 when the store cannot answer', async () => {
    const broken = new MemoryStore();
    const fail = () => Promise.reject(new Error('store down'));
    Object.assign(broken, { increment: fail, setIfAbsent: fail, get: fail });
    const url = await serve(testService(broken));
    const res = await request(url).post('/attest/challenge').send({});
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('shield_unavailable');
  });

  it('refuses bodies over the size limit before buffering them', async () => {
    const url = await serve(testService(new MemoryStore(), { maxBodyBytes: 2048 }));
    const res = await request(url).post('/attest/android').send({ integrityToken: 'x'.repeat(4000), clientData: '{}' });
    expect(res.status).toBe(413);
  });
});

describe('policy and registration', () => {
  it('lets the policy refuse a verdict, and reports why without evidence', async () => {
    const events: AttestationServiceEvent[] = [];
    const url = await serve(
      testService(new MemoryStore(), {
        policy: (verdict) => (verdict.device.levels.includes('MEETS_STRONG_INTEGRITY') ? true : 'strong integrity required'),
        onEvent: (e) => void events.push(e),
      }),
    );
    const res = await androidToken(url);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('device_untrusted');
    expect(events.at(-1)).toMatchObject({ outcome: 'refused', reason: 'strong integrity required', platform: 'android' });
    expect(JSON.stringify(events)).not.toMatch(/eyJ/);
  });

  it('approves on true or nothing, refuses on any other value a JavaScript policy returns', async () => {
    const answers: unknown[] = [true, undefined, false, null, 0, 1, 'no', {}];
    const statuses: number[] = [];
    for (const answer of answers) {
      const policy = (() => answer) as unknown as AttestationPolicy;
      const url = await serve(testService(new MemoryStore(), { policy }));
      statuses.push((await androidToken(url)).status);
    }
    expect(statuses).toEqual([200, 200, 403, 403, 403, 403, 403, 403]);
  });

  it('registers an App Attest key once, and refuses tokens for keys it never registered', async () => {
    const url = await serve(testService(new MemoryStore()));
    const phone = apple.device();
    const register = async () => {
      const { body } = await request(url).post('/attest/challenge').send({}).expect(200);
      return request(url)
        .post('/attest/ios/register')
        .send({ keyId: phone.keyId, attestation: await phone.attestKey(sha256(body.challenge)), challenge: body.challenge });
    };
    expect((await register()).status).toBe(201);
    const twice = await register();
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('attestation_key_exists');

    const stranger = apple.device();
    const { body } = await request(url).post('/attest/challenge').send({}).expect(200);
    const clientData = JSON.stringify({ challenge: body.challenge });
    const res = await request(url)
      .post('/attest/ios/token')
      .send({ keyId: stranger.keyId, assertion: await stranger.generateAssertion(sha256(clientData)), clientData });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('attestation_key_unknown');
  });

  it('refuses an attestation from a CA it does not trust', async () => {
    const url = await serve(testService(new MemoryStore()));
    const { createAppAttestSimulator } = await import('../../../src/testing/index.js');
    const rogue = createAppAttestSimulator({ teamId: 'ABCDE12345', bundleId: 'com.example.bank' }).device();
    const { body } = await request(url).post('/attest/challenge').send({}).expect(200);
    const res = await request(url)
      .post('/attest/ios/register')
      .send({ keyId: rogue.keyId, attestation: await rogue.attestKey(sha256(body.challenge)), challenge: body.challenge });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('attestation_invalid');
  });
});

describe('key rotation', () => {
  it('publishes the next key before it signs, switches at activeFrom, keeps the old one until its tokens expired', async () => {
    const keyB = signingKey();
    const switchAt = Date.now() + 1_500;
    const service = testService(new MemoryStore(), {
      tokenTtl: 60,
      clockSkew: 5,
      signingKeys: [
        { kid: 'key-a', privateKey: KEY_A },
        { kid: 'key-b', privateKey: keyB, activeFrom: switchAt },
      ],
    });
    const url = await serve(service);
    // Before the switch: both published, A signs.
    expect(service.jwks().keys.map((k) => k.kid)).toEqual(['key-a', 'key-b']);
    const old = await androidToken(url);
    expect(kidOf(old.body.token)).toBe('key-a');

    const shield = createShield({ token: { jwksUrl: `${url}/.well-known/jwks.json`, issuer: ISSUER, audience: AUDIENCE } });
    const api = await serve(testService(new MemoryStore()), shield);
    await request(api).get('/api/me').set('x-attestation-token', old.body.token).expect(200);

    await new Promise((r) => setTimeout(r, switchAt - Date.now() + 50));
    const fresh = await androidToken(url);
    expect(kidOf(fresh.body.token)).toBe('key-b');
    await request(api).get('/api/me').set('x-attestation-token', fresh.body.token).expect(200);
    // The old key's tokens keep working until they expire.
    await request(api).get('/api/me').set('x-attestation-token', old.body.token).expect(200);

    // A retired key stays published exactly until every token it signed has expired (ttl + skew after it stopped).
    expect(service.jwks(switchAt + 60_000 + 5_000 - 1).keys.map((k) => k.kid)).toEqual(['key-a', 'key-b']);
    expect(service.jwks(switchAt + 60_000 + 5_000).keys.map((k) => k.kid)).toEqual(['key-b']);
  });

  it('refuses a token signed by a key that was never published, even with a published kid', async () => {
    const service = testService(new MemoryStore());
    const shield = createShield({ token: { jwks: service.jwks(), issuer: ISSUER, audience: AUDIENCE } });
    const api = await serve(service, shield);
    const genuine = await androidToken(api);
    await request(api).get('/api/me').set('x-attestation-token', genuine.body.token).expect(200);
    const claims = JSON.parse(Buffer.from(genuine.body.token.split('.')[1], 'base64url').toString());
    for (const kid of ['key-a', 'key-ghost']) {
      const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid }).sign(signingKey());
      const res = await request(api).get('/api/me').set('x-attestation-token', forged);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_invalid');
    }
  });

  it('honours retiredAt: a retired key no longer signs, and an all-retired ring is a configuration error', async () => {
    const past = Date.now() - 1_000;
    const service = testService(new MemoryStore(), {
      signingKeys: [
        { kid: 'key-a', privateKey: KEY_A, retiredAt: past },
        { kid: 'key-b', privateKey: signingKey() },
      ],
    });
    const url = await serve(service);
    expect(kidOf((await androidToken(url)).body.token)).toBe('key-b');
    expect(service.jwks().keys.map((k) => k.kid)).toEqual(['key-a', 'key-b']);
    expect(() => testService(new MemoryStore(), { signingKeys: [{ kid: 'key-a', privateKey: KEY_A, retiredAt: past }] })).toThrow(
      /every key is retired/,
    );
  });

  it('a key that signs again after a temporary key retired is published again, and its tokens verify', async () => {
    const now = Date.now();
    const service = testService(new MemoryStore(), {
      tokenTtl: 60,
      clockSkew: 5,
      signingKeys: [
        { kid: 'key-a', privateKey: KEY_A },
        { kid: 'key-b', privateKey: signingKey(), activeFrom: now - 20 * 60_000, retiredAt: now - 10 * 60_000 },
      ],
    });
    const url = await serve(service);
    const token = (await androidToken(url)).body.token;
    expect(kidOf(token)).toBe('key-a');
    expect(service.jwks().keys.map((k) => k.kid)).toEqual(['key-a']);
    const shield = createShield({ token: { jwks: service.jwks(), issuer: ISSUER, audience: AUDIENCE } });
    const api = await serve(testService(new MemoryStore()), shield);
    await request(api).get('/api/me').set('x-attestation-token', token).expect(200);
  });

  it('issues tokens with the registered claims and a unique jti', async () => {
    const url = await serve(testService(new MemoryStore(), { tokenTtl: 120 }));
    const binding = Buffer.from(randomBytes(32)).toString('base64');
    const a = await androidToken(url, { binding, installationId: 'install-claims' });
    const b = await androidToken(url);
    const claims = JSON.parse(Buffer.from(a.body.token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub: 'install-claims', pay: binding, plat: 'android' });
    expect(claims.exp - claims.iat).toBe(120);
    expect(a.body.expiresAt).toBe(claims.exp);
    const other = JSON.parse(Buffer.from(b.body.token.split('.')[1], 'base64url').toString());
    expect(other.jti).not.toBe(claims.jti);
  });
});

describe('store-backed parts', () => {
  let store: Store;
  beforeAll(() => {
    store = new MemoryStore();
  });
  it('a challenge is redeemable once even under concurrency', async () => {
    const url = await serve(testService(store));
    const { body } = await request(url).post('/attest/challenge').send({}).expect(200);
    const bodies = await Promise.all(Array.from({ length: 5 }, () => androidTokenBody({ challenge: body.challenge })));
    const statuses = await Promise.all(bodies.map((sent) => request(url).post('/attest/android').send(sent).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(4);
  });
});

describe('the pin-set version claim (channel integrity)', () => {
  it('stamps the pin-set version the app holds as psv, refuses a version newer than published, and the shield enforces it', async () => {
    let current = 3;
    const service = testService(new MemoryStore(), { pinSetVersion: () => current });
    const shield = createShield({
      token: { jwks: service.jwks(), issuer: ISSUER, audience: AUDIENCE },
      channel: { minPinSetVersion: () => current },
    });
    const url = await serve(service, shield);
    const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

    const stale = await androidToken(url, { pinSetVersion: 2 });
    expect(stale.status).toBe(200);
    expect(claimsOf(stale.body.token).psv).toBe(2);
    const refused = await request(url).get('/api/me').set('x-attestation-token', stale.body.token);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('channel_stale_pins');

    const fresh = await androidToken(url, { pinSetVersion: 3 });
    expect(claimsOf(fresh.body.token).psv).toBe(3);
    expect((await request(url).get('/api/me').set('x-attestation-token', fresh.body.token)).status).toBe(200);

    const tooNew = await androidToken(url, { pinSetVersion: 4 });
    expect(tooNew.status).toBeGreaterThanOrEqual(400);
    expect(tooNew.status).toBeLessThan(500);
    expect(tooNew.body.token).toBeUndefined();

    // A rotation after a compromise: every token still carrying 3 is refused at once.
    current = 4;
    expect((await request(url).get('/api/me').set('x-attestation-token', fresh.body.token)).status).toBe(403);
  });

  it('answers 503 and issues nothing when the pin-set version getter gives no usable version (fails closed)', async () => {
    for (const broken of [Number.NaN, -1, 1.5, '3' as unknown as number, undefined as unknown as number]) {
      const url = await serve(testService(new MemoryStore(), { pinSetVersion: () => broken }));
      const res = await androidToken(url, { pinSetVersion: Number.MAX_SAFE_INTEGER });
      expect({ status: res.status, code: res.body.code, token: res.body.token }, String(broken)).toEqual({ status: 503, code: 'shield_unavailable', token: undefined });
    }
  });

  it('stamps nothing when the service is not configured with a pin-set version', async () => {
    const url = await serve(testService(new MemoryStore()));
    const res = await androidToken(url, { pinSetVersion: 7 });
    expect(res.status).toBe(200);
    expect(JSON.parse(Buffer.from(res.body.token.split('.')[1], 'base64url').toString()).psv).toBeUndefined();
  });
});

describe('review of the service, 2026-12-01', () => {
  it('one device repeating itself behind a shared IP does not use up the IP budget of the others', async () => {
    const url = await serve(testService(new MemoryStore(), { rateLimits: { ip: { limit: 6, windowMs: 60_000 }, device: { limit: 2, windowMs: 60_000 } } }));
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await request(url).post('/attest/challenge').send({ installationId: 'noisy-device-1' })).status);
    expect(statuses).toEqual([200, 200, 429, 429, 429, 429, 429, 429, 429, 429]);
    expect((await request(url).post('/attest/challenge').send({ installationId: 'quiet-device-2' })).status).toBe(200);
  });

  it('the JWKS is served while the store is down (verifiers whose cached set expires must still refresh)', async () => {
    const store = new MemoryStore();
    const url = await serve(testService(store));
    store.increment = () => Promise.reject(new Error('store down'));
    const res = await request(url).get('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.body.keys.map((k: { kid: string }) => k.kid)).toEqual(['key-a']);
  });

  it('an Android installation id cannot take the subject of an attested iOS key', async () => {
    const url = await serve(testService(new MemoryStore()));
    const res = await androidToken(url, { installationId: 'ios:' + 'A'.repeat(43) });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.token).toBeUndefined();
    expect((await androidToken(url, { installationId: 'install-0001' })).status).toBe(200);
  });

  it('a store answering null for a missing key does not make any well-formed string an issued challenge', async () => {
    const store = new MemoryStore();
    const get = store.get.bind(store);
    store.get = async (key: string) => ((await get(key)) ?? null) as unknown as string | undefined;
    const url = await serve(testService(store));
    const forged = 'Z'.repeat(43);
    const res = await request(url).post('/attest/android').send(await androidTokenBody({ challenge: forged }));
    expect(res.status).toBe(401);
    expect(res.body.token).toBeUndefined();
  });
});
