import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createClientIpResolver } from '../../../src/core/client-ip.js';
import type { ResolvedRouteOptions } from '../../../src/core/route-options.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import type { Store } from '../../../src/stores/store.js';
import {
  CREDENTIAL_DEFAULTS,
  createCredentialAbuseVerifier,
  credentialAbuseOptionsSchema,
  credentialRouteOptionsSchema,
} from '../../../src/verifiers/credential-abuse/index.js';
import { bindingHash, harness, LOGIN_ROUTE, makeContext } from './helpers.js';

const ONLY_CONSECUTIVE = {
  ipFailures: false,
  deviceFailures: false,
  ipDistinctUsernames: false,
  deviceDistinctUsernames: false,
} as const;

describe('shape and applicability', () => {
  const { verifier } = harness();
  it('is the body-stage verifier named credential-abuse', () => {
    expect(verifier.name).toBe('credential-abuse');
    expect(verifier.stage).toBe('body');
    expect(verifier.failOpen).toBeUndefined();
  });
  it('applies only on routes with credentials.login', () => {
    expect(verifier.appliesTo!(LOGIN_ROUTE, makeContext({ now: 0 }).request)).toBe(true);
    for (const route of [{}, { credentials: false }, { credentials: {} }, { credentials: { login: null } }]) {
      expect(verifier.appliesTo!(route as ResolvedRouteOptions, makeContext({ now: 0 }).request)).toBe(false);
    }
  });
  it('skips (and counts nothing) when called on a route without login options', async () => {
    const { verifier: v } = harness();
    const ctx = makeContext({ now: 0, route: {} });
    expect(await v.verify(ctx)).toEqual({ outcome: 'skip' });
    await v.onResponse!(ctx, 401);
  });
});

describe('attestation required on logins', () => {
  it('denies token_missing without a verified attestation', async () => {
    const { verifier } = harness();
    const ctx = makeContext({ now: 0, body: { email: 'a@x' }, attestation: null });
    expect(await verifier.verify(ctx)).toMatchObject({ outcome: 'deny', code: 'token_missing' });
    // Nothing counted for an attempt that never reached the app.
    expect(ctx.memo.size).toBe(0);
  });
});

describe('login token binding', () => {
  const route = (binding: unknown) =>
    ({ credentials: { login: { username: 'body.email', binding } } }) as unknown as ResolvedRouteOptions;
  async function run(options: object, r: ResolvedRouteOptions, claims: Record<string, unknown>, body: unknown) {
    const { verifier } = harness(options);
    return verifier.verify(makeContext({ now: 0, route: r, body, attestation: { provider: 't', claims } }));
  }
  it('is off by default', async () => {
    expect(await run({}, LOGIN_ROUTE, { did: 'd' }, { email: 'a@x' })).toEqual({ outcome: 'pass' });
  });
  it('passes when pay = base64 SHA-256 of the username as sent', async () => {
    expect(await run({ binding: true }, LOGIN_ROUTE, { pay: bindingHash('Alice@X.com') }, { email: 'Alice@X.com' }))
      .toEqual({ outcome: 'pass' });
  });
  it('denies a token bound to another account, or unbound', async () => {
    for (const claims of [{ pay: bindingHash('bob@x.com') }, {}, { pay: 42 }, { pay: '' }, { pay: 'not base64!' }]) {
      expect(await run({ binding: true }, LOGIN_ROUTE, claims, { email: 'alice@x.com' })).toMatchObject({
        outcome: 'deny',
        code: 'token_binding_mismatch',
      });
    }
  });
  it('denies when the bound field is missing', async () => {
    expect(await run({ binding: true }, LOGIN_ROUTE, { pay: bindingHash('') }, {})).toMatchObject({
      code: 'token_binding_mismatch',
    });
  });
  it('rejects base64url or unpadded spellings (only canonical base64 is the claim format)', async () => {
    const canonical = bindingHash('alice@x.com');
    const urlSafe = canonical.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    expect(await run({ binding: true }, LOGIN_ROUTE, { pay: urlSafe }, { email: 'alice@x.com' })).toMatchObject({
      code: 'token_binding_mismatch',
    });
  });
  it('binds several fields joined with a line feed, with a custom claim, per route', async () => {
    const r = route({ claim: 'bnd', fields: ['body.email', 'header.x-device-nonce'] });
    const { verifier } = harness();
    const ok = makeContext({
      now: 0,
      route: r,
      body: { email: 'a@x' },
      headers: { 'x-device-nonce': 'n1' },
      attestation: { provider: 't', claims: { bnd: bindingHash('a@x\nn1') } },
    });
    expect(await verifier.verify(ok)).toEqual({ outcome: 'pass' });
    const bad = makeContext({
      now: 0,
      route: r,
      body: { email: 'a@x' },
      headers: { 'x-device-nonce': 'n2' },
      attestation: { provider: 't', claims: { bnd: bindingHash('a@xn1') } },
    });
    expect(await verifier.verify(bad)).toMatchObject({ code: 'token_binding_mismatch' });
    // Regression (issue 10 item 6): plain concatenation let ("a@xn", "1") pass for a token bound to ("a@x", "n1").
    const shifted = makeContext({
      now: 0,
      route: r,
      body: { email: 'a@xn' },
      headers: { 'x-device-nonce': '1' },
      attestation: { provider: 't', claims: { bnd: bindingHash('a@xn1') } },
    });
    expect(await verifier.verify(shifted)).toMatchObject({ code: 'token_binding_mismatch' });
    const forged = makeContext({
      now: 0,
      route: r,
      body: { email: 'a@x\nn1' },
      headers: { 'x-device-nonce': 'z' },
      attestation: { provider: 't', claims: { bnd: bindingHash('a@x\nn1\nz') } },
    });
    expect(await verifier.verify(forged)).toMatchObject({ code: 'token_binding_mismatch' });
  });
  it('a route can turn global binding off', async () => {
    expect(await run({ binding: true }, route(false), {}, { email: 'a@x' })).toEqual({ outcome: 'pass' });
  });
});

