/**
 * The pin-set publisher and the pin-failure report endpoint over real HTTP, through every adapter and framework
 * major (Express 4/5, Koa 2/3, Fastify 4/5), plus the report endpoint's limits on a real Redis.
 */
import { randomUUID } from 'node:crypto';
import { generateKeyPairSync } from 'node:crypto';
import { Redis } from 'ioredis';
import { exportJWK, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPinSetPublisher, type PinSetPublisher } from '../../src/channel/publisher.js';
import { createPinReportEndpoint, type PinFailureEvent } from '../../src/channel/report-endpoint.js';
import { RedisStore } from '../../src/stores/redis.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { verifyPinSet } from '../../src/client/pinset.js';
import { ENDPOINT_ADAPTERS } from '../helpers/endpoint-apps.js';
import { makeTestChain, type TestChain } from './test-chain.js';
import { redisAnswers, redisClient } from '../helpers/redis.js';

let chain: TestChain;
let signing: { privateJwk: JWK; publicJwk: JWK };

beforeAll(async () => {
  chain = makeTestChain();
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  signing = { privateJwk: await exportJWK(privateKey), publicJwk: { ...(await exportJWK(publicKey)), kid: 'pinset-1' } };
});
afterAll(() => chain.cleanup());

const hostsOf = (c: TestChain) => ({ localhost: { pins: [c.pins.intermediate, c.pins.leaf], backupPins: [c.backupPin] } });

