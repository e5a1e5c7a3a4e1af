/**
 * Every verifier, plain (`verifiers`) or built by a module's `create`, is checked against the Verifier contract once
 * at createShield: the verifier loop trusts `mode`, `timeoutMs`, `failOpen` and `stage` on every request, and a wrong
 * one fails silently there (a mode that is not 'enforce'/'monitor' acted as monitor, so failed open; a timeoutMs that
 * is Infinity, a string or huge disabled the deadline, so a never-settling verify hung the request forever).
 */
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { defineVerifierModule } from '../../src/index.js';
import { createShield } from '../../src/shield.js';
import { ShieldConfigError } from '../../src/core/errors.js';

const req = { method: 'GET', path: '/', headers: {}, ip: '203.0.113.1' };
const deny = () => ({ outcome: 'deny' as const, code: 'payload_attack' as const });

/** The decision, or the config error createShield threw (either is an acceptable fix). */
async function outcome(config: object, ms = 3000): Promise<'config-error' | 'hang' | { allowed: boolean }> {
  let shield;
  try {
    shield = createShield(config as never);
  } catch (error) {
    if (error instanceof ShieldConfigError) return 'config-error';
    throw error;
  }
  const result = await Promise.race([shield.check(req), new Promise<'hang'>((r) => setTimeout(() => r('hang'), ms))]);
  return result === 'hang' ? 'hang' : { allowed: result.allowed };
}

function issues(config: object): readonly { path: string; message: string }[] {
  try {
    createShield(config as never);
  } catch (error) {
    expect(error).toBeInstanceOf(ShieldConfigError);
    return (error as ShieldConfigError).issues;
  }
  throw new Error('createShield accepted the configuration');
}

/** A module whose `create` returns `verifier`. */
const moduleBuilding = (verifier: object) =>
  defineVerifierModule({ key: 'custom', configSchema: z.object({}).strict(), create: () => verifier as never });

describe('verifier mode is validated (a typo must not fail open)', () => {
  it.each(['block', 'Enforce', 'enforced', ''])('mode %j: refused at createShield or enforced', async (mode) => {
    const result = await outcome({ verifiers: [{ name: 'v', mode, verify: deny }] });
    expect(result === 'config-error' || (typeof result === 'object' && result.allowed === false)).toBe(true);
  });

  it('the error names the verifier and its place', () => {
    expect(issues({ verifiers: [{ name: 'v', mode: 'block', verify: deny }] })).toEqual([
      { path: 'verifiers.0', message: `verifier "v": mode must be 'enforce' or 'monitor'` },
    ]);
  });
});

describe('verifier timeoutMs is validated (no verify may hang a request forever)', () => {
  it.each([Infinity, '100', 1e12])('timeoutMs %j: refused at createShield or the verify times out', async (timeoutMs) => {
    const result = await outcome({ verifierTimeoutMs: 200, verifiers: [{ name: 'v', timeoutMs, verify: () => new Promise(() => {}) }] }, 3000);
    expect(result === 'config-error' || (typeof result === 'object' && result.allowed === false)).toBe(true);
  });

  it.each([0, -1, 1.5, NaN, 120_001, null])('timeoutMs %s: refused', (timeoutMs) => {
    expect(issues({ verifiers: [{ name: 'v', timeoutMs, verify: deny }] })[0]?.message).toMatch(/^verifier "v": timeoutMs must be an integer/);
  });
});

describe('the other declared fields are validated', () => {
  it.each([
    ['failOpen', 'yes', /failOpen must be a boolean/],
    ['failOpen', 1, /failOpen must be a boolean/],
    ['stage', 'Body', /stage must be 'headers' or 'body'/],
    ['modeFollows', 3, /modeFollows must be a verifier name/],
    ['appliesTo', true, /appliesTo must be a function/],
    ['onResponse', 'later', /onResponse must be a function/],
    ['wantsRawBody', {}, /wantsRawBody must be a function/],
  ])('%s: %j is refused', (field, value, message) => {
    expect(issues({ verifiers: [{ name: 'v', verify: deny, [field]: value }] })[0]?.message).toMatch(message);
  });

  it('a verifier without verify or name is refused', () => {
    expect(issues({ verifiers: [{ name: 'v' }] })[0]?.message).toBe('verifier "v": verify must be a function');
    expect(issues({ verifiers: [{ verify: deny }] })[0]?.message).toBe('must be a verifier object { name, verify(ctx) }');
  });
});

describe("a module's verifiers are held to the same contract", () => {
  it.each([
    [{ mode: 'block' }, `verifier "custom": mode must be 'enforce' or 'monitor'`],
    [{ timeoutMs: Infinity }, 'verifier "custom": timeoutMs must be an integer of milliseconds from 1 to 120000'],
    [{ failOpen: 'false' }, 'verifier "custom": failOpen must be a boolean'],
    [{ stage: 'request' }, `verifier "custom": stage must be 'headers' or 'body'`],
  ])('%o: refused, under the module key', (fields, message) => {
    const module = moduleBuilding({ name: 'custom', verify: deny, ...fields });
    expect(issues({ modules: [module], custom: {} })).toEqual([{ path: 'custom', message }]);
  });

  it('a never-settling module verifier with timeoutMs Infinity cannot hang a request', async () => {
    const module = moduleBuilding({ name: 'custom', timeoutMs: Infinity, verify: () => new Promise(() => {}) });
    expect(await outcome({ verifierTimeoutMs: 200, modules: [module], custom: {} })).toBe('config-error');
  });
});

describe('valid verifiers are accepted', () => {
  it('every declared field at a valid value', async () => {
    const verifier = {
      name: 'v',
      stage: 'headers',
      mode: 'monitor',
      modeFollows: 'other',
      failOpen: true,
      timeoutMs: 100,
      appliesTo: () => true,
      wantsRawBody: () => false,
      checkRouteOptions: () => undefined,
      sensitiveHeaders: () => [],
      onResponse: () => undefined,
      verify: deny,
    };
    const decision = await createShield({ verifiers: [verifier, { name: 'w', stage: 'body', mode: 'enforce', verify: deny }] } as never).check(req);
    expect(decision.results.map((r) => [r.verifier, r.mode, r.outcome])).toEqual([['v', 'monitor', 'deny'], ['w', 'enforce', 'deny']]);
    expect(decision.allowed).toBe(false);
  });

  it("the token verifier's own deadline (jwksTimeoutMs + 1 s) at the largest jwksTimeoutMs", () => {
    expect(() => createShield({ token: { jwksUrl: 'https://keys.example.com/jwks.json', jwksTimeoutMs: 60_000 } })).not.toThrow();
  });
});
