/**
 * A verifier that throws `ShieldDenyError` (public API: "thrown from inside a verifier to deny with a specific code")
 * gets the code check a returned outcome gets: an unknown code (or one naming an Object.prototype member:
 * 'constructor', 'toString', '__proto__') is the verifier's error, shield_unavailable, reported to onError; it was
 * echoed to the client as is, or gave a Decision without a status that the adapter could not write (500). Codes and
 * problem details are looked up as own entries only.
 */
import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { SHIELD_CODES } from '../../src/core/codes.js';
import { ShieldDenyError } from '../../src/core/errors.js';
import { InvalidVerifierOutcomeError } from '../../src/core/outcome.js';
import { problemResponse } from '../../src/core/problem.js';
import { ShieldDecision } from '../../src/core/request-state.js';
import { defineVerifierModule } from '../../src/index.js';
import { createShield } from '../../src/shield.js';

const req = { method: 'GET', path: '/x', headers: {}, ip: '203.0.113.1' };

function app(code: string, onError?: (error: unknown, info: { verifier: string }) => void) {
  const shield = createShield({
    verifiers: [
      {
        name: 'custom',
        verify: () => {
          throw new ShieldDenyError(code as never, 'reason');
        },
      },
    ],
    ...(onError ? { onError } : {}),
  });
  const a = express();
  a.use(expressShield(shield) as never);
  a.get('/x', (_req, res) => res.send('handler'));
  return { shield, a };
}

describe('ShieldDenyError with a code the shield does not know', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('%s: answered with a problem+json of a stable code, not a 500', async (code) => {
    const response = await request(app(code).a).get('/x');
    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.code).toBe('shield_unavailable');
  });

  it('an unknown code is treated like an unknown returned code (shield_unavailable), not echoed', async () => {
    const { shield } = app('bogus_code');
    const decision = await shield.check(req);
    expect(decision).toMatchObject({ allowed: false, status: 503, code: 'shield_unavailable' });
    expect(decision.results).toEqual([expect.objectContaining({ verifier: 'custom', outcome: 'error', code: 'shield_unavailable' })]);
  });

  it('is reported to onError as the verifier failing to decide', async () => {
    const errors: [unknown, string][] = [];
    await app('bogus_code', (error, info) => void errors.push([error, info.verifier])).shield.check(req);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.[0]).toBeInstanceOf(InvalidVerifierOutcomeError);
    expect(String((errors[0]?.[0] as Error).message)).toContain('unknown deny code "bogus_code"');
    expect(errors[0]?.[1]).toBe('custom');
  });

  it('an asynchronous throw (a rejected verify) is checked the same way', async () => {
    const shield = createShield({ verifiers: [{ name: 'custom', verify: () => Promise.reject(new ShieldDenyError('constructor' as never)) }] });
    expect(await shield.check(req)).toMatchObject({ allowed: false, status: 503, code: 'shield_unavailable' });
  });

  it('a failOpen verifier passes an unknown thrown code like any error of its own', async () => {
    const shield = createShield({
      verifiers: [{ name: 'custom', failOpen: true, verify: () => { throw new ShieldDenyError('bogus_code' as never); } }],
    });
    expect(await shield.check(req)).toMatchObject({ allowed: true, code: undefined });
  });
});

describe('ShieldDenyError with a known code still denies with it', () => {
  it('a built-in code', async () => {
    const response = await request(app('payload_attack').a).get('/x');
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('payload_attack');
  });

  it("a module's declared code", async () => {
    const module = defineVerifierModule({
      key: 'versions',
      configSchema: z.object({}).strict(),
      codes: { app_too_old: { status: 426, title: 'Update required' } },
      create: () => ({ name: 'versions', verify: () => { throw new ShieldDenyError('app_too_old' as never); } }),
    });
    const shield = createShield({ modules: [module], versions: {} } as never);
    expect(await shield.check(req)).toMatchObject({ allowed: false, status: 426, code: 'app_too_old' });
  });
});

describe('codes and details are looked up as own entries', () => {
  const decisionWith = (code: string) =>
    new ShieldDecision(false, { code }, 'ref', 'enforce', '203.0.113.1', [], true, undefined, SHIELD_CODES, []);

  it.each(['constructor', 'toString', '__proto__'])('a Decision denied with %s gets the status of shield_unavailable', (code) => {
    expect(decisionWith(code).status).toBe(503);
  });

  it.each(['constructor', 'toString', '__proto__'])('problemResponse for %s: a 503 with a title and no inherited detail', (code) => {
    const response = problemResponse({ allowed: false, code, reference: 'ref', mode: 'enforce', ip: '', results: [], complete: true });
    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ status: 503, title: SHIELD_CODES.shield_unavailable.title });
    expect(response.body).not.toHaveProperty('detail');
    expect(() => JSON.stringify(response.body)).not.toThrow();
  });
});
