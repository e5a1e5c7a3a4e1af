/**
 * The benchmark's scenario table. Each row is one server (started as a child process by `test/bench/run.ts`)
 * plus the traffic autocannon sends it. To add a scenario, append a row: give it a unique `name`, the `framework`,
 * `shielded: true` with a `shieldConfig` factory, and `baseline` = the name of the bare row it is compared with.
 *
 * The table is imported by the runner (for the client side: body, headers, tokens) and by the child server (for
 * the shield config and the route), so everything in a row must be deterministic given the same `BenchEnv`.
 */
import { Redis } from 'ioredis';
import { lib, redisEntry } from './library.js';
import { MOBILE_ORDER_1KB } from './mobile-order.js';
import type { ShieldConfig } from '../../../src/core/config.js';
import type { Decision } from '../../../src/shield.js';
import type { RouteOptions } from '../../../src/shield.js';

/** Frameworks the bench servers are built on (the current majors: Express 5, Koa 3, Fastify 5). */
export type Framework = 'fastify' | 'express' | 'koa';

/** Values the runner hands every child and every factory: same secret for the minting client and the shields. */
export interface BenchEnv {
  /** Base64 HS256 secret of this run (random per run; the runner's test attester signs with it). */
  readonly secret: string;
  /** Redis for scenarios that need it (`redis://127.0.0.1:6379` unless BENCH_REDIS_URL is set). */
  readonly redisUrl: string;
  /** A key prefix unique to this run, for stores that write to Redis. */
  readonly keyPrefix: string;
}

/** An environment variable the bench runner sets for its children; throws when it is missing or empty. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (the bench runner sets it)`);
  return value;
}

/** What a route handler of a bench server sees. */
export interface BenchHandlerInput {
  readonly body: unknown;
  readonly decision: Decision | undefined;
}

/** The one route a bench server serves. */
export interface BenchRoute {
  readonly method: 'POST' | 'PUT' | 'GET';
  readonly path: string;
  /** Route-level shield options (Express/Koa route middleware, Fastify `config.shield`); omitted = global only. */
  readonly shield?: RouteOptions | false;
  /** The handler's answer; the default echoes a small order confirmation (status 200). */
  readonly respond?: (input: BenchHandlerInput) => { status: number; body: unknown };
  /**
   * A first hook (Fastify `onRequest`, Express/Koa middleware) that does nothing but spin on the clock for this many
   * µs: a reference row for what that much per-request work of any kind costs over HTTP on the machine at hand. 0: a
   * hook that only calls on (what the framework's hook plumbing alone costs).
   */
  readonly spinUs?: number;
  /**
   * Fastify only: an `onRequest` hook that only calls on (where the shield checks the token) and a `preValidation`
   * hook that reads every character of every key and string of the parsed body once, through a 256-entry table:
   * the least any payload inspection does, in the shield's two hooks. A reference row, not a shield.
   */
  readonly readEveryCharacter?: boolean;
}