describe('consecutive failures per username + IP key', () => {
  it('locks after 5 failures with exponential backoff capped at maxLockSeconds', async () => {
    const h = harness({ ...ONLY_CONSECUTIVE, consecutiveFailures: { maxLockSeconds: 300 } });
    for (let i = 0; i < 5; i++) expect((await h.attempt('victim@x', 401)).outcome).toBe('pass');
    expect(await h.attempt('victim@x', 401)).toMatchObject({ outcome: 'deny', code: 'login_locked', retryAfter: 60 });
    h.advance(30_000);
    expect(await h.attempt('victim@x', 401)).toMatchObject({ code: 'login_locked', retryAfter: 30 });
    h.advance(30_000);
    // Lock over: one more try, which fails → 120 s.
    expect((await h.attempt('victim@x', 401)).outcome).toBe('pass');
    expect(await h.attempt('victim@x', undefined)).toMatchObject({ code: 'login_locked', retryAfter: 120 });
    h.advance(120_000);
    expect((await h.attempt('victim@x', 401)).outcome).toBe('pass');
    expect(await h.attempt('victim@x', undefined)).toMatchObject({ retryAfter: 240 });
    h.advance(240_000);
    expect((await h.attempt('victim@x', 401)).outcome).toBe('pass');
    // 480 would exceed the cap.
    expect(await h.attempt('victim@x', undefined)).toMatchObject({ retryAfter: 300 });
  });
  it('padding a username does not move where a long one is cut: its failures count under the username', async () => {
    const h = harness(ONLY_CONSECUTIVE);
    // Cut before trimming, 1,020 to 1,024 spaces before `victim@x` left a prefix of it ('vict', 'vic'...): a lock key
    // of its own for each padding, five more guesses each.
    for (let pad = 1020; pad < 1025; pad++) expect((await h.attempt(`${' '.repeat(pad)}victim@x`, 401)).outcome).toBe('pass');
    expect(await h.attempt('victim@x', undefined)).toMatchObject({ outcome: 'deny', code: 'login_locked' });
  });
  it('a success resets the username + IP counter', async () => {
    const h = harness(ONLY_CONSECUTIVE);
    for (let i = 0; i < 4; i++) await h.attempt('user@x', 401);
    await h.attempt('user@x', 200);
    for (let i = 0; i < 4; i++) expect((await h.attempt('user@x', 401)).outcome).toBe('pass');
    expect((await h.attempt('user@x', undefined)).outcome).toBe('pass');
  });
  it('locks only that username on that IP key', async () => {
    const h = harness(ONLY_CONSECUTIVE);
    for (let i = 0; i < 5; i++) await h.attempt('victim@x', 401);
    expect((await h.attempt('victim@x', undefined)).outcome).toBe('deny');
    expect((await h.attempt('victim@x', undefined, { ip: '203.0.113.1' })).outcome).toBe('pass');
    expect((await h.attempt('other@x', undefined)).outcome).toBe('pass');
  });
  it('usernames are trimmed, NFKC-normalised and case-folded unless configured otherwise', async () => {
    const h = harness(ONLY_CONSECUTIVE);
    for (const u of ['Victim@X', ' victim@x', 'VICTIM@X ', 'victim@x', 'ｖictim@x']) await h.attempt(u, 401);
    expect((await h.attempt('victim@x', undefined)).outcome).toBe('deny');
    const cs = harness({ ...ONLY_CONSECUTIVE, caseSensitiveUsernames: true });
    for (const u of ['Victim@X', 'victim@x', 'VICTIM@X', 'victim@x', 'Victim@x']) await cs.attempt(u, 401);
    expect((await cs.attempt('victim@x', undefined)).outcome).toBe('pass');
  });
  it('the deny is identical for an existing and a non-existent account (no enumeration)', async () => {
    const h = harness(ONLY_CONSECUTIVE);
    for (let i = 0; i < 5; i++) {
      await h.attempt('real@x', 401);
      await h.attempt('ghost@x', 401);
    }
    const real = await h.attempt('real@x', undefined);
    const ghost = await h.attempt('ghost@x', undefined);
    expect(real).toEqual(ghost);
    expect(JSON.stringify(real)).not.toContain('real');
  });
  it('IPv6 clients in one /64 share the counter', async () => {
    const h = harness(ONLY_CONSECUTIVE);
    for (let i = 1; i <= 5; i++) await h.attempt('v@x', 401, { ip: `2001:db8:1:2::${i}` });
    expect((await h.attempt('v@x', undefined, { ip: '2001:db8:1:2:ffff::1' })).outcome).toBe('deny');
    expect((await h.attempt('v@x', undefined, { ip: '2001:db8:1:3::1' })).outcome).toBe('pass');
  });
  it('can be turned off', async () => {
    const h = harness({ ...ONLY_CONSECUTIVE, consecutiveFailures: false });
    for (let i = 0; i < 20; i++) await h.attempt('v@x', 401);
    expect((await h.attempt('v@x', undefined)).outcome).toBe('pass');
  });
});

