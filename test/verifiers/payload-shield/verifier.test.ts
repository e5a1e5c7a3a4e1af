import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BodyError } from '../../../src/core/body.js';
import type { ResolvedRouteOptions } from '../../../src/core/route-options.js';
import type { VerifierContext } from '../../../src/core/verifier.js';
import { createPayloadShieldVerifier, payloadShieldOptionsSchema, type PayloadRouteOptions } from '../../../src/verifiers/payload-shield/index.js';
import { request } from './helpers.js';

function ctx(body: unknown, route: ResolvedRouteOptions = {}, overrides: Parameters<typeof request>[0] = {}): VerifierContext {
  return {
    request: request(overrides),
    route,
    ip: '127.0.0.1',
    now: Date.now(),
    memo: new Map(),
    body: () => (body instanceof Error ? Promise.reject(body) : Promise.resolve(body)),
  };
}

/** The verifier's answer as a promise, whether it answered synchronously (a parsed body) or not. */
function verified(v: { verify(c: VerifierContext): unknown }, c: VerifierContext): Promise<unknown> {
  return Promise.resolve().then(() => v.verify(c));
}

describe('payload-shield verifier', () => {
  it('is a body-stage verifier named payload-shield', () => {
    const v = createPayloadShieldVerifier();
    expect(v.name).toBe('payload-shield');
    expect(v.stage).toBe('body');
  });
  it('denies attacks with payload_attack and passes clean requests', async () => {
    const v = createPayloadShieldVerifier();
    await expect(verified(v, ctx({ q: "' OR 1=1--" }))).resolves.toMatchObject({ outcome: 'deny', code: 'payload_attack' });
    await expect(verified(v, ctx({ q: 'hello' }))).resolves.toEqual({ outcome: 'pass' });
  });
  it('passes with a detail in monitor mode', async () => {
    const v = createPayloadShieldVerifier({ categories: { sqli: 'monitor' } });
    const outcome = await v.verify(ctx({ q: "' OR 1=1--" }));
    expect(outcome.outcome).toBe('pass');
    expect(outcome.detail).toMatch(/monitored .*sqli-/);
  });
  it('merges route options over the global ones and skips on false', async () => {
    const v = createPayloadShieldVerifier({ categories: { xss: 'monitor' } });
    const strict: PayloadRouteOptions = { categories: { xss: 'enforce' }, body: z.strictObject({ html: z.string() }) };
    const attack = { html: '<script>alert(1)</script>' };
    await expect(verified(v, ctx(attack))).resolves.toMatchObject({ outcome: 'pass' });
    await expect(verified(v, ctx(attack, { payload: strict } as ResolvedRouteOptions))).resolves.toMatchObject({ outcome: 'deny', code: 'payload_attack' });
    await expect(verified(v, ctx({ html: 'x', extra: 1 }, { payload: strict } as ResolvedRouteOptions))).resolves.toMatchObject({ code: 'payload_invalid' });
    await expect(verified(v, ctx(attack, { payload: false } as ResolvedRouteOptions))).resolves.toMatchObject({ outcome: 'skip' });
  });
  it('compiles route options once per route object (the same object gives the same compiled rules)', async () => {
    let calls = 0;
    const route = { payload: { virtualPatches: [{ id: 'vp', target: 'body.a', match: () => (calls++, false) }] } } as ResolvedRouteOptions;
    const v = createPayloadShieldVerifier();
    for (let i = 0; i < 3; i++) await v.verify(ctx({ a: 1 }, route));
    expect(calls).toBe(3);
  });
  it('checks size and media type before reading the body', async () => {
    const v = createPayloadShieldVerifier({ limits: { maxBodyBytes: 10 }, contentTypes: ['application/json'] });
    let read = false;
    const c = { ...ctx({}), request: request({ headers: { 'content-length': '11', 'content-type': 'application/json' } }), body: async () => ((read = true), {}) };
    await expect(verified(v, c)).resolves.toMatchObject({ code: 'payload_too_large' });
    const xml = { ...c, request: request({ headers: { 'content-length': '5', 'content-type': 'text/xml' } }) };
    await expect(verified(v, xml)).resolves.toMatchObject({ code: 'unsupported_media_type' });
    expect(read).toBe(false);
  });
  it('turns body errors into their deny code and rethrows anything else (fail closed)', async () => {
    const v = createPayloadShieldVerifier();
    await expect(verified(v, ctx(new BodyError('payload_malformed', 'bad json')))).resolves.toMatchObject({ outcome: 'deny', code: 'payload_malformed' });
    await expect(verified(v, ctx(new Error('store down')))).rejects.toThrow('store down');
  });
  it('rejects invalid options at construction and invalid route options at first use', async () => {
    expect(() => createPayloadShieldVerifier({ paranoia: 7 as 1 })).toThrow(/paranoia/);
    expect(() => createPayloadShieldVerifier({ virtualPatches: [{ id: 'x', match: /(a+)+$/ }] })).toThrow(/unsafe regular expression/);
    const v = createPayloadShieldVerifier();
    await expect(verified(v, ctx({}, { payload: { threshold: -1 } } as ResolvedRouteOptions))).rejects.toThrow(/threshold/);
  });
  it('validates with the exported schema', () => {
    expect(payloadShieldOptionsSchema.safeParse({ limits: { maxDepth: 10 }, categories: { sqli: 'monitor' } }).success).toBe(true);
    expect(payloadShieldOptionsSchema.safeParse({ limits: { maxDepht: 10 } }).success).toBe(false);
    expect(payloadShieldOptionsSchema.safeParse({ exclusions: [{ targets: ['nowhere.x'] }] }).success).toBe(false);
  });
  it('answers synchronously when the body is already parsed (no promise on the common path)', () => {
    const v = createPayloadShieldVerifier();
    const parsed = { ...ctx(undefined), bodyNow: () => ({ q: "' OR 1=1--" }) };
    expect(v.verify(parsed)).toMatchObject({ outcome: 'deny', code: 'payload_attack' });
    expect(v.verify({ ...parsed, bodyNow: () => ({ q: 'hello' }) })).toEqual({ outcome: 'pass' });
  });
});
