/**
 * Device and app integrity through every adapter: verified token claims and real Play Integrity tokens (JWE around
 * ES256 JWS) judged by one policy, with markets from a CDN country header trusted only from a trusted proxy.
 */
import { createHash } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { createShield } from '../../src/shield.js';
import type { Decision } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, type RunningApp, type TestRoute } from '../helpers/adapters.js';
import { genuinePayload, PACKAGE, playKeys, playToken } from '../attestation/play-integrity/token-factory.js';
import { createAppAttestRegistry, createAttestationChallenges } from '../../src/attestation/app-attest/index.js';
import { ASSERTION_CHALLENGE_PREFIX } from '../../src/verifiers/device-risk/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { assert, deviceKey, FakeAppleCa } from '../attestation/app-attest/fake-apple.js';

const attester = createTestAttester({ header: 'approov-token' });
const keys = playKeys();

const routes: TestRoute[] = [
  { method: 'GET', path: '/feed' },
  { method: 'POST', path: '/payments', shield: { device: { sensitivity: 'payments' } } },
  { method: 'GET', path: '/no-device', shield: { device: false } },
];

function shieldFor(decisions: Decision[]) {
  return createShield({
    token: { ...approov({ secret: attester.secret as string }), binding: false },
    trustProxy: ['loopback'],
    device: {
      playIntegrity: { packageName: PACKAGE, decryptionKey: keys.decryptionKey, verificationKey: keys.verificationKey },
      tokenClaims: {
        signals: { rooted: 'rooted', emulator: 'emulator', hooked: 'hooked' },
        deviceId: 'did',
        appVersion: 'ver',
        platform: 'os',
        level: 'MEETS_BASIC_INTEGRITY',
      },
      country: { headers: ['cf-ipcountry'] },
      policy: {
        actions: { rooted: 'deny', emulator: 'step-up' },
        minAppVersion: { android: '5.0.0' },
        markets: { IN: { actions: { rooted: 'allow' } } },
        sensitivities: { payments: { requiredLevel: 'MEETS_DEVICE_INTEGRITY' } },
      },
    },
    onDecision: (d) => void decisions.push(d),
  });
}

const claims = (extra: Record<string, unknown>) => ({ did: 'dev-1', ver: '6.1.0', os: 'android', ...extra });
const tokenHeader = async (extra: Record<string, unknown> = {}) => ({ 'approov-token': await attester.mint({ claims: claims(extra) }) });

/** A Play Integrity token bound to the v2 canonical request (no query string, no Authorization header). */
async function playHeader(method: string, path: string, levels: string[], bodyHash = '', query = '', authorization = '') {
  const canonical = `v2\n${method}\n${path}\n${query}\nauthorization:${authorization}\n${bodyHash}`;
  const nonce = createHash('sha256').update(canonical).digest('base64url');
  const payload = genuinePayload(Date.now(), { nonce });
  payload.deviceIntegrity = { ...payload.deviceIntegrity, deviceRecognitionVerdict: levels };
  return { 'x-play-integrity': await playToken(keys, payload) };
}

