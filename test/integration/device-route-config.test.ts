/**
 * A route sensitivity the device policy does not define is a configuration error when the route options are read
 * (createShield's routes table, the adapters' route options), not an error on every request, which `failOpen` would
 * then pass with no device check at all.
 */
import type { AddressInfo } from 'node:net';
import fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { koaShield } from '../../src/adapters/koa.js';
import { ShieldConfigError } from '../../src/core/errors.js';
import { createShield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';

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
    const errors: unknown[] = [];
    const shield = createShield({ device, onError: (e) => void errors.push(e) });
    const direct = await shield.check({ method: 'POST', path: '/payments', headers: {}, ip: '203.0.113.5' }, { device: { sensitivity: 'paymnets' } });
    expect(direct).toMatchObject({ allowed: false, code: 'shield_unavailable' });
    expect(errors.at(-1)).toBeInstanceOf(ShieldConfigError);
    expect(String(errors.at(-1))).toMatch(/paymnets/);
    const app = fastify();
    app.post('/payments', { config: { shield: { device: { sensitivity: 'paymnets' } } } }, async () => ({ ok: true }));
    await app.register(fastifyShield, { shield });
    const res = await app.inject({ method: 'POST', url: '/payments', payload: {} });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('shield_unavailable');
    await app.close();
  });
});

describe('route options the shield meets unvalidated are validated once, failing closed', () => {
  const attester = createTestAttester();
  const token = { secret: attester.secret as string, header: 'x-attestation-token' };

  it('a misspelt mode on a Fastify route declared before the plugin refuses instead of monitoring', async () => {
    const shield = createShield({ token });
    const app = fastify();
    app.get('/transfer', { config: { shield: { mode: 'Enforce' } as never } }, async () => ({ handler: 'ran' }));
    app.get('/monitored', { config: { shield: { mode: 'monitor' } } }, async () => ({ handler: 'ran' }));
    await app.register(fastifyShield, { shield });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const misspelt = await fetch(`${url}/transfer`);
      expect(misspelt.status).toBe(503);
      expect(((await misspelt.json()) as { code: string }).code).toBe('shield_unavailable');
      // Valid options declared the same way still apply.
      expect((await fetch(`${url}/monitored`)).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('a direct check with a misspelt verifier mode is refused, a valid one applies', async () => {
    const shield = createShield({ token });
    const request = { method: 'GET', path: '/transfer', headers: {}, ip: '203.0.113.5' };
    expect(await shield.check(request, { verifiers: { token: 'enforced' } } as never)).toMatchObject({ allowed: false, code: 'shield_unavailable' });
    expect(await shield.check(request, { verifiers: { token: 'monitor' } })).toMatchObject({ allowed: true });
  });
});
