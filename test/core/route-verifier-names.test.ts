/**
 * A route's `verifiers` may only name verifiers the shield runs: a misspelt name (`tokn`, `device` for
 * `device-risk`) left the route under the mode it meant to change, e.g. monitoring where the operator asked to
 * enforce (found by review). Refused as a ShieldConfigError in the routes table and in route-level adapter options.
 */
import { describe, expect, it } from 'vitest';
import { createShield, ShieldConfigError } from '../../src/index.js';
import { expressShield } from '../../src/adapters/express.js';

const SECRET = Buffer.alloc(32, 7).toString('base64');
const routed = (verifiers: Record<string, 'enforce' | 'monitor' | 'off'>) =>
  createShield({ mode: 'monitor', token: { secret: SECRET }, payload: {}, routes: { 'POST /transfer': { verifiers } } });

describe('route option `verifiers` names', () => {
  it('refuses a name no verifier of the shield has, in the routes table, naming the path and the names it runs', () => {
    expect(() => routed({ tokn: 'enforce' })).toThrow(ShieldConfigError);
    try {
      routed({ device: 'off' });
    } catch (error) {
      expect((error as ShieldConfigError).message).toContain('routes.POST /transfer.verifiers.device');
      expect((error as ShieldConfigError).message).toContain('token, payload-shield');
    }
    expect(() => routed({ 'device-risk': 'off' })).toThrow(ShieldConfigError);
  });

  it('refuses it in adapter route options', () => {
    const shield = createShield({ mode: 'monitor', token: { secret: SECRET } });
    expect(() => expressShield(shield, { verifiers: { device: 'off' } })).toThrow(ShieldConfigError);
  });

  it('accepts the names the shield runs, and a misspelling-free route enforces as asked', async () => {
    const shield = routed({ token: 'enforce', 'payload-shield': 'monitor' });
    const decision = await shield.check({ method: 'POST', path: '/transfer', headers: {}, ip: '203.0.113.9', route: 'POST /transfer' });
    expect(decision.allowed).toBe(false);
    expect(decision.code).toBe('token_missing');
  });
});