for (const adapter of ADAPTERS) {
  describe(`device integrity through ${adapter.name}`, () => {
    let app: RunningApp;
    const decisions: Decision[] = [];
    beforeAll(async () => {
      app = await adapter.start(shieldFor(decisions), routes);
    });
    afterAll(() => app.close());

    it('a genuine device passes and its verdict is on the decision', async () => {
      decisions.length = 0;
      await request(app.server).get('/feed').set(await tokenHeader()).expect(200);
      const d = decisions.at(-1);
      expect(d?.device?.verdict.device.id).toBe('dev-1');
      expect(d?.device?.decision.action).toBe('allow');
    });

    it('a rooted device is refused in a strict market and allowed in a lenient one', async () => {
      const rooted = await tokenHeader({ rooted: true });
      const de = await request(app.server).get('/feed').set({ ...rooted, 'x-forwarded-for': '198.51.100.7', 'cf-ipcountry': 'DE' });
      expect(de.status).toBe(403);
      expect(de.body.code).toBe('device_untrusted');
      expect(JSON.stringify(de.body)).not.toMatch(/rooted/);
      await request(app.server).get('/feed').set({ ...rooted, 'x-forwarded-for': '198.51.100.7', 'cf-ipcountry': 'IN' }).expect(200);
    });

    it('the country header is ignored when the request did not come through a trusted proxy', async () => {
      // No X-Forwarded-For: the loopback socket peer is the client itself, so cf-ipcountry is client-controlled.
      const res = await request(app.server).get('/feed').set({ ...(await tokenHeader({ rooted: true })), 'cf-ipcountry': 'IN' });
      expect(res.status).toBe(403);
    });

    it('an emulator is asked to step up; hooking (Frida) with an emulator is denied', async () => {
      const emu = await request(app.server).get('/feed').set(await tokenHeader({ emulator: true }));
      expect(emu.status).toBe(403);
      expect(emu.body.code).toBe('device_step_up');
      const frida = await request(app.server).get('/feed').set(await tokenHeader({ emulator: true, hooked: true }));
      expect(frida.body.code).toBe('device_untrusted');
    });

    it('an outdated app version is refused', async () => {
      const res = await request(app.server).get('/feed').set(await tokenHeader({ ver: '4.9.9' }));
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('device_untrusted');
    });

    it('payments need MEETS_DEVICE_INTEGRITY from Play Integrity; basic integrity is not enough', async () => {
      const basicOnly = await request(app.server)
        .post('/payments')
        .set({ ...(await tokenHeader()), ...(await playHeader('POST', '/payments', ['MEETS_BASIC_INTEGRITY'])) });
      expect(basicOnly.status).toBe(403);
      await request(app.server)
        .post('/payments')
        .set({ ...(await tokenHeader()), ...(await playHeader('POST', '/payments', ['MEETS_DEVICE_INTEGRITY'])) })
        .expect(200);
    });

    it('a Play Integrity verdict is used once, however its token is spelled (base64url trailing bits)', async () => {
      const play = await playHeader('POST', '/payments', ['MEETS_DEVICE_INTEGRITY']);
      const token = play['x-play-integrity'];
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const parts = token.split('.');
      parts[4] = parts[4]!.slice(0, -1) + alphabet[alphabet.indexOf(parts[4]!.at(-1)!) ^ 1];
      const respelled = parts.join('.');
      await request(app.server).post('/payments').set({ ...(await tokenHeader()), 'x-play-integrity': token }).expect(200);
      const again = await request(app.server).post('/payments').set({ ...(await tokenHeader()), 'x-play-integrity': respelled });
      expect(again.status).toBe(403);
      expect(again.body.code).toBe('device_untrusted');
    });

    it('a Play Integrity token bound to another request is an invalid proof', async () => {
      const res = await request(app.server)
        .post('/payments')
        .set({ ...(await tokenHeader()), ...(await playHeader('POST', '/other', ['MEETS_STRONG_INTEGRITY'])) });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('device_untrusted');
    });

    it('v2 binding: a token covers the raw query string and the Authorization header', async () => {
      decisions.length = 0;
      const query = 'to=alice&amount=10';
      const alice = 'Bearer alice-session';
      const play = await playHeader('GET', '/feed', ['MEETS_DEVICE_INTEGRITY'], '', query, alice);
      await request(app.server).get(`/feed?${query}`).set({ ...(await tokenHeader()), ...play, authorization: alice }).expect(200);
      const moved = await playHeader('GET', '/feed', ['MEETS_DEVICE_INTEGRITY'], '', query, alice);
      const tampered = await request(app.server)
        .get('/feed?to=mallory&amount=9999')
        .set({ ...(await tokenHeader()), ...moved, authorization: alice });
      expect(tampered.status).toBe(403);
      expect(decisions.at(-1)?.results.find((r) => r.verifier === 'device-risk')?.detail).toContain('play-integrity:nonce_mismatch');
      const stolen = await playHeader('GET', '/feed', ['MEETS_DEVICE_INTEGRITY'], '', query, alice);
      const otherSession = await request(app.server)
        .get(`/feed?${query}`)
        .set({ ...(await tokenHeader()), ...stolen, authorization: 'Bearer mallory-session' });
      expect(otherSession.status).toBe(403);
    });

    it('unsigned self-reported signals can lower trust but never raise it', async () => {
      const lowered = await request(app.server).get('/feed').set({ ...(await tokenHeader()), 'x-device-signals': 'hooks' });
      expect(lowered.status).toBe(403);
      // Claiming "all clean" in a header does not undo a signed rooted verdict.
      const claimedClean = await request(app.server).get('/feed').set({ ...(await tokenHeader({ rooted: true })), 'x-device-signals': '' });
      expect(claimedClean.status).toBe(403);
    });

    it('a device proof covers the body: the body hash must match the body that arrived', async () => {
      const body = JSON.stringify({ to: 'bob', amount: 25 });
      const bodyHash = createHash('sha256').update(body).digest('base64url');
      const proof = await playHeader('POST', '/payments', ['MEETS_DEVICE_INTEGRITY'], bodyHash);
      const send = async (payload: string, headers: Record<string, string>) =>
        request(app.server)
          .post('/payments')
          .set({ ...(await tokenHeader()), 'content-type': 'application/json', ...headers })
          .send(payload);
      expect((await send(body, { ...proof, 'x-shield-body-sha256': bodyHash })).status).toBe(200);
      // The same proof and header in front of another body: refused.
      const swapped = await send(JSON.stringify({ to: 'mallory', amount: 2500 }), {
        ...(await playHeader('POST', '/payments', ['MEETS_DEVICE_INTEGRITY'], bodyHash)),
        'x-shield-body-sha256': bodyHash,
      });
      expect(swapped.status).toBe(403);
      expect(swapped.body.code).toBe('device_untrusted');
      // A proof bound to "no body" does not cover one.
      const unbound = await send(body, await playHeader('POST', '/payments', ['MEETS_DEVICE_INTEGRITY']));
      expect(unbound.status).toBe(403);
    });

    it('device: false on a route skips device checks', async () => {
      await request(app.server).get('/no-device').set(await tokenHeader({ rooted: true })).expect(200);
    });
  });
}