/** What autocannon sends to a scenario's server. */
export interface BenchClient {
  /** Request body (sent as application/json). */
  readonly body: string;
  /** The Authorization header value; the token is bound to it. */
  readonly authorization: string;
  /**
   * `'same'`: one valid bound token on every request (the cached, "token already seen" case). A number N: a fresh,
   * never-seen token every N requests (the full signature verification once per N). `'none'`: no token header.
   */
  readonly token: 'same' | 'none' | number;
  /** Extra headers. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** One benchmark scenario: a server configuration and its traffic. */
export interface Scenario {
  /** Unique, short, shown in the table (and used with `--only`). */
  readonly name: string;
  readonly framework: Framework;
  /** True when the server mounts the shield. */
  readonly shielded: boolean;
  /** Name of the bare scenario this one is compared with (ratio of req/s, added CPU µs per request). */
  readonly baseline?: string;
  /** Shield configuration (required when `shielded`); may open connections (e.g. a RedisStore). */
  readonly shieldConfig?: (env: BenchEnv) => ShieldConfig | Promise<ShieldConfig>;
  /** Called in the child before it exits (close Redis clients, delete keys). */
  readonly cleanup?: (env: BenchEnv, config: ShieldConfig | undefined) => Promise<void>;
  readonly route: BenchRoute;
  readonly client: BenchClient;
  /** Left out of the default run (still selectable with `--only`), e.g. scenarios that need Redis. */
  readonly optional?: boolean;
  /** Status the start-up sanity check expects for a request without a token (default: 401 shielded, 200 bare). */
  readonly withoutTokenStatus?: number;
}

/** The Authorization header every default scenario sends, and which its token is bound to. */
export const BENCH_AUTHORIZATION = 'Bearer eyJ1c2VyIjoiYmVuY2gtdXNlci00MiIsInNjb3BlIjoib3JkZXJzIn0.c2lnbmF0dXJl';

/** The header the scenarios' attestation token travels in (the Approov preset's default). */
export const BENCH_TOKEN_HEADER = 'approov-token';

/** The headers a scenario's client sends: JSON, its Authorization value, its extra headers, and `token` unless it sends none. */
export function clientHeaders(client: BenchClient, token: string): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: client.authorization, ...client.headers };
  if (client.token !== 'none') headers[BENCH_TOKEN_HEADER] = token;
  return headers;
}

/** A JSON body of about `bytes` bytes that looks like a mobile app's order request. */
export function orderBody(bytes: number): string {
  const base = {
    orderId: 'ord_7f3c2a9e41b84d0f',
    customer: { id: 'cus_1029384756', locale: 'en-GB', tier: 'gold' },
    items: [
      { sku: 'SKU-000123', qty: 2, price: 1999 },
      { sku: 'SKU-004567', qty: 1, price: 4999 },
    ],
    currency: 'EUR',
    shipping: { method: 'express', postcode: 'SW1A 1AA', country: 'GB' },
    note: '',
  };
  const without = JSON.stringify(base).length;
  base.note = 'x'.repeat(Math.max(0, bytes - without));
  return JSON.stringify(base);
}

const BODY_300 = orderBody(300);
const ORDER_ROUTE: BenchRoute = { method: 'POST', path: '/v1/orders' };
const SAME_TOKEN: BenchClient = { body: BODY_300, authorization: BENCH_AUTHORIZATION, token: 'same' };

/** HS256 Approov-style token with binding of `pay` to the Authorization header (the preset's defaults). */
const approovShield = (env: BenchEnv): ShieldConfig => ({ token: lib.approov({ secret: env.secret }) });

/** The foundation's rows: the token verifier (HS256 + binding) on each framework. */
const FOUNDATION: readonly Scenario[] = [
  { name: 'fastify', framework: 'fastify', shielded: false, route: ORDER_ROUTE, client: SAME_TOKEN },
  {
    name: 'fastify+shield',
    framework: 'fastify',
    shielded: true,
    baseline: 'fastify',
    shieldConfig: approovShield,
    route: ORDER_ROUTE,
    client: SAME_TOKEN,
  },
  {
    // Full HS256 verification for 1 request in 100, cached verification for the other 99.
    name: 'fastify+shield fresh/100',
    framework: 'fastify',
    shielded: true,
    baseline: 'fastify',
    shieldConfig: approovShield,
    route: ORDER_ROUTE,
    client: { ...SAME_TOKEN, token: 100 },
  },
  {
    // Reference rows that split the token-only row's cost: Fastify's hook plumbing alone (an onRequest hook that only
    // calls on), and the shield's engine without a verifier (adapter, route and client resolution, the Decision).
    name: 'fastify no-op hook',
    framework: 'fastify',
    shielded: false,
    baseline: 'fastify',
    route: { ...ORDER_ROUTE, spinUs: 0 },
    client: SAME_TOKEN,
  },
  {
    name: 'fastify+shield no verifier',
    framework: 'fastify',
    shielded: true,
    baseline: 'fastify',
    shieldConfig: () => ({}),
    route: ORDER_ROUTE,
    client: SAME_TOKEN,
    withoutTokenStatus: 200,
  },
  { name: 'express', framework: 'express', shielded: false, route: ORDER_ROUTE, client: SAME_TOKEN },
  {
    name: 'express+shield',
    framework: 'express',
    shielded: true,
    baseline: 'express',
    shieldConfig: approovShield,
    route: ORDER_ROUTE,
    client: SAME_TOKEN,
  },
  { name: 'koa', framework: 'koa', shielded: false, route: ORDER_ROUTE, client: SAME_TOKEN },
  {
    name: 'koa+shield',
    framework: 'koa',
    shielded: true,
    baseline: 'koa',
    shieldConfig: approovShield,
    route: ORDER_ROUTE,
    client: SAME_TOKEN,
  },
];

