/**
 * Issue 12 on real Redis: how many round trips a login costs the RedisStore. A round trip is a wave of commands
 * issued while none of the login's commands is in flight (commands issued together travel and are answered
 * together); the client is wrapped to count waves and commands, separately for the request path (`verify`) and for
 * the settlement after the response (`onResponse`).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createClientIpResolver } from '../../../src/core/client-ip.js';
import { RedisStore } from '../../../src/stores/redis.js';
import { createCredentialAbuseVerifier } from '../../../src/verifiers/credential-abuse/index.js';
import { redisForTestFile } from '../../stores/redis-helpers.js';
import { REDIS_LABEL, redisAnswers } from '../../helpers/redis.js';
import { makeContext } from './helpers.js';

const { client, prefix } = redisForTestFile('rtt');

const COMMANDS = new Set(['evalsha', 'eval', 'get', 'set', 'unlink', 'srem']);

/** The client, counting waves (round trips) and commands into `meter`. */
function metered(redis: Redis) {
  /** `completed`: waves whose every reply has arrived; a wave still in flight when a step ends was not waited for. */
  const meter = { waves: 0, completed: 0, commands: 0, inFlight: 0, onIssue: undefined as (() => void) | undefined };
  const proxy = new Proxy(redis, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof property !== 'string' || !COMMANDS.has(property) || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (meter.inFlight === 0) meter.waves += 1;
        meter.commands += 1;
        meter.inFlight += 1;
        meter.onIssue?.();
        const done = () => {
          meter.inFlight -= 1;
          if (meter.inFlight === 0) meter.completed += 1;
        };
        const reply = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        reply.then(done, done);
        return reply;
      };
    },
  });
  const reset = () => Object.assign(meter, { waves: 0, completed: 0, commands: 0 });
  return { proxy, meter, reset };
}

describe.skipIf(!redisAnswers)(`round trips of a login on RedisStore (${REDIS_LABEL})`, () => {
  const { proxy, meter, reset } = metered(client);
  const store = new RedisStore({ client: proxy, prefix });
  // Every counter in force (the defaults), so the login touches every key a login can touch.
  const verifier = createCredentialAbuseVerifier({}, { store, ipResolver: createClientIpResolver({}) });
  const login = (email: string, did = 'device-1') =>
    makeContext({ now: Date.now(), body: { email, password: 'x' }, attestation: { provider: 'test', claims: { did } } });

  async function measure(email: string, status: number) {
    const ctx = login(email);
    reset();
    const result = await verifier.verify(ctx);
    const request = { waves: meter.waves, waited: meter.completed, commands: meter.commands };
    reset();
    await verifier.onResponse!(ctx, status);
    const after = { waves: meter.waves, waited: meter.completed, commands: meter.commands };
    return { result, request, after };
  }

  it('warm-up: the scripts get cached on the server (EVAL once on NOSCRIPT)', async () => {
    await measure(`warm-${randomUUID()}@x`, 401);
    await measure(`warm-${randomUUID()}@x`, 200);
  });

  it('a failed login: one round trip on the request path; the settlement after the response is not waited for by the next request', async () => {
    const { result, request, after } = await measure('fail@x', 401);
    expect(result).toEqual({ outcome: 'pass' });
    // Block reads (ip, device) and reservations (username+ip, ip, device, ip and device username sets): one wave.
    expect(request).toEqual({ waves: 1, waited: 1, commands: 7 });
    // After the response: the failures and set additions in one wave (a second only when a set reaches its limit).
    expect(after).toEqual({ waves: 1, waited: 1, commands: 5 });
    console.log(`failed login: request path ${request.waves} round trip / ${request.commands} commands; after the response ${after.waves} / ${after.commands}`);
  });

  it('a successful login: one round trip on the request path, one after the response', async () => {
    const { result, request, after } = await measure('ok@x', 200);
    expect(result).toEqual({ outcome: 'pass' });
    expect(request).toEqual({ waves: 1, waited: 1, commands: 7 });
    // Clear the username+ip streak, release the ip and device budgets and the set reservations.
    expect(after).toEqual({ waves: 1, waited: 1, commands: 5 });
    console.log(`successful login: request path ${request.waves} round trip / ${request.commands} commands; after the response ${after.waves} / ${after.commands}`);
  });

  it('a locked login is refused in one round trip too (its releases are not awaited)', async () => {
    for (let i = 0; i < 5; i++) await measure('locked@x', 401);
    const ctx = login('locked@x');
    reset();
    const result = await verifier.verify(ctx);
    expect(result).toMatchObject({ outcome: 'deny', code: 'login_locked' });
    // One wave waited for; the releases of the slots other counters granted are on their way, not awaited.
    expect(meter.completed).toBe(1);
    expect(meter.waves).toBe(2);
    expect(meter.inFlight).toBeGreaterThan(0);
    // Let the releases land before the next test.
    await new Promise((r) => setTimeout(r, 50));
  });

  it('a login from a device this instance saw blocked: one round trip of block reads, no reservation, nothing after', async () => {
    const did = `stuffer-${randomUUID()}`;
    const from = (email: string) => makeContext({ now: Date.now(), body: { email, password: 'x' }, attestation: { provider: 'test', claims: { did } } });
    // Five distinct usernames failing from one device block it (deviceDistinctUsernames' default).
    for (let i = 0; i < 5; i++) {
      const ctx = from(`s${i}-${randomUUID()}@x`);
      await verifier.verify(ctx);
      await verifier.onResponse!(ctx, 401);
    }
    const first = from(`s-${randomUUID()}@x`);
    reset();
    expect(await verifier.verify(first)).toMatchObject({ outcome: 'deny', code: 'credential_abuse' });
    // The ordinary path: block reads and reservations in one wave, the releases after it.
    expect(meter.commands).toBeGreaterThan(2);
    await new Promise((r) => setTimeout(r, 50));
    const ctx = from(`s-${randomUUID()}@x`);
    reset();
    expect(await verifier.verify(ctx)).toMatchObject({ outcome: 'deny', code: 'credential_abuse' });
    expect({ waves: meter.waves, waited: meter.completed, commands: meter.commands, inFlight: meter.inFlight }).toEqual({ waves: 1, waited: 1, commands: 2, inFlight: 0 });
    reset();
    await verifier.onResponse!(ctx, 429);
    expect(meter.commands).toBe(0);
    console.log('blocked device, known here: request path 1 round trip / 2 commands (block reads); nothing after the response');
  });

  it('a verify does not wait for an earlier login still settling', async () => {
    const first = login('overlap@x');
    await verifier.verify(first);
    let settled = false;
    const settling = Promise.resolve(verifier.onResponse!(first, 401)).then(() => void (settled = true));
    // Every command of the next login goes out before the settlement has answered: nothing on its path waits for
    // it (same connection, so Redis still runs them after the settlement's commands, in order).
    reset();
    const issuedWhileSettling: boolean[] = [];
    meter.onIssue = () => void issuedWhileSettling.push(!settled);
    const second = verifier.verify(login('overlap@x'));
    await Promise.all([settling, second]);
    meter.onIssue = undefined;
    expect(issuedWhileSettling).toEqual(Array.from({ length: 7 }, () => true));
  });
});
