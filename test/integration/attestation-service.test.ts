/**
 * The attestation service end to end through every adapter: a simulated Android app (Play Integrity token made with
 * test keys) and a simulated iOS app (App Attest attestation and assertions from a test CA) use the client helper to
 * get tokens from the service, then call an API protected by a shield that knows nothing but the service's JWKS URL.
 */
import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTESTATION_SERVICE_CLAIMS } from '../../src/attestation/issuer/index.js';
import { createAttestationClient } from '../../src/client/index.js';
import type { Decision } from '../../src/shield.js';
import { createShield } from '../../src/shield.js';
import { MemoryStore } from '../../src/stores/memory.js';
import type { RunningApp } from '../helpers/adapters.js';
import { ENDPOINT_ADAPTERS } from '../helpers/endpoint-apps.js';
import { androidApp, androidTokenBody, AUDIENCE, iosApp, ISSUER, PACKAGE, play, testService, TEAM_ID, BUNDLE_ID } from '../attestation/issuer/fixtures.js';

const ALICE = 'Bearer alice-session';
/** The binding an app asks for: base64 SHA-256 of the Authorization value. */
const bindingOf = async (value: string): Promise<string> => createHash('sha256').update(value).digest('base64');

describe.each(ENDPOINT_ADAPTERS)('attestation service through $name', (harness) => {
  let service: ReturnType<typeof testService>;
  let keysApp: RunningApp;
  let api: RunningApp;
  const decisions: Decision[] = [];

  beforeAll(async () => {
    service = testService(new MemoryStore());
    keysApp = await harness.start({ endpoints: service });
    const shield = createShield({
      token: { jwksUrl: `${keysApp.url}/.well-known/jwks.json`, issuer: ISSUER, audience: AUDIENCE, binding: {} },
      device: { tokenClaims: ATTESTATION_SERVICE_CLAIMS, policy: { actions: { unlicensed: 'deny' } } },
      onDecision: (d) => void decisions.push(d),
    });
    api = await harness.start({ endpoints: service, shield });
  });
  afterAll(async () => {
    await api.close();
    await keysApp.close();
  });

  it('a genuine Android app gets a token and calls the API; the shield reads its verdict', async () => {
    const client = createAttestationClient({ serviceUrl: api.url, attester: androidApp() });
    const res = await client.fetch(`${api.url}/api/me`, { headers: { authorization: ALICE } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sub: 'install-0001', provider: 'custom' });
    const verdict = decisions.at(-1)?.device?.verdict;
    expect(verdict?.platform).toBe('android');
    expect(verdict?.app.id).toBe(PACKAGE);
    expect(verdict?.app.version).toBe(1);
    expect(verdict?.device.levels).toEqual(['MEETS_DEVICE_INTEGRITY', 'MEETS_BASIC_INTEGRITY']);
    expect(verdict?.trust).toBe('attested');
  });

  it('a genuine iOS app registers its key, gets a token by assertion and calls the API', async () => {
    const app = iosApp();
    const client = createAttestationClient({ serviceUrl: api.url, attester: app });
    const res = await client.fetch(`${api.url}/api/me`, { headers: { authorization: ALICE } });
    expect(res.status).toBe(200);
    const keyId = Buffer.from(app.device.keyId, 'base64').toString('base64url');
    expect(await res.json()).toEqual({ sub: `ios:${keyId}`, provider: 'custom' });
    const verdict = decisions.at(-1)?.device?.verdict;
    expect(verdict?.platform).toBe('ios');
    expect(verdict?.app.id).toBe(`${TEAM_ID}.${BUNDLE_ID}`);
    expect(verdict?.device.id).toBe(keyId);
    // A second token for the same key: the assertion counter moves on, no new registration.
    client.clear();
    expect((await client.fetch(`${api.url}/api/me`, { headers: { authorization: ALICE } })).status).toBe(200);
    expect(app.device.counter).toBe(2);
  });

  it('the device claims reach the shield policy: an unlicensed app is refused by the API', async () => {
    const client = createAttestationClient({ serviceUrl: api.url, attester: androidApp({ appLicensingVerdict: 'UNLICENSED' }) });
    const res = await client.fetch(`${api.url}/api/me`, { headers: { authorization: ALICE } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('device_untrusted');
  });

  it('a token is bound to the Authorization it was asked for', async () => {
    const client = createAttestationClient({ serviceUrl: api.url, attester: androidApp() });
    const { token } = await client.getToken(ALICE);
    await request(api.url).get('/api/me').set({ authorization: ALICE, 'x-attestation-token': token }).expect(200);
    const stolen = await request(api.url).get('/api/me').set({ authorization: 'Bearer mallory', 'x-attestation-token': token });
    expect(stolen.status).toBe(401);
    expect(stolen.body.code).toBe('token_binding_mismatch');
    const none = await request(api.url).get('/api/me').set({ authorization: ALICE });
    expect(none.body.code).toBe('token_missing');
  });

  it('refuses Play evidence bound to another challenge, and a challenge used twice', async () => {
    const { body: issued } = await request(api.url).post('/attest/challenge').send({}).expect(200);
    const other = await play.token({ requestHash: randomBytes(32).toString('base64url') });
    const clientData = JSON.stringify({ challenge: issued.challenge });
    const wrong = await request(api.url).post('/attest/android').send({ integrityToken: other, clientData });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('attestation_invalid');
    const again = await request(api.url).post('/attest/android').send(await androidTokenBody({ challenge: issued.challenge }));
    expect(again.status).toBe(401);
    expect(again.body.code).toBe('attestation_challenge_invalid');
  });

  it('Play evidence covers the client data: a relay cannot swap the binding, pin-set version or installation id', async () => {
    // The app asked for a token bound to Alice's session; whoever relays the request substitutes their own fields.
    const { body: issued } = await request(api.url).post('/attest/challenge').send({}).expect(200);
    const genuine = await androidTokenBody({ challenge: issued.challenge, binding: await bindingOf(ALICE), installationId: 'install-alice' });
    const swapped = JSON.stringify({ challenge: issued.challenge, binding: await bindingOf('Bearer mallory'), installationId: 'install-mallory' });
    const relayed = await request(api.url).post('/attest/android').send({ integrityToken: genuine.integrityToken, clientData: swapped });
    expect(relayed.status).toBe(401);
    expect(relayed.body.code).toBe('attestation_invalid');
    expect(relayed.body.token).toBeUndefined();
    // The fields outside the signed client data (the request's earlier form) are not read at all.
    const { body: next } = await request(api.url).post('/attest/challenge').send({}).expect(200);
    const bare = await androidTokenBody({ challenge: next.challenge });
    const unsigned = await request(api.url)
      .post('/attest/android')
      .send({ integrityToken: bare.integrityToken, challenge: next.challenge, binding: await bindingOf('Bearer mallory') });
    expect(unsigned.status).toBe(422);
    expect(unsigned.body.token).toBeUndefined();
    // The genuine request (classic nonce form here) gets a token with the fields the app signed.
    const { body: third } = await request(api.url).post('/attest/challenge').send({}).expect(200);
    const classic = await androidTokenBody({ challenge: third.challenge, binding: await bindingOf(ALICE), installationId: 'install-alice' }, {}, true);
    const granted = await request(api.url).post('/attest/android').send(classic);
    expect(granted.status).toBe(200);
    const claims = JSON.parse(Buffer.from(granted.body.token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub: 'install-alice', pay: await bindingOf(ALICE) });
    await request(api.url).get('/api/me').set({ authorization: ALICE, 'x-attestation-token': granted.body.token }).expect(200);
    const stolen = await request(api.url).get('/api/me').set({ authorization: 'Bearer mallory', 'x-attestation-token': granted.body.token });
    expect(stolen.body.code).toBe('token_binding_mismatch');
  });

  it('answers wrong field types 422 and malformed JSON 400, never 500', async () => {
    const { body: issued } = await request(api.url).post('/attest/challenge').send({}).expect(200);
    const data = JSON.stringify({ challenge: issued.challenge });
    const wrongBodies = [
      { integrityToken: 42, clientData: data },
      { integrityToken: ['a'], clientData: {} },
      { integrityToken: 'a', clientData: 'null' },
      { integrityToken: 'a', clientData: '[]' },
      { integrityToken: 'a', clientData: '{"challenge":5}' },
      { integrityToken: 'a', clientData: JSON.stringify({ challenge: issued.challenge, admin: true }) },
      [],
      'x',
      null,
    ];
    for (const body of wrongBodies) {
      const res = await request(api.url).post('/attest/android').set('content-type', 'application/json').send(JSON.stringify(body));
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('payload_invalid');
    }
    const extra = await request(api.url).post('/attest/challenge').send({ admin: true });
    expect(extra.status).toBe(422);
    const malformed = await request(api.url).post('/attest/ios/token').set('content-type', 'application/json').send('{"keyId":');
    expect(malformed.status).toBe(400);
    const clientData = await request(api.url)
      .post('/attest/ios/token')
      .send({ keyId: randomBytes(32).toString('base64'), assertion: 'AAAA', clientData: '{"challenge":5}' });
    expect(clientData.status).toBe(422);
    expect(clientData.body.fields).toEqual(['clientData.challenge']);
  });

  it('publishes its JWKS with caching headers', async () => {
    const res = await request(api.url).get('/.well-known/jwks.json').expect(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.headers['content-type']).toMatch(/^application\/jwk-set\+json/);
    expect(res.body.keys).toEqual([expect.objectContaining({ kid: 'key-a', alg: 'ES256', use: 'sig', kty: 'EC', crv: 'P-256' })]);
    expect(res.body.keys[0].d).toBeUndefined();
  });
});

/** The claims of a token (decoded, not verified). */
const claimsOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

describe.each(ENDPOINT_ADAPTERS)('pin-set version from the client to the channel check through $name', (harness) => {
  /** The published pin-set version: what the service stamps up to and the minimum the shield requires. */
  let current = 3;
  let keysApp: RunningApp;
  let api: RunningApp;
  let issued = 0;

  beforeAll(async () => {
    const service = testService(new MemoryStore(), {
      pinSetVersion: () => current,
      onEvent: (e) => void (e.outcome === 'issued' && (issued += 1)),
    });
    keysApp = await harness.start({ endpoints: service });
    const shield = createShield({
      token: { jwksUrl: `${keysApp.url}/.well-known/jwks.json`, issuer: ISSUER, audience: AUDIENCE, binding: {} },
      channel: { minPinSetVersion: () => current },
    });
    api = await harness.start({ endpoints: service, shield });
  });
  afterAll(async () => {
    await api.close();
    await keysApp.close();
  });

  it.each([
    ['android', () => androidApp()],
    ['ios', () => iosApp()],
  ] as const)('an %s client sends the version it holds, passes, and gets a fresh token when the version moves up', async (platform, attester) => {
    // Without the option the client still gets a token, without psv: the channel check refuses it.
    const unversioned = createAttestationClient({ serviceUrl: api.url, attester: attester() });
    expect(claimsOf((await unversioned.getToken(ALICE)).token)).not.toHaveProperty('psv');
    const refused = await unversioned.fetch(`${api.url}/api/me`, { headers: { authorization: ALICE } });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { code: string }).code).toBe('channel_stale_pins');

    let held = current;
    const reads: number[] = [];
    const client = createAttestationClient({
      serviceUrl: api.url,
      attester: attester(),
      pinSetVersion: async () => {
        reads.push(held);
        return held;
      },
    });
    const first = await client.fetch(`${api.url}/api/me`, { headers: { authorization: ALICE } });
    expect(first.status).toBe(200);
    const old = await client.getToken(ALICE); // the cached token the call carried
    expect(claimsOf(old.token)).toMatchObject({ plat: platform, psv: current, pay: await bindingOf(ALICE) });
    const issuedBefore = issued;

    // A key is revoked: the service publishes the next version and the shield requires it at once.
    current += 1;
    const stale = await request(api.url).get('/api/me').set({ authorization: ALICE, 'x-attestation-token': old.token });
    expect(stale.status).toBe(403);
    expect(stale.body.code).toBe('channel_stale_pins');

    // The app fetches the new pin set: the client reads the new version and does not reuse the cached token.
    held = current;
    const after = await client.fetch(`${api.url}/api/me`, { headers: { authorization: ALICE } });
    expect(after.status).toBe(200);
    const fresh = await client.getToken(ALICE);
    expect(fresh.token).not.toBe(old.token);
    expect(claimsOf(fresh.token)).toMatchObject({ plat: platform, psv: current });
    expect(issued).toBe(issuedBefore + 1);
    expect(reads.at(-1)).toBe(current);
  });
});