// Issue 17 items 2 and 5 over real sockets: App Attest assertions bound to the v2 request, in challenge mode.
const appleCa = new FakeAppleCa();
const TEAM = 'ABCDE12345';
const BUNDLE = 'com.example.bank';

for (const adapter of ADAPTERS) {
  describe(`App Attest challenge mode through ${adapter.name}`, () => {
    let app: RunningApp;
    const store = new MemoryStore();
    const key = deviceKey();
    const challenges = createAttestationChallenges({ store, keyPrefix: ASSERTION_CHALLENGE_PREFIX });
    let counter = 0;
    beforeAll(async () => {
      const registry = createAppAttestRegistry({ store, teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: appleCa.root });
      const challenge = Buffer.from('registration');
      await registry.register({ attestationObject: appleCa.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge }), challenge, keyId: key.keyId });
      const shield = createShield({
        store,
        device: { appAttest: { teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: appleCa.root, challenge: true, newDeviceWindowMs: 0 } },
      });
      app = await adapter.start(shield, [{ method: 'GET', path: '/feed' }]);
    });
    afterAll(() => app.close());

    const signed = (challenge: string, query: string, authorization: string) => ({
      authorization,
      'x-app-attest-key-id': key.keyId.toString('base64'),
      'x-app-attest-challenge': challenge,
      'x-app-attest-assertion': assert(key, {
        teamId: TEAM,
        bundleId: BUNDLE,
        counter: ++counter,
        clientData: `v2\nGET\n/feed\n${query}\nauthorization:${authorization}\n\n${challenge}`,
      }).toString('base64'),
    });

    it('a fresh challenge passes once; reuse, another query or another session is refused', async () => {
      const c1 = await challenges.issue();
      await request(app.server).get('/feed?page=2').set(signed(c1, 'page=2', 'Bearer alice')).expect(200);
      const reused = await request(app.server).get('/feed?page=2').set(signed(c1, 'page=2', 'Bearer alice'));
      expect(reused.status).toBe(403);
      const c2 = await challenges.issue();
      expect((await request(app.server).get('/feed?page=3').set(signed(c2, 'page=2', 'Bearer alice'))).status).toBe(403);
      expect((await request(app.server).get('/feed?page=2').set({ ...signed(c2, 'page=2', 'Bearer alice'), authorization: 'Bearer mallory' })).status).toBe(403);
      // The refused attempts did not spend c2: a correct request with it still passes.
      await request(app.server).get('/feed?page=2').set(signed(c2, 'page=2', 'Bearer alice')).expect(200);
    });
  });
}
