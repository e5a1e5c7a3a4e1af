/**
 * The support reset (`buildCredentialAbuse(...).api.reset`, exposed as `shield.credentials.reset`) on a MemoryStore
 * with a movable clock: what each field unlocks, input validation, and a failure racing a reset.
 */
import { describe, expect, it } from 'vitest';
import { createClientIpResolver } from '../../../src/core/client-ip.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import { buildCredentialAbuse, type CredentialAbuseOptions } from '../../../src/verifiers/credential-abuse/index.js';
import { makeContext } from './helpers.js';

function setup(options: CredentialAbuseOptions = {}) {
  const clock = { now: 1_800_000_000_000 };
  const store = new MemoryStore({ now: () => clock.now });
  const { verifier, api } = buildCredentialAbuse(options, { store, ipResolver: createClientIpResolver({}) });
  const context = (email: string, ip: string, did: string) =>
    makeContext({ now: clock.now, ip, body: { email, password: 'x' }, attestation: { provider: 'test', claims: { did } } });
  async function attempt(email: string, status: number, ip = '198.51.100.7', did = 'device-1') {
    const ctx = context(email, ip, did);
    const result = await verifier.verify(ctx);
    if (result.outcome !== 'deny') await verifier.onResponse!(ctx, status);
    return result;
  }
  return { clock, store, verifier, api, attempt, context };
}

const ONLY_LOCK = { ipFailures: false, deviceFailures: false, ipDistinctUsernames: false, deviceDistinctUsernames: false } as const;

