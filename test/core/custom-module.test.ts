/**
 * A user's own verifier module, written only against the public contract, gets what a built-in one gets: its config
 * validated, its route options (table and adapters), its codes in problem responses, monitor mode, fail-closed
 * handling, and checked results — here an allow-list of app versions.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineVerifierModule, ShieldConfigError, type VerifierModule } from '../../src/index.js';
import { expressShield } from '../../src/adapters/express.js';
import { createShield } from '../../src/shield.js';
import { ADAPTERS, type RunningApp } from '../helpers/adapters.js';

/** How the module's options are typed into `createShield` and the adapters: type parameters, no augmentation. */
type AppVersionRoute = { appVersions?: { allowed?: string[] } | false };
type AppVersionConfig = { appVersions?: { allowed: string[]; header?: string } };

const appVersions = defineVerifierModule({
  key: 'appVersions',
  order: 150, // after the token, before the device
  configSchema: z.object({ allowed: z.array(z.string().min(1)).min(1), header: z.string().default('x-app-version') }).strict(),
  routeSchema: z.object({ allowed: z.array(z.string().min(1)).min(1).optional() }).strict(),
  codes: { app_version_retired: { status: 426, title: 'Update required' } },
  sensitiveHeaders: () => ['x-install-secret'],
  create: (config) => ({
    name: 'app-versions',
    verify(ctx) {
      const route = (ctx.route as { appVersions?: { allowed?: string[] } }).appVersions;
      const allowed = route?.allowed ?? config.allowed;
      const version = ctx.request.headers[config.header];
      if (version === 'explode') throw new Error('version service down');
      if (version === 'nonsense') return { outcome: 'deny', code: 'no_such_code' } as never;
      return typeof version === 'string' && allowed.includes(version)
        ? { outcome: 'pass' }
        : { outcome: 'deny', code: 'app_version_retired', detail: 'version not allowed' };
    },
  }),
});

describe('a custom verifier module through the public contract', () => {
  it('validates its config section and its route options like a built-in module', () => {
    expect(() => createShield<AppVersionRoute, AppVersionConfig>({ modules: [appVersions], appVersions: { allowed: [] } })).toThrow(ShieldConfigError);
    expect(() => createShield<AppVersionRoute, AppVersionConfig>({ modules: [appVersions], appVersions: { allowed: ['1'], extra: 1 } as never })).toThrow(/appVersions\.extra/);
    expect(() => createShield<AppVersionRoute, AppVersionConfig>({ modules: [appVersions], appVersions: { allowed: ['1'] }, routes: { 'GET /x': { appVersions: { allowed: 5 } as never } } })).toThrow(
      /routes\.GET \/x\.appVersions\.allowed/,
    );
    expect(() => createShield<AppVersionRoute, AppVersionConfig>({ appVersions: { allowed: ['1'] } })).toThrow(/appVersions: unknown option/);
    expect(() => createShield({ modules: [appVersions, appVersions] })).toThrow(/already registered/);
    expect(() => createShield({ modules: [{ ...appVersions, key: 'routes' } as VerifierModule] })).toThrow(/already registered/);
  });

  const shield = createShield<AppVersionRoute, AppVersionConfig>({
    modules: [appVersions],
    appVersions: { allowed: ['2.0', '2.1'] },
    routes: {
      'GET /legacy': { appVersions: { allowed: ['1.9'] } },
      'GET /watch': { verifiers: { 'app-versions': 'monitor' } },
      'GET /open': { appVersions: false },
    },
    onError: () => undefined,
  });
  const check = (path: string, version?: string) =>
    shield.check({ method: 'GET', path, ip: '127.0.0.1', headers: version === undefined ? {} : { 'x-app-version': version } });

  it('runs in its order with its route options, monitor mode and off switch', async () => {
    expect((await check('/x', '2.0')).allowed).toBe(true);
    const denied = await check('/x', '1.0');
    expect(denied).toMatchObject({ allowed: false, status: 426, code: 'app_version_retired' });
    expect(shield.respond(denied, { method: 'GET', path: '/x', ip: '', headers: {} }).body).toMatchObject({ status: 426, title: 'Update required' });
    expect((await check('/legacy', '1.9')).allowed).toBe(true);
    expect((await check('/legacy', '2.0')).allowed).toBe(false);
    expect(await check('/watch', '1.0')).toMatchObject({ allowed: true, code: 'app_version_retired' });
    expect((await check('/open', '0.1')).results.find((r) => r.verifier === 'app-versions')?.outcome).toBe('skip');
  });

  it('types its route options into the adapters, and the built-in ones stay typed', () => {
    expect(typeof expressShield(shield, { appVersions: { allowed: ['2.2'] }, token: false })).toBe('function');
    // @ts-expect-error a misspelt module key is a type error, not only a ShieldConfigError at startup
    expect(() => expressShield(shield, { appVersion: { allowed: ['2.2'] } })).toThrow(/appVersion: unknown option/);
    // @ts-expect-error so is a wrong type under a built-in key
    expect(() => expressShield(shield, { token: { binding: 'yes' } })).toThrow(ShieldConfigError);
  });

  it('fails closed when the module throws', async () => {
    expect(await check('/x', 'explode')).toMatchObject({ allowed: false, status: 503, code: 'shield_unavailable' });
  });

  it('masks the headers it declares sensitive in what onDecision sees', async () => {
    const seen: Record<string, unknown>[] = [];
    const logged = createShield<AppVersionRoute, AppVersionConfig>({ modules: [appVersions], appVersions: { allowed: ['2.0'] }, onDecision: (_d, r) => void seen.push(r.headers) });
    await logged.check({ method: 'GET', path: '/', ip: '127.0.0.1', headers: { 'x-app-version': '2.0', 'x-install-secret': 's3cret' } });
    expect(seen[0]?.['x-install-secret']).toBe('[redacted]');
  });

  for (const adapter of ADAPTERS.filter((a) => ['express5', 'koa3', 'fastify5'].includes(a.name))) {
    describe(`over HTTP (${adapter.name})`, () => {
      let app: RunningApp;
      beforeAll(async () => {
        app = await adapter.start(shield, [
          { method: 'GET', path: '/x' },
          { method: 'GET', path: '/beta', shield: { appVersions: { allowed: ['3.0-beta'] } } as never },
        ]);
      });
      afterAll(() => app.close());

      it('answers with the module code as problem+json, and honours adapter route options', async () => {
        const res = await request(app.server).get('/x').set('x-app-version', '1.0');
        expect(res.status).toBe(426);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.body.code).toBe('app_version_retired');
        expect((await request(app.server).get('/x').set('x-app-version', '2.1')).status).toBe(200);
        expect((await request(app.server).get('/beta').set('x-app-version', '3.0-beta')).status).toBe(200);
        expect((await request(app.server).get('/beta').set('x-app-version', '2.0')).status).toBe(426);
      });
    });
  }
});
