/**
 * A forged pin set with a huge `version` (signed with a leaked retired key old builds still embed) made
 * `refreshPinSet` refuse every genuine set as a rollback, even once the forged set had hard-expired (no longer
 * enforced), until the app restarted. Now, once the held set is past its hard expiry, a lower version is taken when
 * it was issued after the held set; an older set replayed (issued before it) stays a rollback, and before the expiry
 * nothing changes. The restart path (re-verifying the persisted set at start-up) reaches the same set.
 */
import { CompactSign, exportJWK, generateKeyPair, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { createPinSetPublisher } from '../../src/channel/publisher.js';
import type { PinSetPayload } from '../../src/channel/pinset-payload.js';
import { pinPolicyFor, refreshPinSet, verifyPinSet, type PinSetState } from '../../src/client/pinset.js';

const A = Buffer.alloc(32, 1).toString('base64');
const NEXT = Buffer.alloc(32, 3).toString('base64');
const EVIL = Buffer.alloc(32, 9).toString('base64');
const T0 = Date.parse('2026-06-01T00:00:00Z');
const NOW = T0 / 1000;
const DAY = 86_400;
const HUGE = 1e12;

async function es256(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateKey, privateJwk: { ...(await exportJWK(privateKey)), kid } as JWK, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' } as JWK };
}

const retired = await es256('pins-2024');
const current = await es256('pins-2026');
/** What an old build embeds: the retired key (leaked) and the current one. */
const EMBEDDED = [retired.publicJwk, current.publicJwk];

/** A set forged with the retired key: version 1e12, signed at T0, hard-expiring 20 days later, pinning EVIL. */
function forged(): Promise<string> {
  const payload: PinSetPayload = {
    version: HUGE,
    issuedAt: NOW,
    softExpiry: NOW + DAY,
    hardExpiry: NOW + 20 * DAY,
    hosts: { 'api.example.com': { pins: [EVIL], backupPins: [EVIL], includeSubdomains: true, enforce: true } },
  };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'ES256', kid: 'pins-2024', typ: 'pinset+jws' })
    .sign(retired.privateKey);
}

/** The genuine set (version 7, 30-day hard expiry) as the publisher serves it at `ms`. */
async function genuineAt(ms: number): Promise<string> {
  const publisher = await createPinSetPublisher({
    signingKeys: [{ kid: 'pins-2026', privateKey: current.privateJwk }],
    hosts: { 'api.example.com': { pins: [A], backupPins: [NEXT] } },
    version: 7,
    now: () => ms,
  });
  return (await publisher.current()).jws;
}

const at = (days: number) => T0 + days * DAY * 1000;
const refreshAt = (state: PinSetState, jws: string, days: number) => refreshPinSet(state, async () => jws, EMBEDDED, { now: at(days) });

