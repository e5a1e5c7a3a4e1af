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
import { AttestationClientError, createAttestationClient } from '../../src/client/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { androidApp, iosApp, testService } from '../attestation/issuer/fixtures.js';

const events: AttestationServiceEvent[] = [];
const seenTokens: string[] = [];
let url: string;
let server: http.Server;

beforeAll(async () => {
  const app = express();
  app.use(expressEndpoints(testService(new MemoryStore(), { onEvent: (e) => void events.push(e) })) as unknown as express.RequestHandler);
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
});
