/**
 * Issue 10 item 3: a custom verifier's answer is an outcome only when it is `pass`, `skip` or `deny` with a known
 * code. Anything else (false, 'deny', {}, { outcome: 'DENY' }, { allowed: false }, an unknown code) is that verifier
 * failing to decide: `shield_unavailable`, reported to onError, through every adapter, sync and async.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShield } from '../../src/core/shield.js';
import type { Verifier } from '../../src/core/verifier.js';
import { ADAPTERS, type RunningApp } from '../helpers/adapters.js';

const MALFORMED: readonly [string, unknown][] = [
  ['false', false],
  ['"deny"', 'deny'],
  ['{}', {}],
  ['{ outcome: "DENY" }', { outcome: 'DENY' }],
  ['{ allowed: false }', { allowed: false }],
  ['undefined', undefined],
  ['null', null],
  ['deny with an unknown code', { outcome: 'deny', code: 'nope' }],
  ['deny without a code', { outcome: 'deny' }],
  ['an internal error outcome', { outcome: 'error' }],
  ['deny with a negative retryAfter', { outcome: 'deny', code: 'login_locked', retryAfter: -1 }],
  ['pass with an object detail', { outcome: 'pass', detail: { secret: 'x' } }],
];

/** One verifier answering, per request, what the `x-case` header selects (synchronously or after a tick). */
function selector(): Verifier {
  return {
    name: 'custom',
    verify(ctx) {
      const index = Number(ctx.request.headers['x-case']);
      const value = MALFORMED[index]?.[1];
      return (ctx.request.headers['x-async'] === '1' ? Promise.resolve(value) : value) as never;
    },
  };
}

for (const adapter of ADAPTERS) {
  describe(`malformed verifier outcomes through ${adapter.name}`, () => {
    let app: RunningApp;
    const errors: { verifier: string; error: unknown }[] = [];
    beforeAll(async () => {
      const shield = createShield({
        verifiers: [selector()],
        onError: (error, info) => void errors.push({ verifier: info.verifier, error }),
      });
      app = await adapter.start(shield, [{ method: 'GET', path: '/x' }]);
    });
    afterAll(() => app.close());

    it('every malformed answer, sync and async, is a 503 shield_unavailable reported to onError', async () => {
      for (const async of ['0', '1']) {
        for (let i = 0; i < MALFORMED.length; i++) {
          errors.length = 0;
          const res = await request(app.server).get('/x').set({ 'x-case': String(i), 'x-async': async });
          expect([MALFORMED[i]![0], res.status, res.body.code]).toEqual([MALFORMED[i]![0], 503, 'shield_unavailable']);
          expect(errors).toHaveLength(1);
          expect(errors[0]!.verifier).toBe('custom');
          expect((errors[0]!.error as Error).name).toBe('InvalidVerifierOutcomeError');
        }
      }
    });
  });
}

describe('malformed outcomes on the core', () => {
  it('a failOpen verifier with a malformed answer fails open (it is an error, not a deny)', async () => {
    const shield = createShield({ verifiers: [{ name: 'v', failOpen: true, verify: () => ({ allowed: false }) as never }] });
    const d = await shield.check({ method: 'GET', path: '/', headers: {}, ip: '127.0.0.1' });
    expect(d.allowed).toBe(true);
    expect(d.results[0]).toMatchObject({ outcome: 'error' });
  });

  it('valid outcomes are unchanged: pass, skip, and deny with a known code and Retry-After', async () => {
    const request = { method: 'GET', path: '/', headers: {}, ip: '127.0.0.1' };
    expect((await createShield({ verifiers: [{ name: 'p', verify: () => ({ outcome: 'pass' }) }] }).check(request)).allowed).toBe(true);
    expect((await createShield({ verifiers: [{ name: 's', verify: () => ({ outcome: 'skip', detail: 'n/a' }) }] }).check(request)).allowed).toBe(true);
    const d = await createShield({
      verifiers: [{ name: 'd', verify: async () => ({ outcome: 'deny', code: 'login_locked', retryAfter: 30 }) }],
    }).check(request);
    expect(d).toMatchObject({ allowed: false, code: 'login_locked', retryAfter: 30 });
  });
});
