/**
 * A login check still pending at the core's verifier deadline (a store slower than `verifierTimeoutMs`) is answered
 * `shield_unavailable` at once, and the core tells the credential verifier how the request ended ('refused') right
 * then. The verifier had not kept its attempt yet, so nothing was released; the reservations it took afterwards were
 * never settled and held their slots for `holdSeconds`: a few slow answers locked the username out (`login_locked`,
 * attempts "in flight") although none of those logins ever reached the handler. An outcome that arrives before the
 * attempt is kept now settles it as soon as verify takes it.
 */
import { describe, expect, it } from 'vitest';
import { createShield } from '../../../src/shield.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import { RedisStore } from '../../../src/stores/redis.js';
import type { Store } from '../../../src/stores/store.js';
import { redisForTestFile } from '../../stores/redis-helpers.js';
import { REDIS_LABEL, redisAnswers } from '../../helpers/redis.js';

const { client, prefix } = redisForTestFile('review-late-verify');
let stores = 0;
const STORES: readonly (readonly [string, () => Store, boolean])[] = [
  ['MemoryStore', () => new MemoryStore(), true],
  [`RedisStore (${REDIS_LABEL})`, () => new RedisStore({ client, prefix: `${prefix}${(stores += 1)}:` }), redisAnswers],
];

/** `store` with every reservation answered `delayMs` late while `slow.on`, each late answer kept in `slow.late`. */
function slowed(store: Store, slow: { on: boolean; late: Promise<unknown>[] }, delayMs: number): Store {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!slow.on || (name !== 'reserveAttempt' && name !== 'reserveMember')) return result;
        const late = new Promise((resolve) => setTimeout(() => resolve(result), delayMs));
        slow.late.push(late.catch(() => undefined));
        return late;
      };
    },
  });
}

const login = (email: string) => ({
  method: 'POST',
  path: '/login',
  headers: { 'content-type': 'application/json' },
  ip: '203.0.113.9',
  body: { email, password: 'guess' },
});

describe.each(STORES)('a login check that outlives the verifier deadline on %s', (_name, makeStore, available) => {
  it.runIf(available)('frees the slots it reserves after the request was answered', async () => {
    const slow = { on: true, late: [] as Promise<unknown>[] };
    const shield = createShield({
      verifierTimeoutMs: 50,
      store: slowed(makeStore(), slow, 400),
      credentials: { consecutiveFailures: { limit: 2 }, holdSeconds: 3600 },
      routes: { 'POST /login': { token: false, credentials: { login: { username: 'body.email' } } } },
    });
    for (let i = 0; i < 2; i++) {
      const request = login('victim@example.com');
      const decision = await shield.check(request);
      expect(decision.code).toBe('shield_unavailable');
      shield.respond(decision, request); // the 503 is sent; the core reports 'refused' to the listeners
    }
    // Every late reservation answered, and the verify it belonged to carried on from there.
    await Promise.all(slow.late);
    await new Promise((resolve) => setImmediate(resolve));
    slow.on = false;
    const decision = await shield.check(login('victim@example.com'));
    // Before the fix: login_locked ("as many login attempts in flight ... as its failure limit allows") for an hour.
    expect(decision.code).toBeUndefined();
    expect(decision.allowed).toBe(true);
  });

  it.runIf(available)('counts the failures of logins it let through failing open', async () => {
    const slow = { on: true, late: [] as Promise<unknown>[] };
    const shield = createShield({
      verifierTimeoutMs: 50,
      store: slowed(makeStore(), slow, 400),
      credentials: { failOpen: true, consecutiveFailures: { limit: 2 }, holdSeconds: 3600 },
      routes: { 'POST /login': { token: false, credentials: { login: { username: 'body.email' } } } },
    });
    for (let i = 0; i < 2; i++) {
      const decision = await shield.check(login('victim@example.com'));
      expect(decision.allowed).toBe(true); // failed open at the deadline: the handler runs
      await shield.reportOutcome(decision, 401); // and answers a wrong password
    }
    await Promise.all(slow.late);
    await new Promise((resolve) => setImmediate(resolve));
    slow.on = false;
    const decision = await shield.check(login('victim@example.com'));
    expect(decision.code).toBe('login_locked');
    // Before the fix the two failures never counted: their slots were only held, "in flight" for an hour.
    expect(decision.results.find((r) => r.verifier === 'credential-abuse')?.detail).toBe('username locked on this ip key after consecutive failures');
  });
});
