/**
 * A route sensitivity the device policy does not define is a configuration error when the route options are read
 * (createShield's routes table, the adapters' route options), not an error on every request, which `failOpen` would
 * then pass with no device check at all.
 */
import fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { koaShield } from '../../src/adapters/koa.js';
import { ShieldConfigError } from '../../src/core/errors.js';
import { createShield } from '../../src/shield.js';

const device = { failOpen: true, policy: { sensitivities: { payments: { requiredLevel: 'MEETS_STRONG_INTEGRITY' as const } } } };

describe('an unknown device sensitivity in route options', () => {
  it('the routes table: createShield throws, naming the route and the known names', () => {
    expect(() => createShield({ device, routes: { 'POST /payments': { device: { sensitivity: 'paymnets' } } } })).toThrow(ShieldConfigError);
    expect(() => createShield({ device, routes: { 'POST /payments': { device: { sensitivity: 'paymnets' } } } })).toThrow(
      /routes\.POST \/payments: device\.sensitivity "paymnets" is not one of device\.policy\.sensitivities \(payments\)/,
    );
    expect(() => createShield({ device, routes: { 'POST /payments': { device: { sensitivity: 'payments' } } } })).not.toThrow();
  });

  it('adapter route options: Express and Koa middleware construction, Fastify route declaration', async () => {
    const shield = createShield({ device });
    expect(() => expressShield(shield, { device: { sensitivity: 'paymnets' } })).toThrow(/paymnets/);
    expect(() => koaShield(shield, { device: { sensitivity: 'paymnets' } })).toThrow(/paymnets/);
    expect(() => expressShield(shield, { device: { sensitivity: 'payments' } })).not.toThrow();
    const app = fastify();
    await app.register(fastifyShield, { shield });
    expect(() => app.post('/payments', { config: { shield: { device: { sensitivity: 'paymnets' } } } }, async () => ({}))).toThrow(/paymnets/);
    await app.close();
    // A shield without a device section has no sensitivities to check against.
    expect(() => expressShield(createShield({}), {})).not.toThrow();
  });

  it('options the shield never read first (a Fastify route declared before the plugin, a direct check) deny, failOpen or not', async () => {
    const shield = createShield({ device });
    const direct = await shield.check({ method: 'POST', path: '/payments', headers: {}, ip: '203.0.113.5' }, { device: { sensitivity: 'paymnets' } });
    expect(direct).toMatchObject({ allowed: false, code: 'device_untrusted' });
    const app = fastify();
    app.post('/payments', { config: { shield: { device: { sensitivity: 'paymnets' } } } }, async () => ({ ok: true }));
    await app.register(fastifyShield, { shield });
    const res = await app.inject({ method: 'POST', url: '/payments', payload: {} });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('device_untrusted');
    await app.close();
  });
});
