/**
 * Routes registered in an order that makes an earlier route run for a path a later table entry names. Express and
 * Koa try routes in registration order: with `/products/:id` registered before `/products/featured`, the `:id`
 * handler runs for `/products/featured`, and the table's exemption for the featured route must not reach it (nor a
 * relaxed entry the handler that runs does not have). Fastify runs the static route; it must still be exempt there.
 * Raw request lines over real sockets, every adapter.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { createShield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, recordingRoutes, type RunningApp } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

const attester = createTestAttester({ header: 'approov-token' });
const USER = 'Bearer alice';

/** 0 exempt, 1 token without binding, 2 bound token (the global options). */
type Level = 0 | 1 | 2;

// Parameter routes first, on purpose: the static routes after them never run on Express and Koa.
const HANDLERS: readonly { name: string; path: string; level: Level }[] = [
  { name: 'product', path: '/products/:id', level: 2 },
  { name: 'featured', path: '/products/featured', level: 0 },
  { name: 'section', path: '/:section/info', level: 2 },
  { name: 'public', path: '/public/info', level: 0 },
  { name: 'field', path: '/account/:field', level: 2 },
  { name: 'avatar', path: '/account/avatar', level: 1 },
];

const ROUTES = {
  'GET /products/featured': false,
  '/public/*': false,
  'GET /account/avatar': { token: { binding: false } },
  'GET /account/:field': {},
} as const;

const ALLOWED_LEVEL = { none: 0, mismatched: 1, bound: 2 } as const;

async function credentials(kind: keyof typeof ALLOWED_LEVEL): Promise<Record<string, string>> {
  if (kind === 'none') return {};
  const token = await attester.mint({ bindTo: USER });
  return { authorization: kind === 'bound' ? USER : 'Bearer mallory', 'approov-token': token };
}

for (const adapter of ADAPTERS) {
  describe(`routes registered parameter-first (${adapter.name})`, () => {
    let app: RunningApp;
    let port: number;
    const ran: string[] = [];
    beforeAll(async () => {
      const shield = createShield({ token: approov({ secret: attester.secret as string }), routes: { ...ROUTES } });
      app = await adapter.start(shield, recordingRoutes(HANDLERS, ran));
      port = (app.server.address() as AddressInfo).port;
    });
    afterAll(() => app.close());

    it('a table entry for a path is applied only when its route is the one that runs', async () => {
      const violations: string[] = [];
      for (const kind of ['none', 'mismatched', 'bound'] as const) {
        const headers = await credentials(kind);
        for (const target of ['/products/featured', '/public/info', '/account/avatar', '/account/email', '/products/42']) {
          for (const method of ['GET', 'HEAD'] as const) {
            ran.length = 0;
            const res = await rawRequest(port, method, target, headers);
            expect(res.status, `${method} ${target}`).not.toBe(500);
            for (const name of ran) {
              const level = HANDLERS.find((h) => h.name === name)!.level;
              if (level > ALLOWED_LEVEL[kind]) violations.push(`${kind}: ${method} ${target} ran ${name} (${res.status})`);
            }
          }
        }
      }
      expect(violations).toEqual([]);
    });

    it('serves each route the framework runs with the credentials its own entry asks for', async () => {
      // Express and Koa run the parameter route for the static spellings; Fastify runs the static route.
      const staticFirst = adapter.name.startsWith('fastify');
      const cases: readonly (readonly [string, keyof typeof ALLOWED_LEVEL, string])[] = [
        ['/products/featured', staticFirst ? 'none' : 'bound', staticFirst ? 'featured' : 'product'],
        ['/public/info', staticFirst ? 'none' : 'bound', staticFirst ? 'public' : 'section'],
        ['/account/avatar', staticFirst ? 'mismatched' : 'bound', staticFirst ? 'avatar' : 'field'],
      ];
      for (const [target, kind, handler] of cases) {
        ran.length = 0;
        const res = await rawRequest(port, 'GET', target, await credentials(kind));
        expect([target, res.status, ran]).toEqual([target, 200, [handler]]);
      }
    });
  });
}

describe('routes table keys', () => {
  it('refuses a HEAD key: every framework answers HEAD with the GET handler, which a GET key covers', () => {
    expect(() => createShield({ routes: { 'HEAD /api/export': false } })).toThrow(/HEAD keys are not supported/);
    expect(() => createShield({ routes: { 'GET /api/export': false } })).not.toThrow();
  });
});
