/**
 * Follow-up review: the service awaited the user `policy` and every custom Store call without a deadline, so a
 * policy promise (or a Store method) that never settles hung the request for good, against the rule "never a hang; a
 * verifier that cannot decide denies". Each call is now bounded by `callTimeoutMs` (default 3 000): past it the
 * request is answered 503 `shield_unavailable` (problem+json, as any other failure of the service) and `onEvent` hears
 * an `error` with the reason `policy_timeout` / `store_timeout`. Checked on every endpoint adapter.
 */
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import type { AttestationServiceEvent } from '../../../src/attestation/issuer/index.js';
import { ShieldConfigError } from '../../../src/core/errors.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import type { Store } from '../../../src/stores/store.js';
import type { RunningApp } from '../../helpers/adapters.js';
import { ENDPOINT_ADAPTERS } from '../../helpers/endpoint-apps.js';
import { androidTokenBody, testService } from './fixtures.js';

const running: RunningApp[] = [];
afterAll(() => Promise.all(running.map((app) => app.close())));

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/** A Store every method of which (the optional ones too) never settles: a custom backend that lost its connection. */
function hangingStore(): Store {
  const store = new MemoryStore() as unknown as Record<string, unknown>;
  for (const name of ['setIfAbsent', 'get', 'delete', 'increment', 'addToSet', 'setIfGreater', 'raiseIfPresent', 'reserveMember', 'removeMember']) store[name] = () => never();
  return store as unknown as Store;
}

/** A guard, not a speed check: on code that hangs, the request fails here instead of holding the server open. */
const HANG_GUARD_MS = 8_000;

/** POSTs `body` to `url` + `path`, failing rather than waiting forever. */
function post(url: string, path: string, body: object): Promise<request.Response> {
  return request(url).post(path).timeout(HANG_GUARD_MS).send(body).then((res) => res);
}

function expectUnavailable(res: request.Response): void {
  expect(res.status).toBe(503);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.code).toBe('shield_unavailable');
}

describe.each(ENDPOINT_ADAPTERS.map((a) => [a.name, a] as const))('%s', (_name, harness) => {
  it('answers 503 when the policy never settles, and reports policy_timeout', async () => {
    const events: AttestationServiceEvent[] = [];
    const service = testService(new MemoryStore(), { policy: () => never(), callTimeoutMs: 150, onEvent: (e) => void events.push(e) });
    const app = await harness.start({ endpoints: service });
    running.push(app);
    const { challenge } = (await request(app.url).post('/attest/challenge').send({}).expect(200)).body as { challenge: string };
    expectUnavailable(await post(app.url, '/attest/android', await androidTokenBody({ challenge })));
    expect(events.filter((e) => e.outcome === 'error')).toEqual([
      { route: '/attest/android', outcome: 'error', reason: 'policy_timeout', platform: 'android', ip: expect.any(String) },
    ]);
  }, 15_000);

  it('answers 503 when the Store never settles (JWKS still served), and reports store_timeout', async () => {
    const events: AttestationServiceEvent[] = [];
    const service = testService(hangingStore(), { callTimeoutMs: 150, onEvent: (e) => void events.push(e) });
    const app = await harness.start({ endpoints: service });
    running.push(app);
    expectUnavailable(await post(app.url, '/attest/challenge', {}));
    expectUnavailable(await post(app.url, '/attest/android', await androidTokenBody({ challenge: 'A'.repeat(43) })));
    expect(events.filter((e) => e.outcome === 'error').map((e) => [e.route, e.reason])).toEqual([
      ['/attest/challenge', 'store_timeout'],
      ['/attest/android', 'store_timeout'],
    ]);
    // The public keys stay available through a store outage, as documented.
    const jwks = await request(app.url).get('/.well-known/jwks.json').timeout(HANG_GUARD_MS);
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys).toHaveLength(1);
  }, 30_000);
});

describe('callTimeoutMs', () => {
  it('bounds a never-settling policy by default (3 000 ms), and is checked', async () => {
    const service = testService(new MemoryStore(), { policy: () => never() });
    const app = await ENDPOINT_ADAPTERS[1]!.start({ endpoints: service });
    running.push(app);
    const { challenge } = (await request(app.url).post('/attest/challenge').send({}).expect(200)).body as { challenge: string };
    expectUnavailable(await post(app.url, '/attest/android', await androidTokenBody({ challenge })));
    for (const bad of [0, -1, 1.5, 60_001, Number.NaN]) {
      expect(() => testService(new MemoryStore(), { callTimeoutMs: bad })).toThrow(ShieldConfigError);
    }
  }, 15_000);
});
