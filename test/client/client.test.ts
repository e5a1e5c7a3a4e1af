/**
 * The client helper against the real service over HTTP: token caching and refresh, single flight, retry on
 * `token_expired`, App Attest key re-registration, and errors carrying the service's problem code.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressEndpoints } from '../../src/adapters/express.js';
import type { AttestationServiceEvent } from '../../src/attestation/issuer/index.js';
import { AttestationClientError, createAttestationClient, type AttestationClientOptions } from '../../src/client/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { androidApp, iosApp, testService } from '../attestation/issuer/fixtures.js';

const events: AttestationServiceEvent[] = [];
const seenTokens: string[] = [];
let url: string;
let server: http.Server;

beforeAll(async () => {
  const app = express();
  // The service publishes pin-set version 10: a client's pinSetVersion up to it is stamped as `psv`.
  app.use(
    expressEndpoints(testService(new MemoryStore(), { onEvent: (e) => void events.push(e), pinSetVersion: 10 })) as unknown as express.RequestHandler,
  );
  // A stand-in API: the first token it sees is "expired", any later one is fine.
  app.get('/api/flaky', (req, res) => {
    const token = String(req.headers['x-attestation-token']);
    seenTokens.push(token);
    if (seenTokens.indexOf(token) === 0 && seenTokens.length === 1) {
      res.status(401).type('application/problem+json').send({ code: 'token_expired', status: 401 });
      return;
    }
    res.json({ ok: true, bound: req.headers.authorization ?? null });
  });
  app.get('/api/always-expired', (_req, res) => void res.status(401).type('application/problem+json').send({ code: 'token_expired' }));
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const issuedCount = () => events.filter((e) => e.outcome === 'issued').length;
const claimsOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

/** The global fetch, recording the `clientData` of each token request it carries. */
function recordingFetch(): { fetch: typeof fetch; calls: () => number; clientData: Record<string, unknown>[] } {
  let calls = 0;
  const clientData: Record<string, unknown>[] = [];
  return {
    calls: () => calls,
    clientData,
    fetch: async (input, init) => {
      calls += 1;
      const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as { clientData?: string }) : {};
      if (typeof body.clientData === 'string') clientData.push(JSON.parse(body.clientData) as Record<string, unknown>);
      return fetch(input, init);
    },
  };
}

