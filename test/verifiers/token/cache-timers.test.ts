/**
 * A cached token is checked without arming a timer. lru-cache's default `ttlResolution` (1 ms) reads the clock
 * through a `setTimeout` that clears its cached time a millisecond later: with requests more than 1 ms apart that
 * was one timer per request, and its firing an extra event-loop wake-up (about 50 µs of CPU per request on the
 * shared VM of 2026-11-30, against about 1 µs for the check itself).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { approov } from '../../../src/attestation/approov.js';
import { createShield } from '../../../src/shield.js';
import type { ShieldRequest } from '../../../src/core/request.js';
import { createTestAttester } from '../../../src/testing/index.js';

const attester = createTestAttester({ header: 'approov-token' });
const AUTH = 'Bearer user-alice-session';
const requestWith = (token: string): ShieldRequest => ({
  method: 'GET',
  path: '/profile',
  ip: '203.0.113.5',
  headers: { authorization: AUTH, 'approov-token': token },
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a check with a cached token arms no timer', () => {
  it('checks of a cached token, 5 ms apart, call setTimeout zero times', async () => {
    const shield = createShield({ token: approov({ secret: attester.secret! }) });
    const token = await attester.mint({ bindTo: AUTH });
    expect((await shield.check(requestWith(token))).allowed).toBe(true); // verified and cached
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const start = performance.now();
      while (performance.now() - start < 5); // past any 1 ms clock cache, without a timer of our own
      const decision = await shield.check(requestWith(token));
      expect(decision.results[0]).toMatchObject({ outcome: 'pass', cache: 'hit' });
    }
    expect(setTimeoutSpy).not.toHaveBeenCalled();
  });

  it('neither does a whole check with the device policy, the payload shield and credentials configured', async () => {
    const shield = createShield({
      token: approov({ secret: attester.secret! }),
      device: { tokenClaims: { signals: { rooted: 'rooted', emulator: 'emulator' } } },
      credentials: {},
      payload: { contentTypes: ['application/json'] },
    });
    const token = await attester.mint({ bindTo: AUTH });
    const order = (): ShieldRequest => ({
      ...requestWith(token),
      method: 'POST',
      path: '/v1/orders',
      headers: { authorization: AUTH, 'approov-token': token, 'content-type': 'application/json', 'content-length': '24' },
      body: { orderId: 'ord_1', qty: 2 },
    });
    expect((await shield.check(order())).allowed).toBe(true);
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const setIntervalSpy = vi.spyOn(globalThis, 'setInterval');
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      while (performance.now() - start < 5);
      expect((await shield.check(order())).allowed).toBe(true);
    }
    expect(setTimeoutSpy).not.toHaveBeenCalled();
    expect(setIntervalSpy).not.toHaveBeenCalled();
  });
});