describe('failures per IP key and per device per window', () => {
  it('blocks an IP key at ipFailures.limit for the rest of its window; success does not reset it', async () => {
    const h = harness({
      consecutiveFailures: false,
      deviceFailures: false,
      ipDistinctUsernames: false,
      deviceDistinctUsernames: false,
      ipFailures: { limit: 10, windowSeconds: 3600 },
    });
    for (let i = 0; i < 9; i++) await h.attempt('a@x', 401, { did: `d${i}` });
    await h.attempt('owned@x', 200);
    h.advance(600_000);
    expect((await h.attempt('a@x', 401)).outcome).toBe('pass');
    expect(await h.attempt('b@x', undefined)).toMatchObject({ code: 'credential_abuse', retryAfter: 3000 });
    expect((await h.attempt('b@x', undefined, { ip: '203.0.113.9' })).outcome).toBe('pass');
    h.advance(3_000_000);
    expect((await h.attempt('b@x', undefined)).outcome).toBe('pass');
  });
  it('defaults: 100 failures per IP key per day', async () => {
    const h = harness({ consecutiveFailures: false, deviceFailures: false, ipDistinctUsernames: false, deviceDistinctUsernames: false });
    for (let i = 0; i < 99; i++) await h.attempt('a@x', 401, { did: `d${i}` });
    expect((await h.attempt('a@x', 401)).outcome).toBe('pass');
    expect(await h.attempt('a@x', undefined)).toMatchObject({ code: 'credential_abuse', retryAfter: 86_400 });
  });
  it('blocks a device across IPs at deviceFailures.limit (default 20 per day)', async () => {
    const h = harness({ consecutiveFailures: false, ipFailures: false, ipDistinctUsernames: false, deviceDistinctUsernames: false });
    for (let i = 0; i < 20; i++) await h.attempt('a@x', 401, { ip: `203.0.113.${i}`, did: 'bot-device' });
    expect(await h.attempt('a@x', undefined, { ip: '192.0.2.1', did: 'bot-device' })).toMatchObject({
      code: 'credential_abuse',
      retryAfter: 86_400,
    });
    expect((await h.attempt('a@x', undefined, { ip: '192.0.2.1', did: 'other-device' })).outcome).toBe('pass');
  });
  it('the device id is the did claim by default; sub only when configured', async () => {
    const h = harness({ consecutiveFailures: false, ipFailures: false, ipDistinctUsernames: false, deviceDistinctUsernames: false, deviceFailures: { limit: 2 } });
    // Tokens without did (App Check-like: sub is the app id shared by every device) are never grouped by sub.
    for (let i = 0; i < 5; i++) await h.attempt('a@x', 401, { ip: `203.0.113.${i}`, claims: { sub: 'app' } });
    expect((await h.attempt('a@x', undefined, { claims: { sub: 'app' } })).outcome).toBe('pass');
    const withSub = harness({ deviceClaims: ['did', 'sub'], consecutiveFailures: false, ipFailures: false, ipDistinctUsernames: false, deviceDistinctUsernames: false, deviceFailures: { limit: 2 } });
    for (let i = 0; i < 2; i++) await withSub.attempt('a@x', 401, { ip: `203.0.113.${i}`, claims: { sub: 'dev-7' } });
    expect((await withSub.attempt('a@x', undefined, { claims: { sub: 'dev-7' } })).outcome).toBe('deny');
  });
});

