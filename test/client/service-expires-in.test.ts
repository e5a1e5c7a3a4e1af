/**
 * The service's token answers carry `expiresIn` (the token's lifetime, `exp - iat`), and the client against the
 * real service (called in-process through `handle`) caches by it: a device clock far off the service's does not make
 * every call an attestation.
 */
import { describe, expect, it } from 'vitest';
import type { AttestationServiceEvent } from '../../src/attestation/issuer/index.js';
import type { EndpointMethod, Endpoints } from '../../src/core/endpoints.js';
import { createAttestationClient } from '../../src/client/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { androidApp, androidTokenBody, iosApp, testService } from '../attestation/issuer/fixtures.js';

const SERVICE = 'https://attest.example.com';

/**
 * A fetch that hands each request to `endpoints.handle` (no HTTP server), recording the answers; with `older`, the
 * answers lose `expiresIn`, as an older service's did.
 */
function handleFetch(endpoints: Endpoints, answers: Array<{ path: string; body: Record<string, unknown> }> = [], older = false): typeof fetch {
  return async (input, init) => {
    const url = new URL(String(input));
    const answer = await endpoints.handle({
      method: (init?.method ?? 'GET') as EndpointMethod,
      path: url.pathname,
      query: url.searchParams,
      headers: { 'content-type': 'application/json' },
      ip: '203.0.113.7',
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    });
    const { expiresIn: _dropped, ...olderBody } = answer.body as Record<string, unknown>;
    const body = older ? olderBody : (answer.body as Record<string, unknown>);
    answers.push({ path: url.pathname, body });
    return new Response(JSON.stringify(body), { status: answer.status, headers: answer.headers });
  };
}

const claimsOf = (token: string): Record<string, number> => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

describe('expiresIn in token answers', () => {
  it('the Android token answer carries expiresIn = tokenTtl = exp - iat, beside expiresAt = exp', async () => {
    const service = testService(new MemoryStore(), { tokenTtl: 120 });
    const challenge = await service.handle({
      method: 'POST', path: '/attest/challenge', query: new URLSearchParams(), headers: {}, ip: '203.0.113.7', body: {},
    });
    const { challenge: value } = challenge.body as { challenge: string };
    const answer = await service.handle({
      method: 'POST',
      path: '/attest/android',
      query: new URLSearchParams(),
      headers: {},
      ip: '203.0.113.7',
      body: await androidTokenBody({ challenge: value }),
    });
    expect(answer.status).toBe(200);
    const body = answer.body as { token: string; expiresAt: number; expiresIn: number; tokenType: string };
    const claims = claimsOf(body.token);
    expect(body).toMatchObject({ expiresIn: 120, expiresAt: claims.exp, tokenType: 'attestation' });
    expect(claims.exp! - claims.iat!).toBe(body.expiresIn);
  });

  it('the iOS token answer carries it too', async () => {
    const answers: Array<{ path: string; body: Record<string, unknown> }> = [];
    const service = testService(new MemoryStore(), { tokenTtl: 90 });
    const client = createAttestationClient({ serviceUrl: SERVICE, attester: iosApp(), fetch: handleFetch(service, answers) });
    const { token } = await client.getToken();
    const tokenAnswer = answers.find((a) => a.path === '/attest/ios/token')!.body;
    expect(tokenAnswer).toMatchObject({ token, expiresIn: 90 });
    expect(claimsOf(token).exp! - claimsOf(token).iat!).toBe(90);
  });

  it('a client whose clock is 10 minutes ahead of the service reuses its 5-minute token', async () => {
    const events: AttestationServiceEvent[] = [];
    const service = testService(new MemoryStore(), { tokenTtl: 300, onEvent: (e) => void events.push(e) });
    const client = createAttestationClient({
      serviceUrl: SERVICE,
      attester: androidApp({}, 'install-skewed'),
      fetch: handleFetch(service),
      now: () => Date.now() + 10 * 60_000,
    });
    const first = await client.getToken();
    expect((await client.getToken()).token).toBe(first.token);
    expect((await client.getToken()).token).toBe(first.token);
    expect(events.filter((e) => e.outcome === 'issued')).toHaveLength(1);
  });

  it('against an older service (no expiresIn), a client 10 minutes ahead still reuses its 5-minute token (timed by exp - iat)', async () => {
    const events: AttestationServiceEvent[] = [];
    const answers: Array<{ path: string; body: Record<string, unknown> }> = [];
    const service = testService(new MemoryStore(), { tokenTtl: 300, onEvent: (e) => void events.push(e) });
    let clock = Date.now() + 10 * 60_000;
    const client = createAttestationClient({
      serviceUrl: SERVICE,
      attester: androidApp({}, 'install-skewed-older'),
      fetch: handleFetch(service, answers, true),
      now: () => clock,
    });
    const first = await client.getToken();
    expect(answers.find((a) => a.path === '/attest/android')!.body).not.toHaveProperty('expiresIn');
    expect((await client.getToken()).token).toBe(first.token);
    expect((await client.getToken()).token).toBe(first.token);
    expect(events.filter((e) => e.outcome === 'issued')).toHaveLength(1);
    // 280 s on the device's clock later, inside the 30 s refresh margin of the 300 s lifetime: a new token.
    clock += 280_000;
    expect((await client.getToken()).token).not.toBe(first.token);
    expect(events.filter((e) => e.outcome === 'issued')).toHaveLength(2);
  });
});
