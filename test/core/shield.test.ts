import { describe, expect, it } from 'vitest';
import { createShield } from '../../src/shield.js';
import type { Decision } from '../../src/shield.js';
import type { Verifier } from '../../src/core/verifier.js';
import type { ShieldRequest } from '../../src/core/request.js';

const request: ShieldRequest = { method: 'GET', path: '/things', ip: '203.0.113.5', headers: {} };

function recorder(name: string, outcome: Awaited<ReturnType<Verifier['verify']>>, calls: string[]): Verifier {
  return { name, verify: () => (calls.push(name), outcome) };
}

describe('the core loop', () => {
  it('runs verifiers in order and stops at the first enforced deny', async () => {
    const calls: string[] = [];
    const shield = createShield({
      verifiers: [
        recorder('a', { outcome: 'pass' }, calls),
        recorder('b', { outcome: 'deny', code: 'device_untrusted', detail: 'rooted' }, calls),
        recorder('c', { outcome: 'pass' }, calls),
      ],
    });
    const d = await shield.check(request);
    expect(calls).toEqual(['a', 'b']);
    expect(d).toMatchObject({ allowed: false, status: 403, code: 'device_untrusted', ip: '203.0.113.5' });
    expect(d.results.map((r) => [r.verifier, r.outcome])).toEqual([['a', 'pass'], ['b', 'deny']]);
  });

  it('monitor mode (global, per verifier, per route) records and continues', async () => {
    const calls: string[] = [];
    const verifiers = [recorder('b', { outcome: 'deny', code: 'device_untrusted' }, calls), recorder('c', { outcome: 'pass' }, calls)];
    const global = await createShield({ mode: 'monitor', verifiers }).check(request);
    expect(global).toMatchObject({ allowed: true, code: 'device_untrusted', mode: 'monitor' });
    const perVerifier = await createShield({ verifiers }).check(request, { verifiers: { b: 'monitor' } });
    expect(perVerifier).toMatchObject({ allowed: true, code: 'device_untrusted', mode: 'enforce' });
    expect(perVerifier.results[0]?.mode).toBe('monitor');
    const perRoute = await createShield({ verifiers, routes: { 'GET /things': { mode: 'monitor' } } }).check(request);
    expect(perRoute.allowed).toBe(true);
    const off = await createShield({ verifiers }).check(request, { verifiers: { b: 'off' } });
    expect(off).toMatchObject({ allowed: true });
    expect(off.code).toBeUndefined();
    expect(off.results[0]?.outcome).toBe('skip');
  });

  it('a throwing verifier fails closed with shield_unavailable (503) and is reported to onError', async () => {
    const errors: string[] = [];
    const thrower: Verifier = { name: 'boom', verify: () => { throw new Error('store down'); } };
    const shield = createShield({ verifiers: [thrower], onError: (_e, info) => void errors.push(info.verifier) });
    const d = await shield.check(request);
    expect(d).toMatchObject({ allowed: false, status: 503, code: 'shield_unavailable' });
    expect(errors).toEqual(['boom']);
    const problem = shield.respond(d, request);
    expect(problem.body).toEqual({
      type: 'https://github.com/mobile-api-shield/mobile-api-shield/blob/main/docs/problems/shield_unavailable.md',
      title: 'Request could not be verified',
      status: 503,
      code: 'shield_unavailable',
      reference: d.reference,
    });
  });

  it('a verifier that hangs times out and fails closed; failOpen lets it pass', async () => {
    const hang: Verifier = { name: 'slow', verify: () => new Promise(() => {}) };
    const started = Date.now();
    const d = await createShield({ verifiers: [hang], verifierTimeoutMs: 50 }).check(request);
    expect(d.code).toBe('shield_unavailable');
    expect(Date.now() - started).toBeLessThan(2_000);
    const open = await createShield({ verifiers: [{ ...hang, failOpen: true }], verifierTimeoutMs: 50 }).check(request);
    expect(open.allowed).toBe(true);
    expect(open.results[0]?.outcome).toBe('error');
  });

  it('routes table false exempts a route; an adapter route option false does too', async () => {
    const calls: string[] = [];
    const shield = createShield({ verifiers: [recorder('a', { outcome: 'deny', code: 'token_missing' }, calls)], routes: { 'GET /health': false } });
    expect((await shield.check({ ...request, path: '/health' })).allowed).toBe(true);
    expect((await shield.check(request, false)).allowed).toBe(true);
    expect(calls).toEqual([]);
    expect((await shield.check(request)).allowed).toBe(false);
  });

  it('onDecision sees every decision with a unique reference; a throwing hook does not break the request', async () => {
    const seen: Decision[] = [];
    const shield = createShield({
      verifiers: [{ name: 'p', verify: () => ({ outcome: 'pass' }) }],
      onDecision: (d) => {
        seen.push(d);
        throw new Error('logger broke');
      },
    });
    const a = await shield.check(request);
    const b = await shield.check(request);
    expect(seen).toEqual([a, b]);
    expect(a.reference).not.toBe(b.reference);
  });

  it('onDeny shapes the response', async () => {
    const shield = createShield({
      verifiers: [{ name: 'd', verify: () => ({ outcome: 'deny', code: 'login_locked', retryAfter: 30 }) }],
      onDeny: (_d, _r, response) => ({ ...response, body: { ...response.body, help: 'https://support.example/lockout' } }),
    });
    const d = await shield.check(request);
    const response = shield.respond(d, request);
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBe('30');
    expect(response.body.help).toBe('https://support.example/lockout');
  });
});

describe('what onDecision sees', () => {
  it('never holds a token, a credential, a body or a query', async () => {
    const { createTestAttester } = await import('../../src/testing/index.js');
    const attester = createTestAttester({ header: 'approov-token' });
    const token = await attester.mint({ bindTo: 'Bearer secret-session' });
    const seen: string[] = [];
    const shield = createShield({
      token: { secret: attester.secret as string, header: 'approov-token', binding: { claim: 'pay' } },
      redactHeaders: ['x-session'],
      onDecision: (d, r) => void seen.push(JSON.stringify({ d, r })),
    });
    const d = await shield.check({
      method: 'POST',
      path: '/login',
      ip: '127.0.0.1',
      query: 'password=hunter2',
      body: { password: 'hunter2' },
      headers: { 'approov-token': token, authorization: 'Bearer secret-session', cookie: 'sid=abc', 'x-session': 'zzz', 'user-agent': 'okhttp/4.12' },
    });
    expect(d.allowed).toBe(true);
    expect(seen).toHaveLength(1);
    const logged = seen[0] as string;
    for (const secret of [token, 'secret-session', 'sid=abc', 'zzz', 'hunter2']) expect(logged).not.toContain(secret);
    expect(logged).toContain('okhttp/4.12');
    expect(logged).toContain('[redacted]');
  });
});

describe('unexpected failures', () => {
  it('a verifier whose appliesTo throws fails closed instead of rejecting', async () => {
    const errors: string[] = [];
    const shield = createShield({
      verifiers: [{ name: 'odd', appliesTo: () => { throw new Error('bug'); }, verify: () => ({ outcome: 'pass' }) }],
      onError: (_e, info) => void errors.push(info.verifier),
    });
    const d = await shield.check(request);
    expect(d).toMatchObject({ allowed: false, status: 503, code: 'shield_unavailable' });
    expect(errors).toEqual(['core']);
  });
});