describe('distinct usernames per IP key and per device (the stuffing signature)', () => {
  it('blocks an IP key once 20 distinct usernames failed in the window; successes are not counted', async () => {
    const h = harness({ consecutiveFailures: false, ipFailures: false, deviceFailures: false, deviceDistinctUsernames: false });
    for (let i = 0; i < 30; i++) await h.attempt(`genuine${i}@x`, 200, { did: `g${i}` });
    for (let i = 0; i < 19; i++) expect((await h.attempt(`leak${i}@x`, 401, { did: `d${i}` })).outcome).toBe('pass');
    // The same username again does not add to the distinct count.
    for (let i = 0; i < 5; i++) await h.attempt('leak0@x', 401, { did: 'dx' });
    expect((await h.attempt('leak19@x', 401)).outcome).toBe('pass');
    expect(await h.attempt('genuine0@x', undefined)).toMatchObject({ code: 'credential_abuse', retryAfter: 3600 });
  });
  it('blocks a device after 5 distinct failing usernames, from any IP', async () => {
    const h = harness({ consecutiveFailures: false, ipFailures: false, deviceFailures: false, ipDistinctUsernames: false });
    for (let i = 0; i < 5; i++) await h.attempt(`u${i}@x`, 401, { ip: `203.0.113.${i}`, did: 'stuffer' });
    expect(await h.attempt('u9@x', undefined, { ip: '192.0.2.50', did: 'stuffer' })).toMatchObject({
      code: 'credential_abuse',
      retryAfter: 3600,
    });
    expect((await h.attempt('u9@x', undefined, { ip: '192.0.2.50', did: 'genuine' })).outcome).toBe('pass');
    h.advance(3_600_000);
    expect((await h.attempt('u9@x', undefined, { did: 'stuffer' })).outcome).toBe('pass');
  });
  it('every threshold is configurable', async () => {
    const h = harness({ consecutiveFailures: false, ipFailures: false, deviceFailures: false, ipDistinctUsernames: false, deviceDistinctUsernames: { limit: 2, windowSeconds: 60 } });
    await h.attempt('a@x', 401, { did: 's' });
    expect((await h.attempt('b@x', 401, { did: 's' })).outcome).toBe('pass');
    expect(await h.attempt('c@x', undefined, { did: 's' })).toMatchObject({ retryAfter: 60 });
  });
});