/** A TrustKit report as the iOS library posts it, for a connection that was served `servedPems`. */
function trustKitReport(servedPems: string[], knownPins: string[], extra: Record<string, unknown> = {}) {
  return {
    'app-bundle-id': 'com.example.bank',
    'app-version': '6.2.0',
    'app-vendor-id': '0F2C1B8E-7A3D-4C55-9E61-2B7F0C9D4A11',
    'app-platform': 'IOS',
    'trustkit-version': '3.0.3',
    'date-time': '2026-06-01T10:00:00Z',
    hostname: 'localhost',
    port: 443,
    'noted-hostname': 'localhost',
    'include-subdomains': false,
    'enforce-pinning': true,
    'validated-certificate-chain': servedPems,
    'known-pins': knownPins.map((p) => `pin-sha256="${p}"`),
    'validation-result': 1,
    ...extra,
  };
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe.each(ENDPOINT_ADAPTERS.map((a) => [a.name, a] as const))('%s', (_name, harness) => {
  it('serves the signed pin set with ETag / If-None-Match; the client verifies it', async () => {
    const publisher: PinSetPublisher = await createPinSetPublisher({ signingKeys: [{ kid: 'pinset-1', privateKey: signing.privateJwk }], hosts: hostsOf(chain), version: 3 });
    const app = await harness.start({ endpoints: publisher });
    try {
      const res = await fetch(`${app.url}/.well-known/pinset`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/jose/);
      expect(res.headers.get('cache-control')).toBe('public, max-age=300, no-transform');
      const etag = res.headers.get('etag') as string;
      expect(etag).toMatch(/^"v3-/);
      const verified = await verifyPinSet(await res.text(), [signing.publicJwk]);
      expect(verified.payload.version).toBe(3);
      expect(verified.payload.hosts.localhost?.pins).toEqual([chain.pins.intermediate, chain.pins.leaf]);

      // HEAD answers like GET without the body (a cheap freshness probe).
      const head = await fetch(`${app.url}/.well-known/pinset`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('etag')).toBe(etag);
      expect(await head.text()).toBe('');

      const notModified = await fetch(`${app.url}/.well-known/pinset`, { headers: { 'if-none-match': etag } });
      expect(notModified.status).toBe(304);
      expect(await notModified.text()).toBe('');

      // Emergency switch, published like any other change: new version, new ETag, enforce false.
      await publisher.publish({ hosts: { localhost: { ...hostsOf(chain).localhost, enforce: false } } });
      const changed = await fetch(`${app.url}/.well-known/pinset`, { headers: { 'if-none-match': etag } });
      expect(changed.status).toBe(200);
      const next = await verifyPinSet(await changed.text(), [signing.publicJwk], { lastVersion: 3 });
      expect(next.payload.version).toBe(4);
      expect(next.payload.hosts.localhost?.enforce).toBe(false);

      const wrongMethod = await post(`${app.url}/.well-known/pinset`, {});
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD');
    } finally {
      await app.close();
    }
  });

  it('accepts a TrustKit report, computes the served chain pins, flags the MITM and deduplicates', async () => {
    const events: PinFailureEvent[] = [];
    const publisher = await createPinSetPublisher({ signingKeys: [{ privateKey: signing.privateJwk }], hosts: hostsOf(chain), version: 1 });
    const reports = createPinReportEndpoint({ onPinFailure: (e) => void events.push(e), expectedPins: publisher, trustProxy: ['loopback'] });
    const app = await harness.start({ endpoints: reports });
    try {
      const known = [chain.pins.intermediate, chain.pins.leaf, chain.backupPin];
      const mitm = trustKitReport([chain.mitm.leafPem, chain.mitm.rootPem], known);
      const res = await post(`${app.url}/pinning/report`, mitm, { 'x-forwarded-for': '203.0.113.7' });
      expect(res.status).toBe(204);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        format: 'trustkit',
        host: 'localhost',
        appId: 'com.example.bank',
        appVersion: '6.2.0',
        enforced: true,
        knownPins: known,
        servedChainPins: [chain.mitm.leafPin, chain.mitm.rootPin],
        servedChainSubjects: ['CN=localhost', 'CN=Interception Root'],
        validationResult: 'no_matching_pin',
        mitmSuspected: true,
        ip: '203.0.113.7',
      });
      // The same report again from the same IP: accepted (204) but not a new event.
      expect((await post(`${app.url}/pinning/report`, mitm, { 'x-forwarded-for': '203.0.113.7' })).status).toBe(204);
      expect(events).toHaveLength(1);
      // From another IP it is a new event.
      expect((await post(`${app.url}/pinning/report`, mitm, { 'x-forwarded-for': '203.0.113.8' })).status).toBe(204);
      expect(events).toHaveLength(2);
      // An app holding a stale pin set, served our real chain: reported, but not a MITM.
      const stale = trustKitReport([chain.leafPem, chain.intermediatePem], [chain.mitm.leafPin, chain.mitm.rootPin]);
      expect((await post(`${app.url}/pinning/report`, stale)).status).toBe(204);
      expect(events[2]).toMatchObject({ mitmSuspected: false, servedChainPins: [chain.pins.leaf, chain.pins.intermediate] });
      expect(reports.metrics).toMatchObject({ received: 4, accepted: 3, duplicates: 1, mitmSuspected: 2 });
    } finally {
      await app.close();
    }
  });

  it('accepts an HPKP report (served-certificate-chain) and refuses bad ones with problem+json', async () => {
    const events: PinFailureEvent[] = [];
    const reports = createPinReportEndpoint({ onPinFailure: (e) => void events.push(e), maxBodyBytes: 16_384 });
    const app = await harness.start({ endpoints: reports });
    try {
      const hpkp = {
        'date-time': '2026-06-01T10:00:00Z',
        hostname: 'LocalHost',
        port: 443,
        'effective-expiration-date': '2026-07-01T10:00:00Z',
        'include-subdomains': false,
        'noted-hostname': 'localhost',
        'served-certificate-chain': [chain.mitm.leafPem],
        'validated-certificate-chain': [chain.mitm.leafPem, chain.mitm.rootPem],
        'known-pins': [`pin-sha256="${chain.pins.leaf}"`, `pin-sha256="${chain.backupPin}"`],
      };
      expect((await post(`${app.url}/pinning/report`, hpkp)).status).toBe(204);
      expect(events[0]).toMatchObject({ format: 'hpkp', host: 'localhost', servedChainPins: [chain.mitm.leafPin], validationResult: 'pin_validation_failed', mitmSuspected: true });

      const bad: [unknown, number, string][] = [
        [{ ...hpkp, hostname: 42 }, 422, 'payload_invalid'],
        [{ ...hpkp, 'known-pins': ['sha256/abc'] }, 422, 'payload_invalid'],
        [{ ...hpkp, 'served-certificate-chain': ['<script>'] }, 422, 'payload_invalid'],
        [{ ...hpkp, 'known-pins': undefined }, 422, 'payload_invalid'],
        [[hpkp], 422, 'payload_invalid'],
        ['"just a string"', 422, 'payload_invalid'],
        ['{"hostname":', 400, 'payload_malformed'],
        [{ ...hpkp, padding: 'x'.repeat(20_000) }, 413, 'payload_too_large'],
      ];
      for (const [body, status, code] of bad) {
        const res = await post(`${app.url}/pinning/report`, body);
        expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(status);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(((await res.json()) as { code: string }).code).toBe(code);
      }
      const empty = await fetch(`${app.url}/pinning/report`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      expect(empty.status).toBe(422);
      const form = await fetch(`${app.url}/pinning/report`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(hpkp) });
      expect(form.status).toBe(415);
      expect((await fetch(`${app.url}/pinning/report`)).status).toBe(405);
      expect(events).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('rate-limits per IP with 429 and Retry-After; a throwing hook does not fail the report', async () => {
    const errors: unknown[] = [];
    const reports = createPinReportEndpoint({
      onPinFailure: () => {
        throw new Error('hook down');
      },
      onError: (e) => void errors.push(e),
      rateLimit: { max: 3, windowMs: 60_000 },
      trustProxy: ['loopback'],
    });
    const app = await harness.start({ endpoints: reports });
    try {
      const body = (i: number) => trustKitReport([chain.mitm.leafPem], [chain.pins.leaf, chain.backupPin], { 'app-version': `1.0.${i}` });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await post(`${app.url}/pinning/report`, body(i), { 'x-forwarded-for': '198.51.100.1' })).status);
      expect(statuses).toEqual([204, 204, 204, 429, 429]);
      const limited = await post(`${app.url}/pinning/report`, body(9), { 'x-forwarded-for': '198.51.100.1' });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await limited.json()) as { code: string }).code).toBe('too_many_reports');
      // Another client is not affected.
      expect((await post(`${app.url}/pinning/report`, body(0), { 'x-forwarded-for': '198.51.100.2' })).status).toBe(204);
      expect(errors).toHaveLength(4);
    } finally {
      await app.close();
    }
  });
});

