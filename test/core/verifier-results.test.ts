/**
 * A decision's results: a pass or skip without detail or duration is a shared frozen record (no allocation per
 * request), everything else is made per request; the list holds exactly the verifiers that answered, in order,
 * including when an enforce denial ends the loop early.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineVerifierModule } from '../../src/index.js';
import { createShield } from '../../src/shield.js';
import type { ShieldRequest } from '../../src/core/request.js';
import type { VerifierResult } from '../../src/core/decision.js';

/** A verifier answering as its `x-<key>` header says: `pass`, `pass-hit`, `detail`, `skip`, `deny`, `throw`. */
function scripted(key: string, order: number, failOpen = false) {
  return defineVerifierModule({
    key,
    order,
    configSchema: z.object({}).strict(),
    routeSchema: z.object({}).strict(),
    codes: { [`${key}_denied`]: { status: 403, title: `${key} denied` } },
    create: () => ({
      name: key,
      failOpen,
      verify(ctx) {
        switch (ctx.request.headers[`x-${key}`]) {
          case 'pass-hit':
            return { outcome: 'pass' as const, cache: 'hit' as const };
          case 'detail':
            return { outcome: 'pass' as const, detail: 'seen' };
          case 'skip':
            return { outcome: 'skip' as const };
          case 'deny':
            return { outcome: 'deny' as const, code: `${key}_denied` as never };
          case 'throw':
            throw new Error(`${key} broke`);
          default:
            return { outcome: 'pass' as const };
        }
      },
    }),
  });
}

const modules = [scripted('first', 110), scripted('second', 120), scripted('third', 130, true)];
const config = { modules, first: {}, second: {}, third: {}, onError: () => undefined } as never;

function req(headers: Record<string, string>): ShieldRequest {
  return { method: 'GET', path: '/x', headers, ip: '203.0.113.9' };
}

/** The results of the scripted verifiers (the built-in modules configured by default are left out). */
function own(results: readonly VerifierResult[]): VerifierResult[] {
  return results.filter((r) => r.verifier === 'first' || r.verifier === 'second' || r.verifier === 'third');
}

describe('decision results', () => {
  it('shares one frozen record per verifier, outcome, mode and cache answer across requests', async () => {
    const shield = createShield(config);
    const a = own((await shield.check(req({ 'x-first': 'pass-hit', 'x-second': 'skip' }))).results);
    const b = own((await shield.check(req({ 'x-first': 'pass-hit', 'x-second': 'skip' }))).results);
    expect(a.map((r) => `${r.verifier}:${r.outcome}:${r.cache ?? ''}`)).toEqual(['first:pass:hit', 'second:skip:', 'third:pass:']);
    for (let i = 0; i < a.length; i++) {
      expect(b[i]).toBe(a[i]);
      expect(Object.isFrozen(a[i])).toBe(true);
    }
    // Another cache answer, outcome or mode is another record, with its own fields.
    const c = own((await shield.check(req({ 'x-first': 'pass', 'x-second': 'pass' }))).results);
    expect(c[0]).not.toBe(a[0]);
    expect(c[0]).toMatchObject({ verifier: 'first', outcome: 'pass', cache: undefined });
    expect(c[1]).toMatchObject({ verifier: 'second', outcome: 'pass' });
    const monitored = own((await shield.check(req({ 'x-first': 'pass-hit' }), { mode: 'monitor' })).results);
    expect(monitored[0]).not.toBe(a[0]);
    expect(monitored[0]).toMatchObject({ verifier: 'first', outcome: 'pass', mode: 'monitor', cache: 'hit' });
  });

  it('makes a record per request for a detail, a code, an error or a duration', async () => {
    const shield = createShield(config);
    const headers = { 'x-first': 'detail', 'x-second': 'pass', 'x-third': 'throw' };
    const a = own((await shield.check(req(headers))).results);
    const b = own((await shield.check(req(headers))).results);
    expect(a[0]).toMatchObject({ verifier: 'first', outcome: 'pass', detail: 'seen' });
    expect(b[0]).not.toBe(a[0]);
    expect(a[2]).toMatchObject({ verifier: 'third', outcome: 'error' }); // fails open: listed, not denied
    expect(b[2]).not.toBe(a[2]);
    const timed = createShield({ ...(config as object), timings: true } as never);
    const t1 = own((await timed.check(req({}))).results);
    const t2 = own((await timed.check(req({}))).results);
    expect(typeof t1[0]!.durationMs).toBe('number');
    expect(t2[0]).not.toBe(t1[0]);
  });

  it('lists exactly the verifiers that answered when an enforce denial ends the loop', async () => {
    const shield = createShield(config);
    const decision = await shield.check(req({ 'x-first': 'pass', 'x-second': 'deny' }));
    expect(decision.allowed).toBe(false);
    expect(decision.code).toBe('second_denied');
    const names = decision.results.map((r) => r.verifier);
    expect(names.slice(-2)).toEqual(['first', 'second']);
    expect(names).not.toContain('third');
    // No holes: every index holds a result, and the length is the count.
    expect(Object.keys(decision.results).length).toBe(decision.results.length);
    expect(decision.results.every((r) => r !== undefined)).toBe(true);
    expect(JSON.parse(JSON.stringify(decision.results))).toHaveLength(decision.results.length);
  });
});
