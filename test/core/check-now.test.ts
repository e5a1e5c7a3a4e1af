/**
 * `checkNow` answers synchronously when every verifier did, and otherwise continues after the first pending one in
 * the same order with the same state: the same decisions as `check`, which the adapters no longer wait on for the
 * common (cached) request.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineVerifierModule } from '../../src/index.js';
import { createShield } from '../../src/shield.js';
import type { ShieldRequest } from '../../src/core/request.js';

type Step = 'pass' | 'deny' | 'throw' | 'async-pass' | 'async-deny' | 'async-reject';

/** A module whose verifier answers as the request's `x-<name>` header says, synchronously or not. */
function scripted(key: string, order: number) {
  return defineVerifierModule({
    key,
    order,
    configSchema: z.object({}).strict(),
    routeSchema: z.object({}).strict(),
    codes: { [`${key}_denied`]: { status: 403, title: `${key} denied` } },
    create: () => ({
      name: key,
      verify(ctx) {
        const step = ctx.request.headers[`x-${key}`] as Step | undefined;
        const deny = { outcome: 'deny' as const, code: `${key}_denied` as never };
        switch (step) {
          case 'deny':
            return deny;
          case 'throw':
            throw new Error(`${key} broke`);
          case 'async-pass':
            return new Promise((resolve) => setImmediate(() => resolve({ outcome: 'pass' as const })));
          case 'async-deny':
            return Promise.resolve(deny);
          case 'async-reject':
            return Promise.reject(new Error(`${key} failed later`));
          default:
            return { outcome: 'pass' as const };
        }
      },
    }),
  });
}

const shield = createShield({ modules: [scripted('first', 110), scripted('second', 120)], first: {}, second: {}, onError: () => undefined } as never);

function req(first: Step, second: Step): ShieldRequest {
  return { method: 'GET', path: '/x', headers: { 'x-first': first, 'x-second': second }, ip: '203.0.113.9' };
}

/** The fields that make a decision, whichever entry point made it. */
function summary(decision: { allowed: boolean; code?: string; results: readonly { verifier: string; outcome: string; code?: string }[] }) {
  return {
    allowed: decision.allowed,
    code: decision.code,
    results: decision.results.filter((r) => r.verifier === 'first' || r.verifier === 'second').map((r) => `${r.verifier}:${r.outcome}:${r.code ?? ''}`),
  };
}

const STEPS: Step[] = ['pass', 'deny', 'throw', 'async-pass', 'async-deny', 'async-reject'];

describe('checkNow', () => {
  it('is synchronous exactly when every verifier that ran answered synchronously', () => {
    expect(shield.checkNow(req('pass', 'pass'))).not.toBeInstanceOf(Promise);
    expect(shield.checkNow(req('deny', 'async-pass'))).not.toBeInstanceOf(Promise); // enforce: the loop stops at the deny
    expect(shield.checkNow(req('throw', 'pass'))).not.toBeInstanceOf(Promise); // fail closed, synchronously
    expect(shield.checkNow(req('pass', 'async-pass'))).toBeInstanceOf(Promise);
    expect(shield.checkNow(req('async-pass', 'pass'))).toBeInstanceOf(Promise);
  });

  it('makes the same decision as check for every combination of answers (differential)', async () => {
    for (const first of STEPS) {
      for (const second of STEPS) {
        const now = await shield.checkNow(req(first, second));
        const later = await shield.check(req(first, second));
        expect(summary(now), `${first}/${second}`).toEqual(summary(later));
        const failed = [first, second].some((s) => s === 'deny' || s === 'throw' || s === 'async-deny' || s === 'async-reject');
        expect(now.allowed, `${first}/${second}`).toBe(!failed);
      }
    }
  });

  it('keeps verifier order across an asynchronous answer and stops at an enforced denial', async () => {
    const decision = await shield.checkNow(req('async-deny', 'pass'));
    expect(summary(decision)).toEqual({ allowed: false, code: 'first_denied', results: ['first:deny:first_denied'] });
    const both = await shield.checkNow(req('async-pass', 'deny'));
    expect(summary(both)).toEqual({ allowed: false, code: 'second_denied', results: ['first:pass:', 'second:deny:second_denied'] });
  });

  it('never throws or rejects: a malformed request fails closed as shield_unavailable', async () => {
    const broken = shield.checkNow(null as never);
    const decision = broken instanceof Promise ? await broken : broken;
    expect(decision).toMatchObject({ allowed: false, code: 'shield_unavailable', status: 503 });
    await expect(shield.check(null as never)).resolves.toMatchObject({ allowed: false, code: 'shield_unavailable' });
  });
});