describe('outcomes', () => {
  it('maps 2xx to success, 401/403 to failure, other statuses to neither', async () => {
    const h = harness(ONLY_CONSECUTIVE);
    for (const status of [500, 400, 429, 302, 404, 503]) await h.attempt('v@x', status);
    expect((await h.attempt('v@x', undefined)).outcome).toBe('pass');
    for (const status of [401, 403, 401, 403]) await h.attempt('v@x', status);
    await h.attempt('v@x', 204);
    for (const status of [401, 403, 401, 403]) await h.attempt('v@x', status);
    expect((await h.attempt('v@x', undefined)).outcome).toBe('pass');
    await h.attempt('v@x', 'failure');
    expect((await h.attempt('v@x', undefined)).outcome).toBe('deny');
  });
  it('configurable status lists (an API that answers failed logins with 200 + 422)', async () => {
    const h = harness({ ...ONLY_CONSECUTIVE, successStatuses: [201], failureStatuses: [422] });
    for (let i = 0; i < 4; i++) await h.attempt('v@x', 422);
    await h.attempt('v@x', 200);
    await h.attempt('v@x', 422);
    expect((await h.attempt('v@x', undefined)).outcome).toBe('deny');
  });
  it('takes one outcome per request', async () => {
    const h = harness(ONLY_CONSECUTIVE);
    for (let i = 0; i < 5; i++) {
      const ctx = makeContext({ now: h.clock.now, body: { email: 'v@x' } });
      await h.verifier.verify(ctx);
      await h.verifier.onResponse!(ctx, 'failure');
      await h.verifier.onResponse!(ctx, 401);
      if (i < 4) expect((await h.attempt('v@x', undefined)).outcome).toBe('pass');
    }
    expect((await h.attempt('v@x', undefined)).outcome).toBe('deny');
  });
});

describe('username sources', () => {
  const route = (username: unknown) => ({ credentials: { login: { username } } }) as unknown as ResolvedRouteOptions;
  it('reads a header, a nested body path, or a function', async () => {
    for (const [username, body, headers] of [
      ['header.x-user', {}, { 'x-user': 'v@x' }],
      ['body.auth.login', { auth: { login: 'v@x' } }, {}],
      [(_r: unknown, b: { u: string }) => b.u, { u: 'v@x' }, {}],
    ] as const) {
      const h = harness(ONLY_CONSECUTIVE);
      for (let i = 0; i < 5; i++) {
        const ctx = makeContext({ now: h.clock.now, route: route(username), body, headers: headers as never });
        expect((await h.verifier.verify(ctx)).outcome).toBe('pass');
        await h.verifier.onResponse!(ctx, 401);
      }
      const ctx = makeContext({ now: h.clock.now, route: route(username), body, headers: headers as never });
      expect((await h.verifier.verify(ctx)).outcome).toBe('deny');
    }
  });
  it('never reads through the prototype, and a throwing function refuses the login (malformed)', async () => {
    const h = harness({ ...ONLY_CONSECUTIVE, consecutiveFailures: { limit: 1 } });
    const body = JSON.parse('{"__proto__": {"email": "v@x"}}') as unknown;
    const ctx = makeContext({ now: 0, body });
    expect((await h.verifier.verify(ctx)).outcome).toBe('pass');
    await h.verifier.onResponse!(ctx, 500); // neither success nor failure: frees the slot
    const thrower = route(() => {
      throw new Error('boom');
    });
    // It cannot say which account is tried: counted under "no username", it let the account's lock be dodged.
    expect(await h.verifier.verify(makeContext({ now: 0, route: thrower, body: {} }))).toMatchObject({ outcome: 'deny', code: 'payload_malformed' });
    expect(() => credentialRouteOptionsSchema.parse({ login: { username: 'body.__proto__' } })).toThrow();
  });
  it('a login without a username still counts against the IP and device budgets', async () => {
    const h = harness({ ipFailures: { limit: 3 }, deviceFailures: false, consecutiveFailures: false });
    for (let i = 0; i < 3; i++) await h.attempt(undefined, 401, { body: {} });
    expect((await h.attempt('a@x', undefined)).outcome).toBe('deny');
  });
  it('a login without a username counts under a key of its own: it is locked like any username', async () => {
    const h = harness(ONLY_CONSECUTIVE);
    for (let i = 0; i < 5; i++) expect((await h.attempt(undefined, 401, { body: {} })).outcome).toBe('pass');
    expect(await h.attempt(undefined, undefined, { body: { password: 'x' } })).toMatchObject({ code: 'login_locked' });
    // Other usernames on the same IP key are not affected.
    expect((await h.attempt('someone@x', undefined)).outcome).toBe('pass');
  });
  it('a re-check of one request (route-level options) holds one slot, not two', async () => {
    const h = harness({ ...ONLY_CONSECUTIVE, consecutiveFailures: { limit: 2 } });
    const ctx = makeContext({ now: h.clock.now, body: { email: 'recheck@x' } });
    expect((await h.verifier.verify(ctx)).outcome).toBe('pass');
    expect((await h.verifier.verify(ctx)).outcome).toBe('pass');
    const other = makeContext({ now: h.clock.now, body: { email: 'recheck@x' } });
    expect((await h.verifier.verify(other)).outcome).toBe('pass');
    const third = makeContext({ now: h.clock.now, body: { email: 'recheck@x' } });
    expect(await h.verifier.verify(third)).toMatchObject({ code: 'login_locked', retryAfter: 1 });
  });
  it('a credential field present but not a string is refused payload_malformed and counts nowhere (issue 10 item 1)', async () => {
    const route = {
      credentials: { login: { username: 'body.email', password: 'body.password', binding: { fields: ['body.email', 'header.x-n'] } } },
    } as unknown as ResolvedRouteOptions;
    const h = harness(ONLY_CONSECUTIVE);
    const bodies: unknown[] = [
      { email: ['alice@x'] },
      { email: { $ne: '' } },
      { email: 42 },
      { email: null },
      { email: true },
      { email: 'alice@x', password: ['x'] },
      { email: 'alice@x', password: 7 },
    ];
    for (const body of bodies) {
      const ctx = makeContext({ now: h.clock.now, body, route, headers: { 'x-n': 'n' } });
      expect([body, await h.verifier.verify(ctx)]).toMatchObject([body, { outcome: 'deny', code: 'payload_malformed' }]);
    }
    const repeated = makeContext({ now: h.clock.now, body: { email: 'alice@x' }, route, headers: { 'x-n': ['a', 'b'] } });
    expect(await h.verifier.verify(repeated)).toMatchObject({ code: 'payload_malformed' });
    const header = { credentials: { login: { username: 'header.x-user' } } } as unknown as ResolvedRouteOptions;
    expect(await h.verifier.verify(makeContext({ now: h.clock.now, route: header, headers: { 'x-user': ['a', 'b'] } }))).toMatchObject({
      code: 'payload_malformed',
    });
    const fn = { credentials: { login: { username: () => 42 } } } as unknown as ResolvedRouteOptions;
    expect(await h.verifier.verify(makeContext({ now: h.clock.now, route: fn, body: {} }))).toMatchObject({ code: 'payload_malformed' });
    // Nothing was reserved or counted: alice still has all 5 attempts.
    for (let i = 0; i < 5; i++) expect((await h.attempt('alice@x', 401)).outcome).toBe('pass');
    expect((await h.attempt('alice@x', undefined)).outcome).toBe('deny');
  });
});