describe('credentials reset', () => {
  it('username: lifts the locks of that username on every IP key (and only its own)', async () => {
    const { api, attempt } = setup(ONLY_LOCK);
    for (const ip of ['198.51.100.7', '203.0.113.9']) {
      for (let i = 0; i < 5; i++) await attempt('Alice@Example.com', 401, ip);
      expect(await attempt('alice@example.com', 200, ip)).toMatchObject({ code: 'login_locked' });
    }
    for (let i = 0; i < 5; i++) await attempt('bob@example.com', 401);
    // Normalised as logins are: case and surrounding space do not matter.
    expect(await api.reset({ username: '  ALICE@example.com ' })).toEqual({ cleared: ['username-locks'] });
    expect(await attempt('alice@example.com', 200, '198.51.100.7')).toEqual({ outcome: 'pass' });
    expect(await attempt('alice@example.com', 200, '203.0.113.9')).toEqual({ outcome: 'pass' });
    expect(await attempt('bob@example.com', 200)).toMatchObject({ code: 'login_locked' });
  });

  it('ip: resets the IP key budget and distinct-username block (the whole /64 for IPv6)', async () => {
    const { api, attempt } = setup({ consecutiveFailures: false, deviceFailures: false, deviceDistinctUsernames: false, ipFailures: { limit: 3 }, ipDistinctUsernames: { limit: 2 } });
    await attempt('a@x', 401, '2001:db8:1:2::10', 'd1');
    await attempt('b@x', 401, '2001:db8:1:2::11', 'd2');
    expect(await attempt('c@x', 200, '2001:db8:1:2::12', 'd3')).toMatchObject({ code: 'credential_abuse' });
    await expect(api.reset({ ip: '2001:db8:1:2::ffff' })).resolves.toEqual({
      cleared: ['ip-failures', 'ip-usernames'],
      ipKey: '2001:db8:1:2::/64',
    });
    expect(await attempt('c@x', 200, '2001:db8:1:2::12', 'd3')).toEqual({ outcome: 'pass' });
    // The failed usernames went with the reset: one new failure does not fill the set again.
    await attempt('d@x', 401, '2001:db8:1:2::13', 'd4');
    expect(await attempt('e@x', 200, '2001:db8:1:2::14', 'd5')).toEqual({ outcome: 'pass' });
  });

  it('device: resets the device budget and its distinct-username block', async () => {
    const { api, attempt } = setup({ consecutiveFailures: false, ipFailures: false, ipDistinctUsernames: false, deviceFailures: { limit: 2 } });
    await attempt('a@x', 401, '198.51.100.1', 'phone-9');
    await attempt('a@x', 401, '198.51.100.2', 'phone-9');
    expect(await attempt('a@x', 200, '198.51.100.3', 'phone-9')).toMatchObject({ code: 'credential_abuse' });
    expect(await api.reset({ device: 'phone-9' })).toEqual({ cleared: ['device-failures', 'device-usernames'] });
    expect(await attempt('a@x', 200, '198.51.100.3', 'phone-9')).toEqual({ outcome: 'pass' });
  });

  it('several fields reset each of them', async () => {
    const { api } = setup();
    const result = await api.reset({ username: 'a', ip: '198.51.100.7', device: 'd' });
    expect(result).toEqual({
      cleared: ['username-locks', 'ip-failures', 'ip-usernames', 'device-failures', 'device-usernames'],
      ipKey: '198.51.100.7',
    });
  });

  it('a failure racing the reset counts in the new window, never on the old count', async () => {
    const { api, verifier, context, attempt } = setup(ONLY_LOCK);
    for (let i = 0; i < 4; i++) await attempt('carol@x', 401);
    // The 5th attempt is in flight (its slot reserved) when the desk resets the username.
    const inFlight = context('carol@x', '198.51.100.7', 'device-1');
    expect(await verifier.verify(inFlight)).toEqual({ outcome: 'pass' });
    await api.reset({ username: 'carol@x' });
    await verifier.onResponse!(inFlight, 401);
    // 1 failure after the reset, not 5: the next four attempts still reach the application.
    for (let i = 0; i < 3; i++) expect(await attempt('carol@x', 401)).toEqual({ outcome: 'pass' });
    expect(await attempt('carol@x', 401)).toEqual({ outcome: 'pass' });
    expect(await attempt('carol@x', 401)).toMatchObject({ code: 'login_locked' });
  });

  it('refuses a target that would reset nothing or is malformed, with a TypeError naming the problem', async () => {
    const { api } = setup();
    const bad: unknown[] = [
      undefined,
      null,
      'alice',
      [],
      {},
      { username: undefined },
      { username: '' },
      { username: '   ' },
      { username: 42 },
      { ip: ['198.51.100.7'] },
      { device: { id: 'x' } },
      { ip: 'not-an-ip' },
      { ip: '198.51.100.0/24' },
      { ip: '010.1.1.1x' },
      { user: 'alice' },
      { username: 'a'.repeat(1025) },
    ];
    for (const target of bad) {
      await expect(api.reset(target as never), JSON.stringify(target)).rejects.toThrow(TypeError);
    }
    await expect(api.reset({} as never)).rejects.toThrow(/at least one of username, ip, device/);
    await expect(api.reset({ user: 'alice' } as never)).rejects.toThrow(/unknown field "user"/);
  });

  it('a store without resetScope cannot reset a username: it says so instead of resetting nothing', async () => {
    // A custom store written before resetScope existed: every other operation, no resetScope.
    const store = new MemoryStore();
    Object.defineProperty(store, 'resetScope', { value: undefined });
    const { api } = buildCredentialAbuse({}, { store, ipResolver: createClientIpResolver({}) });
    await expect(api.reset({ username: 'alice' })).rejects.toThrow(/needs a store with resetScope/);
    await expect(api.reset({ ip: '198.51.100.7' })).resolves.toMatchObject({ cleared: ['ip-failures', 'ip-usernames'] });
  });

  it('rejects when the store cannot answer (the desk sees the failure and retries)', async () => {
    const store = new MemoryStore();
    store.delete = () => Promise.reject(new Error('store down'));
    const { api } = buildCredentialAbuse({}, { store, ipResolver: createClientIpResolver({}) });
    await expect(api.reset({ ip: '198.51.100.7' })).rejects.toThrow('store down');
  });
});
