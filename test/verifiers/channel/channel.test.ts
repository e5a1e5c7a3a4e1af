/**
 * `channel: { minPinSetVersion }`: a token whose pin-set version claim is older than the minimum is refused
 * `channel_stale_pins` (403), through every adapter; the minimum can follow the publisher's revocations.
 */
import { generateKeyPairSync } from 'node:crypto';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createPinSetPublisher } from '../../../src/channel/publisher.js';
import { createShield } from '../../../src/core/shield.js';
import { createChannelVerifier, channelOptionsSchema } from '../../../src/verifiers/channel/index.js';
import { ShieldConfigError } from '../../../src/core/errors.js';
import { createTestAttester } from '../../../src/testing/index.js';
import { ADAPTERS, type TestRoute } from '../../helpers/adapters.js';

const attester = createTestAttester();
const token = { secret: attester.secret as string, header: 'x-attestation-token' };
const routes: TestRoute[] = [{ method: 'GET', path: '/profile' }, { method: 'GET', path: '/public', shield: false }];
const withPins = (psv: unknown) => attester.headers({ claims: psv === undefined ? {} : { psv } });

describe.each(ADAPTERS.map((a) => [a.name, a] as const))('%s', (_name, harness) => {
  it('refuses a token holding a pin set older than minPinSetVersion', async () => {
    const shield = createShield({ token, channel: { minPinSetVersion: 5 } });
    const app = await harness.start(shield, routes);
    try {
      expect((await request(app.url).get('/profile').set(await withPins(5))).status).toBe(200);
      expect((await request(app.url).get('/profile').set(await withPins(9))).status).toBe(200);
      for (const stale of [4, 0, undefined, '5', 5.5, -1, null]) {
        const res = await request(app.url).get('/profile').set(await withPins(stale));
        expect(res.status, String(stale)).toBe(403);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ code: 'channel_stale_pins', status: 403, title: 'Pin set out of date' });
      }
      // The token check still comes first; an exempt route is not checked.
      expect((await request(app.url).get('/profile')).body.code).toBe('token_missing');
      expect((await request(app.url).get('/public')).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('channel verifier', () => {
  it('follows the publisher: publish({ revoke: true }) raises the minimum at once', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pin = (n: number) => Buffer.alloc(32, n).toString('base64');
    const hosts = { 'api.example.com': { pins: [pin(1)], backupPins: [pin(2)] } };
    const publisher = await createPinSetPublisher({ signingKeys: [{ privateKey }], hosts, version: 3, minClientVersion: 3 });
    const shield = createShield({ token, channel: { minPinSetVersion: () => publisher.minPinSetVersion() } });
    const app = await ADAPTERS[1]!.start(shield, routes);
    try {
      expect((await request(app.url).get('/profile').set(await withPins(3))).status).toBe(200);
      await publisher.publish({ hosts: { 'api.example.com': { pins: [pin(2)], backupPins: [pin(3)] } }, revoke: true });
      expect((await request(app.url).get('/profile').set(await withPins(3))).body.code).toBe('channel_stale_pins');
      expect((await request(app.url).get('/profile').set(await withPins(4))).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('allowMissingClaim passes tokens without the claim, not ones with a bad claim; monitor mode only records', async () => {
    const lenient = createShield({ token, channel: { minPinSetVersion: 2, allowMissingClaim: true } });
    const check = async (shield: typeof lenient, psv: unknown) => {
      const headers = await withPins(psv);
      return shield.check({ method: 'GET', path: '/x', headers, ip: '127.0.0.1' });
    };
    expect((await check(lenient, undefined)).allowed).toBe(true);
    expect((await check(lenient, 1)).code).toBe('channel_stale_pins');
    expect((await check(lenient, 'x')).code).toBe('channel_stale_pins');
    const monitor = createShield({ token, channel: { minPinSetVersion: 2, mode: 'monitor' } });
    const monitored = await check(monitor, 1);
    expect(monitored.allowed).toBe(true);
    expect(monitored.code).toBe('channel_stale_pins');
    expect(monitored.results.find((r) => r.verifier === 'channel')).toMatchObject({ outcome: 'deny', mode: 'monitor' });
  });

  it('fails closed when the minimum cannot be read', async () => {
    const broken = createShield({ token, channel: { minPinSetVersion: () => { throw new Error('publisher gone'); } } });
    const decision = await broken.check({ method: 'GET', path: '/x', headers: await withPins(9), ip: '127.0.0.1' });
    expect(decision.code).toBe('shield_unavailable');
    const nan = createShield({ token, channel: { minPinSetVersion: () => Number.NaN } });
    expect((await nan.check({ method: 'GET', path: '/x', headers: await withPins(9), ip: '127.0.0.1' })).code).toBe('shield_unavailable');
  });

  it('skips without a verified token; refuses bad options', () => {
    const verifier = createChannelVerifier(channelOptionsSchema.parse({ minPinSetVersion: 1 }));
    expect(verifier.verify({ attestation: undefined } as never)).toMatchObject({ outcome: 'skip' });
    expect(() => createShield({ token, channel: { minPinSetVersion: -1 } })).toThrow(ShieldConfigError);
    expect(() => createShield({ token, channel: { minPinSetVersion: 1, claim: '' } })).toThrow(/channel\.claim/);
    expect(() => createShield({ token, channel: { minPinSetVersion: 1, extra: 1 } as never })).toThrow(/channel\.extra/);
  });
});