describe('store keys', () => {
  it('never hold a raw username or device id', async () => {
    const keys = new Set<string>();
    const memory = new MemoryStore();
    const recording = new Proxy(memory, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (key: string, ...rest: unknown[]) => {
          keys.add(`${key} ${rest.filter((r) => typeof r === 'string').join(' ')}`);
          return (value as (...a: unknown[]) => unknown).call(target, key, ...rest);
        };
      },
    }) as Store;
    const h = harness({}, recording);
    await h.attempt('secret.person@example.com', 401, { did: 'device-serial-123' });
    await h.attempt('secret.person@example.com', 200, { did: 'device-serial-123' });
    const all = [...keys].join('\n');
    expect(keys.size).toBeGreaterThan(5);
    expect(all).not.toMatch(/secret\.person|example\.com|device-serial/);
    expect(all).toContain('198.51.100.7');
    expect(all.split('\n').every((k) => k.startsWith('ca:'))).toBe(true);
  });
});

describe('store failures', () => {
  const broken: Store = {
    setIfAbsent: () => Promise.reject(new Error('down')),
    get: () => Promise.reject(new Error('down')),
    delete: () => Promise.reject(new Error('down')),
    increment: () => Promise.reject(new Error('down')),
    addToSet: () => Promise.reject(new Error('down')),
    setIfGreater: () => Promise.reject(new Error('down')),
    reserveAttempt: () => Promise.reject(new Error('down')),
    settleAttempt: () => Promise.reject(new Error('down')),
    reserveMember: () => Promise.reject(new Error('down')),
    removeMember: () => Promise.reject(new Error('down')),
  };
  const ipResolver = createClientIpResolver({});
  it('fail closed by default: verify rejects (the core answers 503) and outcomes reject (the core reports them)', async () => {
    const verifier = createCredentialAbuseVerifier({}, { store: broken, ipResolver });
    const ctx = makeContext({ now: 0, body: { email: 'a@x' } });
    await expect(verifier.verify(ctx)).rejects.toThrow('down');
    // Nothing was reserved, so there is nothing to settle.
    await expect(verifier.onResponse!(ctx, 401)).resolves.toBeUndefined();
    // A store that fails after the reservation: settling rejects (the core reports it).
    const settleDown: Store = Object.assign(Object.create(new MemoryStore()) as Store, {
      settleAttempt: () => Promise.reject(new Error('settle down')),
    });
    const later = createCredentialAbuseVerifier({}, { store: settleDown, ipResolver });
    const reserved = makeContext({ now: 0, body: { email: 'a@x' } });
    expect((await later.verify(reserved)).outcome).toBe('pass');
    await expect(later.onResponse!(reserved, 401)).rejects.toThrow('settle down');
  });
  it('failOpen passes and marks the verifier fail-open for the core', async () => {
    const verifier = createCredentialAbuseVerifier({ failOpen: true }, { store: broken, ipResolver });
    expect(verifier.failOpen).toBe(true);
    expect(await verifier.verify(makeContext({ now: 0, body: { email: 'a@x' } }))).toMatchObject({ outcome: 'pass' });
  });
  it('failOpen never passes a request the store did answer for: a known block stands when a reservation fails', async () => {
    const memory = new MemoryStore();
    const options = { failOpen: true, ipDistinctUsernames: { limit: 2, windowSeconds: 3600 } };
    const healthy = createCredentialAbuseVerifier(options, { store: memory, ipResolver });
    for (const email of ['a@x', 'b@x', 'c@x']) {
      const ctx = makeContext({ now: Date.now(), body: { email } });
      await healthy.verify(ctx);
      await healthy.onResponse!(ctx, 401);
    }
    expect(await healthy.verify(makeContext({ now: Date.now(), body: { email: 'd@x' } }))).toMatchObject({ code: 'credential_abuse' });
    // The same store, its reservations now failing: the IP block it still answers for decides.
    const reserveDown: Store = Object.assign(Object.create(memory) as Store, {
      reserveAttempt: () => Promise.reject(new Error('reserve down')),
    });
    const degraded = createCredentialAbuseVerifier(options, { store: reserveDown, ipResolver });
    expect(await degraded.verify(makeContext({ now: Date.now(), body: { email: 'd@x' } }))).toMatchObject({ code: 'credential_abuse' });
    // A fresh IP has no block to go by: failOpen passes it.
    expect(await degraded.verify(makeContext({ now: Date.now(), body: { email: 'd@x' }, ip: '203.0.113.77' }))).toMatchObject({
      outcome: 'pass',
      detail: 'store unavailable; failing open',
    });
  });
  it('failOpen: a username lock the store answered stands while another counter of the same login fails', async () => {
    const memory = new MemoryStore();
    let deviceDown = false;
    const store: Store = Object.assign(Object.create(memory) as Store, {
      reserveAttempt: (key: string, ...rest: unknown[]) =>
        deviceDown && key.startsWith('ca:devatt:')
          ? Promise.reject(new Error('CLUSTERDOWN'))
          : (memory.reserveAttempt as (...a: unknown[]) => Promise<unknown>).call(memory, key, ...rest),
    });
    const verifier = createCredentialAbuseVerifier({ failOpen: true }, { store, ipResolver });
    const login = async () => {
      const ctx = makeContext({ now: Date.now(), body: { email: 'victim@x', password: 'guess' } });
      const result = await verifier.verify(ctx);
      if (result.outcome !== 'deny') await verifier.onResponse!(ctx, 401);
      return result;
    };
    for (let i = 0; i < 5; i++) expect((await login()).outcome).toBe('pass');
    expect(await login()).toMatchObject({ outcome: 'deny', code: 'login_locked' });
    deviceDown = true;
    for (let i = 0; i < 3; i++) expect(await login()).toMatchObject({ outcome: 'deny', code: 'login_locked' });
  });
  it('one failing counter does not stop the others from counting', async () => {
    const memory = new MemoryStore();
    const flaky: Store = Object.assign(Object.create(memory) as Store, {
      addToSet: () => Promise.reject(new Error('sets down')),
    });
    const verifier = createCredentialAbuseVerifier({ ipFailures: { limit: 1 } }, { store: flaky, ipResolver });
    const ctx = makeContext({ now: Date.now(), body: { email: 'a@x' } });
    await verifier.verify(ctx);
    await expect(verifier.onResponse!(ctx, 401)).rejects.toThrow('sets down');
    expect(await verifier.verify(makeContext({ now: Date.now(), body: { email: 'b@x' } }))).toMatchObject({
      code: 'credential_abuse',
    });
  });
});