const BODY_1K = orderBody(1024);
const LOGIN_BODY = JSON.stringify({ username: 'bench-user@example.com', password: 'correct horse battery staple' });
const LOGIN_ROUTE: BenchRoute = {
  method: 'POST',
  path: '/v1/login',
  // No Authorization exists before a login; the login itself is what the credential verifier guards.
  shield: { token: { binding: false }, credentials: { login: { username: 'body.username' } } },
};
const LOGIN_CLIENT: BenchClient = { body: LOGIN_BODY, authorization: BENCH_AUTHORIZATION, token: 'same' };
/**
 * The credential rows measure what the counters cost, not a lockout; two things made the Redis row answer 429:
 * - every connection logs in to the same account from the same IP at once, and the username + IP counter admits
 *   only `limit` attempts in flight (reserve-then-settle: concurrent guesses cannot overshoot it; default 5);
 * - autocannon ends each window by closing its 50 connections with requests in flight, and a request whose client
 *   went away before the response finished reports no outcome, so its slots stay held for `holdSeconds` (60 by
 *   default): two windows' worth filled the IP key's budget of 100 slots.
 * (The Memory row answers within one turn of the event loop, so it rarely had a login in flight at a window's end.)
 * The limits are raised above any connection count and abandoned slots free themselves after 1 s; every counter
 * operation still runs on every login.
 */
const BENCH_CREDENTIALS = { consecutiveFailures: { limit: 1000 }, ipFailures: { limit: 10_000 }, holdSeconds: 1 } as const;
const redisClients = new WeakMap<object, Redis>();

/** Issue 12's full shield (see the `fastify+shield full 1KB` row). */
const fullShieldConfig = (env: BenchEnv): ShieldConfig => ({
  ...approovShield(env),
  device: { tokenClaims: { signals: { rooted: 'rooted', emulator: 'emulator' } } },
  credentials: {},
  payload: { contentTypes: ['application/json'] },
});

/**
 * Rows of the later sections: the payload shield on a ~1 KB body, and credential counters on a login route with
 * MemoryStore and RedisStore (Redis on 127.0.0.1:6379, or BENCH_REDIS_URL). Every login succeeds (200), so each
 * request reads the lock keys and, after the response, resets the username + IP streak.
 */
