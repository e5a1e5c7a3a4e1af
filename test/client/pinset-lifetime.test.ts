/**
 * A pin set is accepted only within a bounded lifetime from the app's own clock. A retired signing key (dropped from
 * the publisher's `signingKeys`, still embedded in old builds) that leaks could sign a set hard-expiring in the year
 * 9999, which those apps then enforced indefinitely; now a set living longer than MAX_PINSET_LIFETIME_SECONDS (or the
 * app's `maxLifetimeSeconds`) is refused, and one issued beyond the clock tolerance in the future was already.
 */
import { CompactSign, exportJWK, generateKeyPair, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { createPinSetPublisher } from '../../src/channel/publisher.js';
import { MAX_PINSET_LIFETIME_SECONDS, type PinSetPayload } from '../../src/channel/pinset-payload.js';
import { importSigningKey, signPinSet } from '../../src/channel/sign-pinset.js';
import { pinPolicyFor, refreshPinSet, verifyPinSet, type PinSetState } from '../../src/client/pinset.js';
import { ShieldConfigError } from '../../src/core/errors.js';

const A = Buffer.alloc(32, 1).toString('base64');
const NEXT = Buffer.alloc(32, 3).toString('base64');
const EVIL = Buffer.alloc(32, 9).toString('base64');
const T0 = Date.parse('2026-06-01T00:00:00Z');
const NOW = T0 / 1000;
const DAY = 86_400;

async function es256(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return {
    privateKey,
    privateJwk: { ...(await exportJWK(privateKey)), kid } as JWK,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' } as JWK,
  };
}

const retired = await es256('pins-2024');
const current = await es256('pins-2026');
/** What an old build embeds: the retired key and the current one. */
const EMBEDDED = [retired.publicJwk, current.publicJwk];

/** A set signed with the (stolen) retired key, pinning the attacker's key on the API host. */
function forge(times: { issuedAt: number; hardExpiry: number }, version = 1_000): Promise<string> {
  const payload: PinSetPayload = {
    version,
    issuedAt: times.issuedAt,
    softExpiry: times.issuedAt,
    hardExpiry: times.hardExpiry,
    hosts: { 'api.example.com': { pins: [EVIL], backupPins: [EVIL], includeSubdomains: true, enforce: true } },
  };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'ES256', kid: 'pins-2024', typ: 'pinset+jws' })
    .sign(retired.privateKey);
}

async function genuine(hardExpirySeconds?: number) {
  const publisher = await createPinSetPublisher({
    signingKeys: [{ kid: 'pins-2026', privateKey: current.privateJwk }],
    hosts: { 'api.example.com': { pins: [A], backupPins: [NEXT] } },
    version: 7,
    now: () => T0,
    ...(hardExpirySeconds !== undefined ? { hardExpirySeconds } : {}),
  });
  return publisher.current();
}