describe('credentialAbuseOptionsSchema', () => {
  it('accepts a full configuration and the defaults are documented', () => {
    const config = {
      mode: 'monitor',
      failOpen: false,
      binding: { claim: 'pay', fields: ['body.email', 'header.x-nonce'] },
      consecutiveFailures: { limit: 5, lockSeconds: 60, maxLockSeconds: 3600, windowSeconds: 86_400 },
      ipFailures: { limit: 100, windowSeconds: 86_400 },
      deviceFailures: false,
      ipDistinctUsernames: { limit: 20 },
      deviceDistinctUsernames: { windowSeconds: 600 },
      successStatuses: [200],
      failureStatuses: [401],
      deviceClaims: ['did'],
      breachedPassword: { baseUrl: 'http://127.0.0.1:9999', timeoutMs: 500, failOpen: false },
    };
    expect(credentialAbuseOptionsSchema.safeParse(config).success).toBe(true);
    expect(CREDENTIAL_DEFAULTS.consecutiveFailures.limit).toBe(5);
  });
  it('names every bad path', () => {
    const result = credentialAbuseOptionsSchema.safeParse({
      ipFailures: { limit: 0 },
      binding: { fields: ['query.x'] },
      breachedPassword: { baseUrl: 'ftp://x' },
      nope: 1,
    });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['ipFailures.limit', 'binding.fields.0', 'breachedPassword.baseUrl', '']));
  });
  it('distinct-username limits stay below the stores\' set cap', () => {
    expect(credentialAbuseOptionsSchema.safeParse({ ipDistinctUsernames: { limit: 1000 } }).success).toBe(true);
    expect(credentialAbuseOptionsSchema.safeParse({ ipDistinctUsernames: { limit: 5000 } }).success).toBe(false);
  });
  it('route options: login.username required, false allowed', () => {
    expect(credentialRouteOptionsSchema.safeParse(false).success).toBe(true);
    expect(credentialRouteOptionsSchema.safeParse({ login: { username: 'header.x-user' } }).success).toBe(true);
    expect(credentialRouteOptionsSchema.safeParse({ login: {} }).success).toBe(false);
    expect(credentialRouteOptionsSchema.safeParse({ login: { username: 'header.X-User' } }).success).toBe(false);
  });
});