describe.skipIf(!redisAnswers)('report endpoint on Redis', () => {
  let client: Redis;
  beforeAll(() => {
    client = redisClient();
  });
  afterAll(() => client.disconnect());

  it('the per-IP limit holds under concurrency, across two endpoint instances sharing one Redis', async () => {
    const prefix = `test:pinrep:${randomUUID()}:`;
    const store = new RedisStore({ client, prefix });
    let events = 0;
    const make = () => createPinReportEndpoint({ onPinFailure: () => void events++, store, rateLimit: { max: 10, windowMs: 60_000 }, trustProxy: ['loopback'] });
    const [a, b] = [make(), make()];
    const appA = await ENDPOINT_ADAPTERS[1]!.start({ endpoints: a });
    const appB = await ENDPOINT_ADAPTERS[5]!.start({ endpoints: b });
    try {
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          post(`${i % 2 ? appA.url : appB.url}/pinning/report`, trustKitReport([chain.mitm.leafPem], [chain.pins.leaf, chain.backupPin], { 'app-version': `2.0.${i}` }), {
            'x-forwarded-for': '2001:db8:1:2::1',
          }).then((r) => r.status),
        ),
      );
      expect(results.filter((s) => s === 204)).toHaveLength(10);
      expect(results.filter((s) => s === 429)).toHaveLength(30);
      expect(events).toBe(10);
      // IPv6 clients are counted per /64: another address in the same /64 is already limited.
      expect((await post(`${appA.url}/pinning/report`, trustKitReport([], [chain.pins.leaf]), { 'x-forwarded-for': '2001:db8:1:2::ffff' })).status).toBe(429);
    } finally {
      await appA.close();
      await appB.close();
      const keys = await client.keys(`${prefix}*`);
      if (keys.length > 0) await client.del(...keys);
    }
  });

  it('concurrent copies of one report raise exactly one event (dedup is atomic on Redis)', async () => {
    const prefix = `test:pinrep:${randomUUID()}:`;
    const store = new RedisStore({ client, prefix });
    const events: PinFailureEvent[] = [];
    // A bare host map works as the expected pins too.
    const reports = createPinReportEndpoint({ onPinFailure: (e) => void events.push(e), store, expectedPins: { localhost: { pins: [chain.pins.leaf], backupPins: [], includeSubdomains: false, enforce: true } } });
    const app = await ENDPOINT_ADAPTERS[4]!.start({ endpoints: reports });
    try {
      const report = trustKitReport([chain.leafPem], [chain.mitm.leafPin]);
      const statuses = await Promise.all(Array.from({ length: 20 }, () => post(`${app.url}/pinning/report`, report).then((r) => r.status)));
      expect(statuses.every((s) => s === 204)).toBe(true);
      expect(events).toHaveLength(1);
      expect(events[0]?.mitmSuspected).toBe(false); // our own leaf was served: a stale app, not an attack
      expect(reports.metrics).toMatchObject({ accepted: 1, duplicates: 19 });
    } finally {
      await app.close();
      const keys = await client.keys(`${prefix}*`);
      if (keys.length > 0) await client.del(...keys);
    }
  });

  it('a store that is down answers 503, never 500, and emits nothing', async () => {
    const down = new MemoryStore();
    down.increment = () => Promise.reject(new Error('store down'));
    let events = 0;
    const reports = createPinReportEndpoint({ onPinFailure: () => void events++, store: down });
    const app = await ENDPOINT_ADAPTERS[3]!.start({ endpoints: reports });
    try {
      const res = await post(`${app.url}/pinning/report`, trustKitReport([], [chain.pins.leaf]));
      expect(res.status).toBe(503);
      expect(((await res.json()) as { code: string }).code).toBe('shield_unavailable');
      expect(events).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('refuses bad options', () => {
    expect(() => createPinReportEndpoint({} as never)).toThrow(/onPinFailure/);
    expect(() => createPinReportEndpoint({ onPinFailure: () => undefined, rateLimit: { max: 0 } })).toThrow(/rateLimit/);
    expect(() => createPinReportEndpoint({ onPinFailure: () => undefined, trustProxy: ['nope'] } as never)).toThrow(/trustProxy/);
    expect(() => createPinReportEndpoint({ onPinFailure: () => undefined, expectedPins: { 'a.example': { pins: 'x' } } } as never)).toThrow(/expectedPins/);
  });
});