describe('a held forged set with a huge version', () => {
  it('locks genuine sets out until its hard expiry, and no longer after it', async () => {
    const held = await refreshAt({ current: undefined }, await forged(), 0);
    expect(held.current?.payload.version).toBe(HUGE);

    // Before its hard expiry: the genuine set is a rollback, and the forged pins stay enforced.
    const before = await refreshAt(held, await genuineAt(at(19)), 19);
    expect(before.current).toBe(held.current);
    expect(before.lastError).toMatchObject({ code: 'rollback' });
    expect(pinPolicyFor(before.current, 'api.example.com', at(19))).toEqual({ enforce: true, pins: [EVIL, EVIL] });

    // Past it: the genuine set, issued after the forged one, replaces it without a restart.
    const genuine = await genuineAt(at(21));
    const after = await refreshAt(held, genuine, 21);
    expect(after.lastError).toBeUndefined();
    expect(after.current?.payload.version).toBe(7);
    expect(pinPolicyFor(after.current, 'api.example.com', at(21))).toEqual({ enforce: true, pins: [A, NEXT] });
    // Its floor is now the genuine set's: a later genuine refresh (same version) is taken, the forged set is not again.
    expect((await refreshAt(after, await genuineAt(at(22)), 22)).current?.payload.issuedAt).toBeGreaterThan(after.current!.payload.issuedAt);
    expect((await refreshAt(after, await forged(), 22)).lastError).toMatchObject({ code: 'hard_expired' });

    // A restart reaches the same set: the persisted forged set fails re-verification past its expiry (and passes
    // before it, so a restart does not lift the lock-out early), after which the genuine set is taken.
    await expect(verifyPinSet(held.current!.jws, EMBEDDED, { now: at(21) })).rejects.toMatchObject({ code: 'hard_expired' });
    expect((await verifyPinSet(held.current!.jws, EMBEDDED, { now: at(19) })).payload.version).toBe(HUGE);
    expect((await refreshAt({ current: undefined }, genuine, 21)).current?.payload).toEqual(after.current?.payload);
  });

  it('past its hard expiry still refuses an older genuine set replayed (issued before it), and takes the fresh one', async () => {
    // The app held genuine version 7 signed the day before; the forged set displaced it at T0.
    const old = await genuineAt(at(-1));
    const first = await refreshAt({ current: undefined }, old, -1);
    const held = await refreshAt(first, await forged(), 0);
    expect(held.current?.payload.version).toBe(HUGE);

    // Day 21: the forged set has expired, the old genuine set has not (30 days from day -1), but predates the forged one.
    expect((await verifyPinSet(old, EMBEDDED, { now: at(21) })).payload.version).toBe(7);
    const replayed = await refreshAt(held, old, 21);
    expect(replayed.current).toBe(held.current);
    expect(replayed.lastError).toMatchObject({ code: 'rollback' });

    const fresh = await refreshAt(held, await genuineAt(at(21)), 21);
    expect(fresh.lastError).toBeUndefined();
    expect(fresh.current?.payload.version).toBe(7);
    expect(fresh.current?.payload.issuedAt).toBeGreaterThan(NOW);
  });
});

describe('verifyPinSet lastHardExpiry', () => {
  const last = { lastVersion: HUGE, lastIssuedAt: NOW + 600, lastHardExpiry: NOW + 20 * DAY };

  it('takes a lower version only past lastHardExpiry, only issued strictly after lastIssuedAt, and only with lastIssuedAt', async () => {
    const jws = await genuineAt(at(21)); // issued at a window start after NOW + 600
    const issuedAt = (await verifyPinSet(jws, EMBEDDED, { now: at(21) })).payload.issuedAt;
    expect((await verifyPinSet(jws, EMBEDDED, { now: at(21), ...last })).payload.version).toBe(7);
    // Past lastHardExpiry by one second, not before (nor at) it.
    const nowSec = at(21) / 1000;
    expect((await verifyPinSet(jws, EMBEDDED, { now: at(21), ...last, lastHardExpiry: nowSec - 1 })).payload.version).toBe(7);
    await expect(verifyPinSet(jws, EMBEDDED, { now: at(21), ...last, lastHardExpiry: nowSec })).rejects.toMatchObject({ code: 'rollback' });
    await expect(verifyPinSet(jws, EMBEDDED, { now: at(21), ...last, lastHardExpiry: nowSec + DAY })).rejects.toMatchObject({ code: 'rollback' });
    // Issued at the same instant as the set held is not after it.
    await expect(verifyPinSet(jws, EMBEDDED, { now: at(21), ...last, lastIssuedAt: issuedAt })).rejects.toMatchObject({ code: 'rollback' });
    expect((await verifyPinSet(jws, EMBEDDED, { now: at(21), ...last, lastIssuedAt: issuedAt - 1 })).payload.version).toBe(7);
    // Without lastIssuedAt there is nothing to order by: a lower version stays a rollback.
    await expect(verifyPinSet(jws, EMBEDDED, { now: at(21), lastVersion: HUGE, lastHardExpiry: last.lastHardExpiry })).rejects.toMatchObject({ code: 'rollback' });
  });
});