describe('properties', () => {
  it('arbitrary bodies, headers and claims never make verify or onResponse throw', async () => {
    const h = harness({ binding: true });
    const route = {
      credentials: { login: { username: 'body.user.name', password: 'body.pw' } },
    } as unknown as ResolvedRouteOptions;
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue(),
        fc.dictionary(fc.string({ maxLength: 20 }), fc.oneof(fc.string(), fc.integer(), fc.constant(null))),
        fc.oneof(fc.string(), fc.ipV4(), fc.ipV6()),
        fc.oneof(fc.integer({ min: 100, max: 599 }), fc.constantFrom('success' as const, 'failure' as const)),
        async (body, claims, ip, outcome) => {
          const ctx = makeContext({ now: h.clock.now, route, body, ip, attestation: { provider: 'p', claims } });
          const result = await h.verifier.verify(ctx);
          expect(['pass', 'deny']).toContain(result.outcome);
          await h.verifier.onResponse!(ctx, outcome);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('repeated logins', () => {
  // What a login costs is measured by the benchmarks (test/bench), never asserted here: this checks that thousands
  // of successful reserve-and-settle rounds leave no slot held (a leak would lock the username out).
  it('25,000 successful logins in a row on MemoryStore all pass', async () => {
    const { verifier } = harness();
    const ctx = () => makeContext({ now: 1, body: { email: 'user@example.com', password: 'x' } });
    const attempt = async () => {
      const c = ctx();
      expect((await verifier.verify(c)).outcome).toBe('pass');
      await verifier.onResponse!(c, 200);
    };
    for (let i = 0; i < 5000; i++) await attempt();
    for (let i = 0; i < 20_000; i++) await attempt();
  });
});
