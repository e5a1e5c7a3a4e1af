/**
 * The shield of the refused-login tests (refused-outcome, pending-denial): an Approov token, the login on
 * `POST /login` from the routes table (username `body.email`), three consecutive failures lock the account and four
 * attempts in flight take an IP's budget, and the payload shield denies a login body with an injection in it.
 */
import { approov } from '../../src/attestation/approov.js';
import { createShield } from '../../src/shield.js';
import { MemoryStore } from '../../src/stores/memory.js';

/** The login options of `POST /login`. */
export const LOGIN = { username: 'body.email' } as const;

/**
 * Creates the shield. Call it with `Date` faked and never advanced (`vi.useFakeTimers({ toFake: ['Date'] })`): a slot
 * held until `holdSeconds` then stays held for the whole test, so a slot that is not freed shows.
 */
export function loginRefusalShield(secret: string): ReturnType<typeof createShield> {
  return createShield({
    token: approov({ secret }),
    store: new MemoryStore({ now: () => Date.now() }),
    trustProxy: ['loopback'],
    credentials: { consecutiveFailures: { limit: 3, lockSeconds: 60 }, ipFailures: { limit: 4, windowSeconds: 3600 } },
    payload: {},
    routes: { 'POST /login': { token: { binding: false }, credentials: { login: LOGIN } } },
  } as unknown as Parameters<typeof createShield>[0]);
}

/** Resolves after the response's `finish`/`close` listeners and the store writes they start have run. */
export const settled = (): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, 5));