describe('attestation client', () => {
  it('caches a token until shortly before exp, then fetches a new one', async () => {
    let clock = Date.now();
    const client = createAttestationClient({ serviceUrl: url, attester: androidApp(), now: () => clock, refreshMarginSeconds: 30 });
    const before = issuedCount();
    const first = await client.getToken();
    expect((await client.getToken()).token).toBe(first.token);
    expect(issuedCount()).toBe(before + 1);
    clock = first.expiresAt * 1000 - 29_000; // inside the refresh margin
    expect((await client.getToken()).token).not.toBe(first.token);
    expect(issuedCount()).toBe(before + 2);
  });

  it('asks the service once for concurrent callers', async () => {
    const client = createAttestationClient({ serviceUrl: url, attester: androidApp() });
    const before = issuedCount();
    const tokens = await Promise.all(Array.from({ length: 5 }, () => client.getToken('Bearer x')));
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    expect(issuedCount()).toBe(before + 1);
  });

  it('keeps separate tokens per binding', async () => {
    const client = createAttestationClient({ serviceUrl: url, attester: androidApp() });
    const alice = await client.getToken('Bearer alice');
    const bob = await client.getToken('Bearer bob');
    const pay = (t: string) => JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()).pay;
    expect(pay(alice.token)).not.toBe(pay(bob.token));
    expect(pay((await client.getToken()).token)).toBeUndefined();
  });

  it('on 401 token_expired drops the token, gets a fresh one and retries once', async () => {
    const client = createAttestationClient({ serviceUrl: url, attester: androidApp() });
    seenTokens.length = 0;
    const res = await client.fetch(`${url}/api/flaky`, { headers: { authorization: 'Bearer alice' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, bound: 'Bearer alice' });
    expect(seenTokens).toHaveLength(2);
    expect(seenTokens[0]).not.toBe(seenTokens[1]);
    // Only once: an API that keeps answering token_expired gets its answer back.
    const stuck = await client.fetch(`${url}/api/always-expired`);
    expect(stuck.status).toBe(401);
  });

  it('re-registers an App Attest key the service does not know', async () => {
    let stored: string | undefined = randomBytes(32).toString('base64'); // a key id from an earlier install
    const app = iosApp();
    const client = createAttestationClient({
      serviceUrl: url,
      attester: { ...app, keyStorage: { get: () => stored, set: (k) => void (stored = k) } },
    });
    const token = await client.getToken();
    expect(token.token.split('.')).toHaveLength(3);
    expect(stored).toBe(app.device.keyId);
    // The stored key is used from now on: no second registration.
    const registered = events.filter((e) => e.outcome === 'registered').length;
    client.clear();
    await client.getToken();
    expect(events.filter((e) => e.outcome === 'registered').length).toBe(registered);
  });

  it('surfaces refusals as AttestationClientError with the problem code', async () => {
    const client = createAttestationClient({
      serviceUrl: url,
      attester: { platform: 'android', requestIntegrityToken: async () => 'not-a-token' },
    });
    const error = await client.getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AttestationClientError);
    expect(error).toMatchObject({ status: 401, code: 'attestation_invalid' });
    const offline = createAttestationClient({ serviceUrl: 'http://127.0.0.1:1', attester: androidApp() });
    await expect(offline.getToken()).rejects.toMatchObject({ code: 'network' });
  });

  it('sends the pin-set version read for each token in the signed client data, on both platforms', async () => {
    for (const [platform, attester] of [['android', androidApp({}, 'install-psv-a')], ['ios', iosApp()]] as const) {
      const spy = recordingFetch();
      const version = platform === 'android' ? 4 : 0; // 0 is a version too
      const client = createAttestationClient({ serviceUrl: url, attester, fetch: spy.fetch, pinSetVersion: async () => version });
      const { token } = await client.getToken('Bearer alice');
      expect(claimsOf(token)).toMatchObject({ plat: platform, psv: version });
      expect(spy.clientData.at(-1)).toEqual({
        challenge: expect.any(String),
        ...(platform === 'android' ? { installationId: 'install-psv-a' } : {}),
        binding: expect.any(String),
        pinSetVersion: version,
      });
    }
    // A plain number works too; a function answering undefined sends no version (and gets no psv).
    const fixed = createAttestationClient({ serviceUrl: url, attester: androidApp({}, 'install-psv-b'), pinSetVersion: 7 });
    expect(claimsOf((await fixed.getToken()).token).psv).toBe(7);
    const spy = recordingFetch();
    const none = createAttestationClient({ serviceUrl: url, attester: androidApp({}, 'install-psv-c'), fetch: spy.fetch, pinSetVersion: () => undefined });
    expect(claimsOf((await none.getToken()).token).psv).toBeUndefined();
    expect(spy.clientData.at(-1)).not.toHaveProperty('pinSetVersion');
  });

  it('reuses a cached token only for the pin-set version it carries, in flight too', async () => {
    let held = 4;
    // Its own installation id: the service limits token requests per device (20 a minute).
    const client = createAttestationClient({ serviceUrl: url, attester: androidApp({}, 'install-psv-d'), pinSetVersion: () => held });
    const before = issuedCount();
    const first = await client.getToken();
    expect((await client.getToken()).token).toBe(first.token); // same version: the cache
    expect(issuedCount()).toBe(before + 1);
    held = 5;
    const second = await client.getToken();
    expect(second.token).not.toBe(first.token);
    expect(claimsOf(second.token).psv).toBe(5);
    expect((await client.getToken()).token).toBe(second.token);
    // A caller that reads a newer version does not join the request still in flight for the older one.
    held = 6;
    const pendingOld = client.getToken();
    held = 7;
    const [older, newer] = await Promise.all([pendingOld, client.getToken()]);
    expect(claimsOf(older.token).psv).toBe(6);
    expect(claimsOf(newer.token).psv).toBe(7);
    expect(issuedCount()).toBe(before + 4);
    // The retry on token_expired drops the token that was refused (the one of the version in force), not another.
    seenTokens.length = 0;
    const res = await client.fetch(`${url}/api/flaky`, { headers: { authorization: 'Bearer alice' } });
    expect(res.status).toBe(200);
    expect(seenTokens).toHaveLength(2);
    expect(seenTokens[0]).not.toBe(seenTokens[1]);
    expect(claimsOf(seenTokens[1]!).psv).toBe(7);
  });

  it('refuses a pinSetVersion that is not a non-negative safe integer, before calling the service', async () => {
    const bad: unknown[] = [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '3', null, { version: 3 }];
    for (const value of bad) {
      for (const option of [value, () => value, async () => value]) {
        const spy = recordingFetch();
        const client = createAttestationClient({
          serviceUrl: url,
          attester: androidApp(),
          fetch: spy.fetch,
          pinSetVersion: option as AttestationClientOptions['pinSetVersion'],
        });
        const error = await client.getToken().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AttestationClientError);
        expect(error).toMatchObject({ status: 0, code: 'bad_pin_set_version' });
        await expect(client.fetch(`${url}/api/flaky`)).rejects.toMatchObject({ code: 'bad_pin_set_version' });
        expect(spy.calls()).toBe(0);
      }
    }
  });
});
