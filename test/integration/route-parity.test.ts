/**
 * Routing parity: the options a request is checked under are those of the handler the framework runs for it.
 *
 * Every adapter × framework major gets the same app and routes table; a generated set of request-target spellings
 * (fragments, absolute form, `;`, encoded letters and slashes, case, `//`, `/./`, `/../`, trailing slash) is sent
 * with HEAD/GET/POST/OPTIONS over a raw socket, so nothing normalises the request line on the way. For every
 * spelling that reaches a handler, the test asserts the shield checked it under at least that handler's options:
 * exempt handlers may run without a token, the relaxed login handler with a token whose binding does not match,
 * strict handlers only with a correctly bound token.
 */
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import type { Shield } from '../../src/shield.js';
import { createShield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, recordingRoutes, type RunningApp, type TestRoute } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

const attester = createTestAttester({ header: 'approov-token' });
const USER = 'Bearer alice';

/** How much a handler's table entry asks: 0 exempt, 1 token without binding, 2 bound token. */
type Level = 0 | 1 | 2;

interface Handler {
  name: string;
  method: TestRoute['method'];
  path: string;
  level: Level;
}

// Static routes first: Express and Koa try routes in registration order (Fastify prefers static ones anyway).
const HANDLERS: readonly Handler[] = [
  { name: 'featured', method: 'GET', path: '/products/featured', level: 0 },
  { name: 'product', method: 'GET', path: '/products/:id', level: 2 },
  { name: 'login', method: 'POST', path: '/login', level: 1 },
  { name: 'public', method: 'GET', path: '/public/info', level: 0 },
  { name: 'me', method: 'GET', path: '/api/me', level: 2 },
  { name: 'orders', method: 'POST', path: '/api/orders', level: 2 },
  // A key with a capital under an exemption: case-insensitive routers run it for its lower-case spelling too.
  { name: 'signIn', method: 'POST', path: '/auth/signIn', level: 1 },
];

const ROUTES = {
  'GET /products/featured': false,
  'GET /products/:id': {},
  'POST /login': { token: { binding: false } },
  '/public/*': false,
  '/api/*': {},
  'POST /auth/signIn': { token: { binding: false } },
  '/auth/*': false,
} as const;

