/**
 * Ported review test: the attestation service must not issue a fully trusted iOS token for App Attest evidence that
 * the device verifier denies by default (a macOS key under a weaker access-control policy: `macAccessControlWeak`;
 * an iOS 27+ assertion from a development or enterprise build on a production key: `unexpectedDistribution`). The
 * service refuses it (403 `device_untrusted`, with a stable reason in `onEvent`) unless `ios.allow` names the
 * condition. Real HTTP (Express), real crypto (the test App Attest CA).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { expressEndpoints, expressShield } from '../../src/adapters/express.js';
import { ATTESTATION_SERVICE_CLAIMS, type AttestationServiceEvent, type AttestationServiceOptions, type IssuedDeviceVerdict } from '../../src/attestation/issuer/index.js';
import { MAC_FULL_SECURITY_ACL } from '../../src/attestation/app-attest/index.js';
import { ShieldConfigError } from '../../src/core/errors.js';
import { createShield } from '../../src/shield.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { appAttestAssertion, appAttestDeviceKey } from '../../src/testing/app-attest.js';
import { apple, AUDIENCE, BUNDLE_ID, ISSUER, TEAM_ID, testService } from './issuer/fixtures.js';

const servers: http.Server[] = [];
async function listen(app: express.Express): Promise<string> {
  const server = http.createServer(app);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

interface Setup {
  service?: Partial<AttestationServiceOptions>;
  minIosVersion?: string;
}

async function setup(options: Setup, events: AttestationServiceEvent[], verdicts: IssuedDeviceVerdict[]) {
  const service = testService(new MemoryStore(), {
    onEvent: (e) => void events.push(e),
    policy: (v) => void verdicts.push(v),
    ...options.service,
  });
  const svc = express();
  svc.use(expressEndpoints(service) as unknown as express.RequestHandler);
  const serviceUrl = await listen(svc);
  const shield = createShield({
    token: { jwks: service.jwks(), issuer: ISSUER, audience: AUDIENCE },
    device: {
      tokenClaims: ATTESTATION_SERVICE_CLAIMS,
      ...(options.minIosVersion ? { policy: { minAppVersion: { ios: options.minIosVersion } } } : {}),
    },
  });
  const api = express();
  api.use(expressShield(shield) as unknown as express.RequestHandler);
  api.get('/api/me', (_req, res) => void res.json({ ok: true }));
  const apiUrl = await listen(api);
  return { serviceUrl, apiUrl };
}

/** Registers a fresh key through the service, asks for a token with one assertion, and calls the API with it. */
async function run(attest: { aclBlob?: Uint8Array; environment?: 'development' }, authExtensions?: Record<string, unknown>, options: Setup = {}) {
  const events: AttestationServiceEvent[] = [];
  const verdicts: IssuedDeviceVerdict[] = [];
  const { serviceUrl, apiUrl } = await setup(options, events, verdicts);
  const key = appAttestDeviceKey();
  const c1 = (await request(serviceUrl).post('/attest/challenge').send({}).expect(200)).body.challenge as string;
  const attestation = apple.ca.attest(key, { teamId: TEAM_ID, bundleId: BUNDLE_ID, challenge: Buffer.from(c1), ...attest });
  await request(serviceUrl)
    .post('/attest/ios/register')
    .send({ keyId: key.keyId.toString('base64'), attestation: attestation.toString('base64'), challenge: c1 })
    .expect(201);
  const c2 = (await request(serviceUrl).post('/attest/challenge').send({}).expect(200)).body.challenge as string;
  const clientData = JSON.stringify({ challenge: c2 });
  const assertion = appAttestAssertion(key, { teamId: TEAM_ID, bundleId: BUNDLE_ID, counter: 1, clientData, ...(authExtensions ? { authExtensions } : {}) });
  const tokenRes = await request(serviceUrl)
    .post('/attest/ios/token')
    .send({ keyId: key.keyId.toString('base64'), assertion: assertion.toString('base64'), clientData });
  const refused = events.find((e) => e.outcome === 'refused');
  const facts = { code: tokenRes.body.code as string | undefined, reason: refused?.reason, verdict: verdicts[0] };
  if (tokenRes.status !== 200) return { token: tokenRes.status, api: undefined, ...facts };
  const apiRes = await request(apiUrl).get('/api/me').set('x-attestation-token', tokenRes.body.token);
  return { token: 200, api: apiRes.status, ...facts, claims: JSON.parse(Buffer.from(String(tokenRes.body.token).split('.')[1]!, 'base64url').toString()) };
}