const LATER_SECTIONS: readonly Scenario[] = [
  { name: 'fastify 1KB', framework: 'fastify', shielded: false, route: ORDER_ROUTE, client: { ...SAME_TOKEN, body: BODY_1K } },
  {
    name: 'fastify+shield+payload 1KB',
    framework: 'fastify',
    shielded: true,
    baseline: 'fastify 1KB',
    shieldConfig: (env) => ({ ...approovShield(env), payload: { contentTypes: ['application/json'] } }),
    route: ORDER_ROUTE,
    client: { ...SAME_TOKEN, body: BODY_1K },
  },
  {
    // Reference, not the shield: bare Fastify plus 5 µs of pure CPU per request (about what the full shield's check
    // costs in the micro-benchmark), so the full shield's ratio can be read against what any 5 µs costs here.
    name: 'fastify 1KB + 5us hook',
    framework: 'fastify',
    shielded: false,
    baseline: 'fastify 1KB',
    route: { ...ORDER_ROUTE, spinUs: 5 },
    client: { ...SAME_TOKEN, body: BODY_1K },
  },
  {
    // Reference, not the shield: what reading every body character once costs in the shield's two Fastify hooks.
    name: 'fastify 1KB + read-every-character hooks',
    framework: 'fastify',
    shielded: false,
    baseline: 'fastify 1KB',
    route: { ...ORDER_ROUTE, readEveryCharacter: true },
    client: { ...SAME_TOKEN, body: BODY_1K },
  },
  {
    // Issue 12's "full shield": token with binding, device policy from the token's claims, the payload shield on a
    // ~1 KB JSON body, and the credential verifier configured globally but applied on the login route only (as
    // users configure it), so this order route pays for its route check and nothing else.
    name: 'fastify+shield full 1KB',
    framework: 'fastify',
    shielded: true,
    baseline: 'fastify 1KB',
    shieldConfig: fullShieldConfig,
    route: ORDER_ROUTE,
    client: { ...SAME_TOKEN, body: BODY_1K },
  },
  // Optional (`--only` or `--optional`): the full shield on the realistic ~1 KB order of the payload timings (a name
  // with an apostrophe, inch marks, a note with `;`, parentheses), whose values reach the detectors; the padded body
  // of the rows above sends them almost nothing. Not a target: what a body of prose costs next to a padded one.
  { name: 'fastify order', framework: 'fastify', shielded: false, route: ORDER_ROUTE, client: { ...SAME_TOKEN, body: MOBILE_ORDER_1KB }, optional: true },
  {
    name: 'fastify+shield full order',
    framework: 'fastify',
    shielded: true,
    baseline: 'fastify order',
    shieldConfig: fullShieldConfig,
    route: ORDER_ROUTE,
    client: { ...SAME_TOKEN, body: MOBILE_ORDER_1KB },
    optional: true,
  },
  { name: 'fastify login', framework: 'fastify', shielded: false, route: { ...LOGIN_ROUTE, shield: undefined }, client: LOGIN_CLIENT },
  {
    name: 'fastify+shield+credentials memory',
    framework: 'fastify',
    shielded: true,
    baseline: 'fastify login',
    shieldConfig: (env) => ({ ...approovShield(env), credentials: BENCH_CREDENTIALS }),
    route: LOGIN_ROUTE,
    client: LOGIN_CLIENT,
  },
  {
    name: 'fastify+shield+credentials redis',
    framework: 'fastify',
    shielded: true,
    baseline: 'fastify login',
    shieldConfig: (env) => {
      const client = new Redis(env.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1 });
      const store = new redisEntry.RedisStore({ client, prefix: `${env.keyPrefix}cred:` });
      redisClients.set(store, client);
      return { ...approovShield(env), store, credentials: BENCH_CREDENTIALS };
    },
    cleanup: async (_env, config) => {
      const client = config?.store ? redisClients.get(config.store) : undefined;
      await client?.quit();
    },
    route: LOGIN_ROUTE,
    client: LOGIN_CLIENT,
    // Needs Redis and keeps the default run near 3 minutes: `--optional` or `--only` runs it.
    optional: true,
  },
];

/**
 * The scenarios, in the order each round runs them. Bare and shielded rows alternate so that drift over the run
 * affects both sides of a comparison equally. Append new rows at the end of the group they belong to.
 */
export const SCENARIOS: readonly Scenario[] = [...FOUNDATION, ...LATER_SECTIONS];

/** The scenario of that name, or an error listing the known names. */
export function scenarioByName(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name);
  if (!found) throw new Error(`unknown scenario "${name}"; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return found;
}