/** Request-target spellings of a path that some router may send to the same (or another) handler. */
function spellings(path: string): string[] {
  const segments = path.split('/').slice(1);
  const last = segments[segments.length - 1] ?? '';
  const head = `/${segments.slice(0, -1).join('/')}${segments.length > 1 ? '/' : ''}`;
  const hex = (c: string, upper: boolean) => `%${c.charCodeAt(0).toString(16)[upper ? 'toUpperCase' : 'toLowerCase']()}`;
  const out = new Set<string>([
    path,
    `${path}#x`,
    `${path}?q=1#x`,
    `http://api.example${path}`,
    `http://evil.example${path}?a=b`,
    `${path};x`,
    `${path};jsessionid=1`,
    `${path}/`,
    `/${path}`,
    path.replace(/\//g, '//'),
    `/.${path}`,
    `/x/..${path}`,
    `${path}/.`,
    `${path}/..`,
    path.toUpperCase(),
    path.toLowerCase(),
    `${head}${last.charAt(0).toUpperCase()}${last.slice(1)}`,
    `${path}%2F`,
    `${path}%2f`,
    `${path}%20`,
    `${head}${hex(last.charAt(0), true)}${last.slice(1)}`,
    `${head}${last.slice(0, 1)}${hex(last.charAt(1), false)}${last.slice(2)}`,
    `${head}${last}%2F..%2F${last}`,
    path.replace(/\//g, '%2F'),
    `${path}\\`,
  ]);
  return [...out];
}

const METHODS = ['GET', 'HEAD', 'POST', 'OPTIONS'] as const;

async function credentials(kind: 'none' | 'mismatched' | 'bound'): Promise<Record<string, string>> {
  if (kind === 'none') return {};
  const token = await attester.mint({ bindTo: USER });
  return { authorization: kind === 'bound' ? USER : 'Bearer mallory', 'approov-token': token };
}

/** Highest handler level a request with these credentials may reach. */
const ALLOWED_LEVEL = { none: 0, mismatched: 1, bound: 2 } as const;

for (const adapter of ADAPTERS) {
  describe(`route parity over a raw socket (${adapter.name})`, () => {
    let shield: Shield;
    let app: RunningApp;
    let port: number;
    const ran: string[] = [];

    beforeAll(async () => {
      shield = createShield({ token: approov({ secret: attester.secret as string }), routes: { ...ROUTES } });
      app = await adapter.start(shield, recordingRoutes(HANDLERS, ran));
      port = (app.server.address() as AddressInfo).port;
    });
    afterAll(() => app.close());

    for (const kind of ['none', 'mismatched'] as const) {
      it(`no spelling reaches a handler under looser options than its entry (credentials: ${kind})`, async () => {
        const headers = await credentials(kind);
        const violations: string[] = [];
        for (const handler of HANDLERS) {
          for (const target of spellings(handler.path.replace(':id', '42'))) {
            for (const method of METHODS) {
              ran.length = 0;
              const res = await rawRequest(port, method, target, headers);
              expect(res.status, `${method} ${target}`).toBeGreaterThanOrEqual(200);
              expect(res.status, `${method} ${target}`).not.toBe(500);
              for (const name of ran) {
                const level = HANDLERS.find((h) => h.name === name)?.level ?? 2;
                if (level > ALLOWED_LEVEL[kind]) violations.push(`${method} ${target} ran ${name} (${res.status})`);
              }
            }
          }
        }
        expect(violations).toEqual([]);
      });
    }

    it('still serves every handler its canonical path with the credentials it asks for', async () => {
      for (const handler of HANDLERS) {
        const kind = handler.level === 0 ? 'none' : handler.level === 1 ? 'mismatched' : 'bound';
        for (const method of handler.method === 'GET' ? (['GET', 'HEAD'] as const) : ([handler.method] as const)) {
          ran.length = 0;
          const res = await rawRequest(port, method, handler.path.replace(':id', '42'), await credentials(kind));
          expect(res.status, `${method} ${handler.path}`).toBe(200);
          expect(ran).toEqual([handler.name]);
        }
      }
    });

    it('refuses spellings that land on different table entries with request_target_ambiguous', async () => {
      const res = await rawRequest(port, 'GET', '/products/f%65atured', await credentials('bound'));
      if (adapter.name.startsWith('fastify')) {
        // Fastify knows the matched route (the `:id` one here) before the check: no ambiguity to refuse.
        expect(res.status).toBe(200);
      } else {
        expect(res.status).toBe(400);
        expect(JSON.parse(res.body).code).toBe('request_target_ambiguous');
      }
    });
  });
}

describe('property: random tables and spellings never reach a handler under looser options (express5, fastify5, koa3)', () => {
  const segment = fc.constantFrom('a', 'b', 'me');
  const keyPath = fc
    .array(fc.oneof(segment, fc.constant(':p')), { minLength: 1, maxLength: 3 })
    .map((s) => `/${s.map((x, i) => (x === ':p' ? `:p${i}` : x)).join('/')}`);
  // One entry per route shape: frameworks refuse two routes that differ only in parameter names.
  const table = fc.uniqueArray(fc.tuple(keyPath, fc.boolean()), {
    minLength: 1,
    maxLength: 4,
    selector: ([p]) => p.replace(/:p\d/g, ':'),
  });
  const mutate = fc.constantFrom<(p: string) => string>(
    (p) => p,
    (p) => p.toUpperCase(),
    (p) => `${p}/`,
    (p) => `/${p}`,
    (p) => `${p}#f`,
    (p) => `http://h${p}`,
    (p) => p.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`),
    (p) => `${p}%2F`,
    (p) => `${p};s`,
    (p) => `/z/..${p}`,
  );

  for (const adapter of ADAPTERS.filter((a) => ['express5', 'fastify5', 'koa3'].includes(a.name))) {
    it(`${adapter.name}: exempt entries only ever admit their own handler`, async () => {
      await fc.assert(
        fc.asyncProperty(table, fc.array(fc.tuple(fc.nat(), mutate), { minLength: 1, maxLength: 6 }), async (entries, picks) => {
          // Probe the table's own paths (parameters filled with a literal that another entry may spell out).
          const probes = picks.map(([n, spell]) => [(entries[n % entries.length] as [string, boolean])[0].replace(/:p\d/g, 'me'), spell] as const);
          const routes = Object.fromEntries(entries.map(([p, exempt]) => [`GET ${p}`, exempt ? false : {}]));
          const shield = createShield({ token: approov({ secret: attester.secret as string }), routes });
          // Handlers: every table path, in the generated (random) order: Express and Koa try routes in registration
          // order, so a parameter route may shadow a literal one and the exemption must follow the router.
          const paths = entries.map(([p]) => p);
          const ran: string[] = [];
          const app = await adapter.start(
            shield,
            paths.map((p) => ({ method: 'GET' as const, path: p, respond: () => (ran.push(p), { status: 200, body: {} }) })),
          );
          try {
            const port = (app.server.address() as AddressInfo).port;
            for (const [probe, spell] of probes) {
              ran.length = 0;
              await rawRequest(port, 'GET', spell(probe));
              for (const p of ran) expect(routes[`GET ${p}`], `${spell(probe)} ran ${p}`).toBe(false);
            }
          } finally {
            await app.close();
          }
        }),
        { numRuns: 60 },
      );
    });
  }
});