describe('a pin set signed by a retired key with a far-future hard expiry', () => {
  it('is refused (lifetime_exceeded), and the app keeps its genuine set', async () => {
    const forged = await forge({ issuedAt: NOW, hardExpiry: 253_402_300_799 }); // 9999-12-31
    await expect(verifyPinSet(forged, EMBEDDED, { now: T0 })).rejects.toMatchObject({ code: 'lifetime_exceeded' });
    const held: PinSetState = { current: await verifyPinSet((await genuine()).jws, EMBEDDED, { now: T0 }) };
    const after = await refreshPinSet(held, async () => forged, EMBEDDED, { now: T0 });
    expect(after.current).toBe(held.current);
    expect(after.lastError).toMatchObject({ code: 'lifetime_exceeded' });
    expect(pinPolicyFor(after.current, 'api.example.com', T0)).toEqual({ enforce: true, pins: [A, NEXT] });
  });

  it('is accepted up to MAX_PINSET_LIFETIME_SECONDS after its signing time, so held at most that long plus the tolerance', async () => {
    expect(MAX_PINSET_LIFETIME_SECONDS).toBe(31_536_000); // 365 days
    // The worst an attacker can do: sign at the edge of the clock tolerance with the longest lifetime accepted.
    const issuedAt = NOW + 300;
    await expect(verifyPinSet(await forge({ issuedAt: issuedAt + 1, hardExpiry: issuedAt + 1 + DAY }), EMBEDDED, { now: T0 })).rejects.toMatchObject({ code: 'not_yet_valid' });
    await expect(verifyPinSet(await forge({ issuedAt, hardExpiry: issuedAt + MAX_PINSET_LIFETIME_SECONDS + 1 }), EMBEDDED, { now: T0 })).rejects.toMatchObject({ code: 'lifetime_exceeded' });
    const longest = await verifyPinSet(await forge({ issuedAt, hardExpiry: issuedAt + MAX_PINSET_LIFETIME_SECONDS }), EMBEDDED, { now: T0 });
    const bound = (NOW + 300 + MAX_PINSET_LIFETIME_SECONDS) * 1000;
    expect(pinPolicyFor(longest, 'api.example.com', bound).enforce).toBe(true);
    expect(pinPolicyFor(longest, 'api.example.com', bound + 1000)).toMatchObject({ enforce: false, reason: 'hard_expired' });
    // A genuine set at the publisher's maximum hardExpirySeconds passes; one second more is a configuration error.
    const atMax = await genuine(MAX_PINSET_LIFETIME_SECONDS);
    expect((await verifyPinSet(atMax.jws, EMBEDDED, { now: T0 })).payload.hardExpiry - atMax.payload.issuedAt).toBe(MAX_PINSET_LIFETIME_SECONDS);
    const over = await genuine(MAX_PINSET_LIFETIME_SECONDS + 1).then(() => undefined, (e: unknown) => e);
    expect(over).toBeInstanceOf(ShieldConfigError);
    expect((over as ShieldConfigError).issues.map((i) => i.path)).toEqual(['pinset.hardExpirySeconds']);
  });

  it('maxLifetimeSeconds tightens the bound to the publisher\'s hardExpirySeconds, and never loosens it', async () => {
    const thirtyDays = 2_592_000;
    const set = await genuine(); // the publisher's default: 30 days
    expect((await verifyPinSet(set.jws, EMBEDDED, { now: T0, maxLifetimeSeconds: thirtyDays })).payload.version).toBe(7);
    const month = await forge({ issuedAt: NOW, hardExpiry: NOW + thirtyDays + 1 });
    await expect(verifyPinSet(month, EMBEDDED, { now: T0, maxLifetimeSeconds: thirtyDays })).rejects.toMatchObject({ code: 'lifetime_exceeded' });
    expect((await verifyPinSet(month, EMBEDDED, { now: T0 })).payload.version).toBe(1_000);
    const overMax = await forge({ issuedAt: NOW, hardExpiry: NOW + MAX_PINSET_LIFETIME_SECONDS + 1 });
    for (const maxLifetimeSeconds of [MAX_PINSET_LIFETIME_SECONDS * 2, Infinity, Number.NaN, -1, 0]) {
      await expect(verifyPinSet(overMax, EMBEDDED, { now: T0, maxLifetimeSeconds })).rejects.toMatchObject({ code: 'lifetime_exceeded' });
    }
    const state = await refreshPinSet({ current: undefined }, async () => month, EMBEDDED, { now: T0, maxLifetimeSeconds: thirtyDays });
    expect(state.current).toBeUndefined();
    expect(state.lastError).toMatchObject({ code: 'lifetime_exceeded' });
  });

  it('a clockToleranceSeconds that is not a finite number >= 0 is the default, not a check switched off', async () => {
    const future = await forge({ issuedAt: NOW + 10 * DAY, hardExpiry: NOW + 40 * DAY });
    const expired = await forge({ issuedAt: NOW - 40 * DAY, hardExpiry: NOW - 10 * DAY });
    for (const clockToleranceSeconds of [Number.NaN, Infinity, -Infinity, -1]) {
      await expect(verifyPinSet(future, EMBEDDED, { now: T0, clockToleranceSeconds })).rejects.toMatchObject({ code: 'not_yet_valid' });
      await expect(verifyPinSet(expired, EMBEDDED, { now: T0, clockToleranceSeconds })).rejects.toMatchObject({ code: 'hard_expired' });
    }
    // The default (300 s) applies: a set issued 299 s ahead passes under NaN as it does without the option.
    const skewed = await forge({ issuedAt: NOW + 299, hardExpiry: NOW + DAY });
    expect((await verifyPinSet(skewed, EMBEDDED, { now: T0, clockToleranceSeconds: Number.NaN })).payload.version).toBe(1_000);
  });
});

describe('signPinSet', () => {
  it('refuses to sign a payload living longer than MAX_PINSET_LIFETIME_SECONDS (apps would refuse it)', async () => {
    const signer = await importSigningKey({ kid: 'pins-2026', privateKey: current.privateJwk });
    const payload = (hardExpiry: number): PinSetPayload => ({ version: 1, issuedAt: NOW, softExpiry: NOW + DAY, hardExpiry, hosts: { 'api.example.com': { pins: [A], backupPins: [NEXT], includeSubdomains: false, enforce: true } } });
    await expect(signPinSet(payload(NOW + MAX_PINSET_LIFETIME_SECONDS + 1), signer)).rejects.toThrow(/MAX_PINSET_LIFETIME_SECONDS/);
    const jws = await signPinSet(payload(NOW + MAX_PINSET_LIFETIME_SECONDS), signer);
    expect((await verifyPinSet(jws, EMBEDDED, { now: T0 })).payload.hardExpiry).toBe(NOW + MAX_PINSET_LIFETIME_SECONDS);
  });
});