describe('attestation service: Apple facts the device verifier denies by default (review)', () => {
  it("control: a Mac key under Apple's full-security policy and an App Store build get through", async () => {
    expect(await run({ aclBlob: MAC_FULL_SECURITY_ACL })).toMatchObject({ token: 200, api: 200 });
    expect(await run({}, { validationCategory: 4 })).toMatchObject({ token: 200, api: 200 });
    expect(await run({}, { validationCategory: 2 })).toMatchObject({ token: 200, api: 200 }); // TestFlight
  });

  it('a macOS key under a weaker access-control policy is refused (service) or denied (shield), as a direct assertion is', async () => {
    const r = await run({ aclBlob: Buffer.from('weaker policy') });
    expect(r.token !== 200 || r.api === 403).toBe(true);
  });

  it('an iOS 27 development-build assertion on a production key is refused (service) or denied (shield)', async () => {
    const r = await run({}, { validationCategory: 3 });
    expect(r.token !== 200 || r.api === 403).toBe(true);
  });

  it('an iOS 27 enterprise-build assertion on a production key is refused (service) or denied (shield)', async () => {
    const r = await run({}, { validationCategory: 5 });
    expect(r.token !== 200 || r.api === 403).toBe(true);
  });
});

describe('attestation service: how it refuses, and what it lets an operator allow', () => {
  it('refuses with 403 device_untrusted and a stable onEvent reason, before its policy sees the verdict', async () => {
    expect(await run({ aclBlob: Buffer.from('weaker policy') })).toMatchObject({ token: 403, code: 'device_untrusted', reason: 'mac_access_control_weak', verdict: undefined });
    expect(await run({}, { validationCategory: 5 })).toMatchObject({ token: 403, code: 'device_untrusted', reason: 'unexpected_distribution', verdict: undefined });
    expect(await run({}, { validationCategory: 6 })).toMatchObject({ token: 403, reason: 'unexpected_distribution' }); // Developer ID
    expect(await run({}, { validationCategory: 99 })).toMatchObject({ token: 403, reason: 'unexpected_distribution' }); // unknown:99
  });

  it('ios.allow lets the named condition through, and the policy sees the fact', async () => {
    const weak = await run({ aclBlob: Buffer.from('weaker policy') }, undefined, { service: { ios: iosOptions(['macAccessControlWeak']) } });
    expect(weak).toMatchObject({ token: 200, api: 200 });
    expect(weak.verdict?.apple).toEqual({ macAccessControl: 'other' });
    const enterprise = await run({}, { validationCategory: 5 }, { service: { ios: iosOptions(['unexpectedDistribution']) } });
    expect(enterprise).toMatchObject({ token: 200, api: 200 });
    expect(enterprise.verdict?.apple).toEqual({ validationCategory: 'enterprise' });
    // Allowing one condition does not allow the other.
    expect(await run({ aclBlob: Buffer.from('weaker policy') }, undefined, { service: { ios: iosOptions(['unexpectedDistribution']) } })).toMatchObject({ token: 403, reason: 'mac_access_control_weak' });
  });

  it('a development build on a development key is expected (as the device verifier judges it)', async () => {
    const development = { ios: { ...iosOptions([]), environment: 'development' as const } };
    expect(await run({ environment: 'development' }, { validationCategory: 3 }, { service: development })).toMatchObject({ token: 200, api: 200 });
    expect(await run({ environment: 'development' }, { validationCategory: 5 }, { service: development })).toMatchObject({ token: 403, reason: 'unexpected_distribution' });
  });

  it('takes ios.allow naming those two conditions, and refuses one naming anything else', () => {
    expect(() => testService(new MemoryStore(), { ios: iosOptions(['macAccessControlWeak', 'unexpectedDistribution']) })).not.toThrow();
    expect(() => testService(new MemoryStore(), { ios: { ...iosOptions([]), allow: ['rooted' as 'macAccessControlWeak'] } })).toThrow(ShieldConfigError);
  });

  it('carries the attested iOS 27 bundle version as app.ver, so the shield holds it to minAppVersion.ios', async () => {
    const current = await run({}, { validationCategory: 4, bundleVersion: '5.3.0' }, { minIosVersion: '5.0.0' });
    expect(current).toMatchObject({ token: 200, api: 200 });
    expect('claims' in current && current.claims.app).toEqual({ id: `${TEAM_ID}.${BUNDLE_ID}`, ver: '5.3.0' });
    expect(await run({}, { validationCategory: 4, bundleVersion: '4.9.1' }, { minIosVersion: '5.0.0' })).toMatchObject({ token: 200, api: 403 });
  });
});

function iosOptions(allow: ('macAccessControlWeak' | 'unexpectedDistribution')[]): NonNullable<AttestationServiceOptions['ios']> {
  return { teamId: TEAM_ID, bundleId: BUNDLE_ID, environment: 'production', trustAnchor: apple.trustAnchor, allow };
}
