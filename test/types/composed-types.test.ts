/**
 * Type tests for the composed public types (checked by `npm run typecheck`, which CI runs; the runtime assertions
 * keep vitest honest): built-in module options are typed in `createShield`, the routes table and the adapters,
 * misspelt options are type errors, and a route's options never become required elsewhere.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { koaShield } from '../../src/adapters/koa.js';
import { approov } from '../../src/attestation/approov.js';
import { createShield, type Decision, type RouteOptions, type Shield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';

describe('composed types', () => {
  const shield = createShield({
    token: approov({ secret: createTestAttester().secret as string }),
    routes: { 'POST /login': { token: { binding: false } }, 'GET /health': false },
  });

  it('types the built-in route options in the adapters without making one route shape required', () => {
    expect(typeof expressShield(shield, { credentials: { login: { username: 'body.email' } } })).toBe('function');
    expect(typeof koaShield(shield, { payload: false, device: { sensitivity: 'payments' } })).toBe('function');
    // @ts-expect-error misspelt route option
    expect(() => expressShield(shield, { tokn: false })).toThrow();
    expectTypeOf(shield).toEqualTypeOf<Shield>();
    expectTypeOf<RouteOptions['token']>().toEqualTypeOf<import('../../src/verifiers/token/options.js').TokenRouteOptions | false | undefined>();
  });

  it('types the decision with the fields modules expose', async () => {
    const decision = await shield.check({ method: 'GET', path: '/health', ip: '127.0.0.1', headers: {} });
    expectTypeOf(decision).toEqualTypeOf<Decision>();
    expectTypeOf(decision.device).toEqualTypeOf<import('../../src/verifiers/device-risk/verifier.js').DeviceRiskMemo | undefined>();
    expect(decision.allowed).toBe(true);
  });

  it('refuses misspelt top-level options at compile time as well as at startup', () => {
    // @ts-expect-error misspelt option
    expect(() => createShield({ tokn: {} })).toThrow(/tokn/);
  });
});

describe('module APIs on the shield type', () => {
  it('types shield.credentials.reset', () => {
    const shield = createShield({ credentials: {} });
    expectTypeOf(shield.credentials.reset).parameter(0).toEqualTypeOf<import('../../src/index.js').CredentialResetTarget>();
    expectTypeOf(shield.credentials.reset).returns.resolves.toEqualTypeOf<import('../../src/index.js').CredentialResetResult>();
    // @ts-expect-error a field the target does not have
    void shield.credentials.reset({ user: 'alice' }).catch(() => undefined);
    expect(typeof shield.credentials.reset).toBe('function');
  });
});
