import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CompactSign, exportJWK, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { createPinSetPublisher } from '../../src/channel/publisher.js';
import { diffPinSets, formatPinSetDiff } from '../../src/channel/diff-pinsets.js';
import { ShieldConfigError } from '../../src/core/errors.js';
import { checkServedPins, pinPolicyFor, PinSetError, refreshPinSet, verifyPinSet, type PinSetState } from '../../src/client/pinset.js';

const A = Buffer.alloc(32, 1).toString('base64');
const B = Buffer.alloc(32, 2).toString('base64');
const NEXT = Buffer.alloc(32, 3).toString('base64');
const EVIL = Buffer.alloc(32, 9).toString('base64');
const T0 = Date.parse('2026-06-01T00:00:00Z');

async function keyPair(kid: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256' } as JWK;
  return { privateKey, privateJwk: { ...(await exportJWK(privateKey)), kid } as JWK, publicJwk };
}

const hosts = { 'api.example.com': { pins: [A, B], backupPins: [NEXT], includeSubdomains: true } };

async function setup(now = () => T0) {
  const k1 = await keyPair('k1');
  const publisher = await createPinSetPublisher({ signingKeys: [{ kid: 'k1', privateKey: k1.privateJwk }], hosts, version: 7, now });
  return { k1, publisher };
}

describe('verifyPinSet', () => {
  it('accepts a set signed by a trusted key and exposes its payload', async () => {
    const { k1, publisher } = await setup();
    const { jws } = await publisher.current();
    const verified = await verifyPinSet(jws, [k1.publicJwk], { now: T0 });
    expect(verified.kid).toBe('k1');
    expect(verified.refreshDue).toBe(false);
    expect(verified.payload).toMatchObject({
      version: 7,
      issuedAt: T0 / 1000,
      softExpiry: T0 / 1000 + 86_400,
      hardExpiry: T0 / 1000 + 2_592_000,
      hosts: { 'api.example.com': { pins: [A, B], backupPins: [NEXT], includeSubdomains: true, enforce: true } },
    });
    expect(publisher.publicKeys[0]).toEqual({ ...k1.publicJwk, use: 'sig' });
    expect(publisher.publicKeys[0]).not.toHaveProperty('d');
  });

  it('refuses a set signed by another key, and a tampered payload', async () => {
    const { publisher } = await setup();
    const other = await keyPair('k1'); // same kid, different key
    const { jws } = await publisher.current();
    await expect(verifyPinSet(jws, [other.publicJwk], { now: T0 })).rejects.toMatchObject({ code: 'signature_invalid' });
    const [h, p, s] = jws.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    payload.hosts['api.example.com'].pins = [EVIL, B];
    const tampered = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    const { k1 } = { k1: (await setupKeysOf(publisher)) };
    await expect(verifyPinSet(tampered, k1, { now: T0 })).rejects.toMatchObject({ code: 'signature_invalid' });
  });

  it('refuses an unknown kid and malformed input', async () => {
    const { publisher } = await setup();
    const stranger = await keyPair('k9');
    const { jws } = await publisher.current();
    await expect(verifyPinSet(jws, [stranger.publicJwk], { now: T0 })).rejects.toMatchObject({ code: 'unknown_key' });
    await expect(verifyPinSet(jws, [], { now: T0 })).rejects.toMatchObject({ code: 'unknown_key' });
    for (const bad of ['', 'a.b', 'a.b.c.d.e', 42 as unknown as string, 'x'.repeat(300_000)]) {
      await expect(verifyPinSet(bad, await setupKeysOf(publisher), { now: T0 })).rejects.toBeInstanceOf(PinSetError);
    }
  });

  it('refuses another algorithm, a wrong typ and a payload that is not a pin set', async () => {
    const k = await keyPair('k1');
    const sign = (header: Record<string, unknown>, body: unknown) =>
      new CompactSign(new TextEncoder().encode(JSON.stringify(body))).setProtectedHeader(header as never).sign(k.privateKey);
    const payload = { version: 1, issuedAt: T0 / 1000, softExpiry: T0 / 1000 + 10, hardExpiry: T0 / 1000 + 20, hosts: {} };
    await expect(verifyPinSet(await sign({ alg: 'ES256', kid: 'k1', typ: 'JWT' }, payload), [k.publicJwk], { now: T0 })).rejects.toMatchObject({ code: 'malformed' });
    await expect(verifyPinSet(await sign({ alg: 'ES256', kid: 'k1', typ: 'pinset+jws' }, { ...payload, version: '1' }), [k.publicJwk], { now: T0 })).rejects.toMatchObject({ code: 'malformed' });
    await expect(verifyPinSet(await sign({ alg: 'ES256', kid: 'k1', typ: 'pinset+jws' }, { ...payload, softExpiry: payload.hardExpiry + 1 }), [k.publicJwk], { now: T0 })).rejects.toMatchObject({ code: 'malformed' });
    const hs = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: 'pinset+jws' })
      .sign(new Uint8Array(32));
    await expect(verifyPinSet(hs, [k.publicJwk], { now: T0 })).rejects.toBeInstanceOf(PinSetError);
    // Unknown payload fields are ignored (forward compatibility), not refused.
    const extra = await sign({ alg: 'ES256', kid: 'k1', typ: 'pinset+jws' }, { ...payload, futureField: 1 });
    expect((await verifyPinSet(extra, [k.publicJwk], { now: T0 })).payload.version).toBe(1);
  });

  it('a private JWK given as trusted key is used by its public half only', async () => {
    const { k1, publisher } = await setup();
    const { jws } = await publisher.current();
    expect((await verifyPinSet(jws, [k1.privateJwk], { now: T0 })).payload.version).toBe(7);
  });

  it('refuses rollback to an older version, accepts the same version again', async () => {
    const { k1, publisher } = await setup();
    const { jws } = await publisher.current();
    await expect(verifyPinSet(jws, [k1.publicJwk], { now: T0, lastVersion: 8 })).rejects.toMatchObject({ code: 'rollback' });
    expect((await verifyPinSet(jws, [k1.publicJwk], { now: T0, lastVersion: 7 })).payload.version).toBe(7);
  });

  it('soft expiry asks for a refresh; hard expiry refuses; a future issuedAt refuses', async () => {
    const { k1, publisher } = await setup();
    const { jws } = await publisher.current();
    const day = 86_400_000;
    expect((await verifyPinSet(jws, [k1.publicJwk], { now: T0 + day + 1000 })).refreshDue).toBe(true);
    expect((await verifyPinSet(jws, [k1.publicJwk], { now: T0 + 30 * day })).refreshDue).toBe(true);
    await expect(verifyPinSet(jws, [k1.publicJwk], { now: T0 + 30 * day + 301_000 })).rejects.toMatchObject({ code: 'hard_expired' });
    await expect(verifyPinSet(jws, [k1.publicJwk], { now: T0 - 600_000 })).rejects.toMatchObject({ code: 'not_yet_valid' });
  });
});

async function setupKeysOf(publisher: Awaited<ReturnType<typeof createPinSetPublisher>>): Promise<JWK[]> {
  return [...publisher.publicKeys];
}

describe('never-brick rules', () => {
  it('a failed fetch or a refused set keeps the last good set', async () => {
    const { k1, publisher } = await setup();
    const good = await refreshPinSet({ current: undefined }, async () => (await publisher.current()).jws, [k1.publicJwk], { now: T0 });
    expect(good.current?.payload.version).toBe(7);
    expect(good.lastError).toBeUndefined();
    const offline = await refreshPinSet(good, () => Promise.reject(new Error('ECONNREFUSED')), [k1.publicJwk], { now: T0 });
    expect(offline.current).toBe(good.current);
    expect(offline.lastError?.message).toBe('ECONNREFUSED');
    const forged = await refreshPinSet(good, async () => 'e30.e30.AAAA', [k1.publicJwk], { now: T0 });
    expect(forged.current).toBe(good.current);
    expect(forged.lastError).toBeInstanceOf(PinSetError);
  });

  it('an older set (rollback) is refused by refresh and the newer one kept', async () => {
    const { k1, publisher } = await setup();
    const v7 = (await publisher.current()).jws;
    await publisher.publish({ hosts });
    const v8 = (await publisher.current()).jws;
    const state: PinSetState = await refreshPinSet({ current: undefined }, async () => v8, [k1.publicJwk], { now: T0 });
    const replayed = await refreshPinSet(state, async () => v7, [k1.publicJwk], { now: T0 });
    expect(replayed.current?.payload.version).toBe(8);
    expect((replayed.lastError as PinSetError).code).toBe('rollback');
  });

  it('an earlier signing of the version held (replayed, hard-expiring sooner) is refused; the same copy again is accepted', async () => {
    let now = T0;
    const { k1, publisher } = await setup(() => now);
    const early = (await publisher.current()).jws;
    now = T0 + 29 * 86_400_000;
    const fresh = (await publisher.current()).jws; // re-signed, same version, later issuedAt and hard expiry
    expect(fresh).not.toBe(early);
    const state = await refreshPinSet({ current: undefined }, async () => fresh, [k1.publicJwk], { now });
    const replayed = await refreshPinSet(state, async () => early, [k1.publicJwk], { now });
    expect(replayed.current).toBe(state.current);
    expect((replayed.lastError as PinSetError).code).toBe('rollback');
    const again = await refreshPinSet(state, async () => fresh, [k1.publicJwk], { now });
    expect(again.lastError).toBeUndefined();
    expect(again.current?.jws).toBe(fresh);
    // Without the held copy's issuedAt, verifyPinSet alone accepts the earlier signing (the version is equal).
    expect((await verifyPinSet(early, [k1.publicJwk], { now, lastVersion: 7 })).payload.version).toBe(7);
  });

  it('decides per host: enforced, subdomain, unlisted, no pins, expired host, hard-expired set, enforce off', async () => {
    const k1 = await keyPair('k1');
    const publisher = await createPinSetPublisher({
      signingKeys: [{ privateKey: k1.privateJwk }],
      version: 1,
      now: () => T0,
      hosts: {
        'api.example.com': { pins: [A, B], backupPins: [NEXT], includeSubdomains: true },
        'static.example.com': { pins: [], enforce: false },
        'old.example.com': { pins: [A], backupPins: [NEXT], expiresAt: '2026-05-01' },
        'beta.example.com': { pins: [A], backupPins: [NEXT], enforce: false },
      },
    });
    const set = await verifyPinSet((await publisher.current()).jws, publisher.publicKeys, { now: T0 });
    expect(set.kid).toBe(publisher.publicKeys[0]?.kid); // default kid: the JWK thumbprint
    expect(pinPolicyFor(set, 'api.example.com', T0)).toEqual({ enforce: true, pins: [A, B, NEXT] });
    expect(pinPolicyFor(set, 'EU.API.example.com.', T0).enforce).toBe(true);
    expect(pinPolicyFor(set, 'example.com', T0).reason).toBe('host_not_pinned');
    expect(pinPolicyFor(set, 'x.old.example.com', T0).reason).toBe('host_not_pinned');
    expect(pinPolicyFor(set, 'static.example.com', T0).reason).toBe('no_pins');
    expect(pinPolicyFor(set, 'old.example.com', T0).reason).toBe('host_expired');
    expect(pinPolicyFor(set, 'beta.example.com', T0).reason).toBe('enforce_off');
    expect(pinPolicyFor(undefined, 'api.example.com', T0).reason).toBe('no_pinset');
    expect(pinPolicyFor(set, 'api.example.com', T0 + 31 * 86_400_000).reason).toBe('hard_expired');

    expect(checkServedPins(set, 'api.example.com', [EVIL, B], T0)).toMatchObject({ allowed: true, matched: true });
    expect(checkServedPins(set, 'api.example.com', [EVIL], T0)).toMatchObject({ allowed: false, matched: false });
    // Report-only: a MITM chain is let through (and should be reported).
    expect(checkServedPins(set, 'beta.example.com', [EVIL], T0)).toMatchObject({ allowed: true, matched: false });
  });
});

describe('publisher', () => {
  it('refuses configurations that would brick apps and bad keys', async () => {
    const k1 = await keyPair('k1');
    const make = (extra: Record<string, unknown>) =>
      createPinSetPublisher({ signingKeys: [{ privateKey: k1.privateJwk }], hosts, version: 1, ...extra } as never);
    await expect(make({ hosts: { 'api.example.com': { pins: [A] } } })).rejects.toThrow(/at least two pins/);
    await expect(make({ hosts: { 'api.example.com': { pins: [A, B] } } })).rejects.toThrow(/no backup pin/);
    await expect(make({ version: 0 })).rejects.toBeInstanceOf(ShieldConfigError);
    await expect(make({ softExpirySeconds: 100_000, hardExpirySeconds: 50_000 })).rejects.toThrow(/softExpirySeconds/);
    await expect(make({ version: 3, minClientVersion: 4 })).rejects.toThrow(/minClientVersion must not exceed version/);
    await expect(make({ version: 3, minClientVersion: 3 })).resolves.toMatchObject({ version: 3 });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    await expect(make({ signingKeys: [{ privateKey: rsa }] })).rejects.toThrow(/P-256/);
    await expect(make({ signingKeys: [{ privateKey: k1.publicJwk }] })).rejects.toThrow(/signingKeys\.0/);
    await expect(make({ signingKeys: [] })).rejects.toBeInstanceOf(ShieldConfigError);
    await expect(make({ unknown: 1 })).rejects.toThrow(/unknown|Unrecognized/i);
  });

  it('refuses two signing keys under one kid (apps could verify no set), a host named __proto__, and a malformed key', async () => {
    const k1 = await keyPair('k1');
    const k2 = await keyPair('k2');
    const make = (extra: Record<string, unknown>) =>
      createPinSetPublisher({ signingKeys: [{ privateKey: k1.privateJwk }], hosts, version: 1, ...extra } as never);
    await expect(make({ signingKeys: [{ kid: 'pins', privateKey: k1.privateJwk }, { kid: 'pins', privateKey: k2.privateJwk }] })).rejects.toThrow(
      /signingKeys\.1\.kid.*duplicate kid "pins"/s,
    );
    await expect(make({ signingKeys: [{ privateKey: k1.privateJwk }, { privateKey: k1.privateJwk }] })).rejects.toThrow(/duplicate kid/);
    const proto = JSON.parse(`{"__proto__": {"pins": ["${A}"], "backupPins": ["${NEXT}"]}}`) as Record<string, never>;
    await expect(make({ hosts: proto })).rejects.toThrow(/__proto__/);
    const { publisher } = await setup();
    await expect(publisher.publish({ hosts: proto })).rejects.toThrow(/__proto__/);
    // A P-256 JWK whose d is longer than the curve imports in Node, then aborts the process at its first signature.
    const oversized = { ...k1.privateJwk, d: Buffer.concat([Buffer.from(k1.privateJwk.d!, 'base64url'), Buffer.alloc(1)]).toString('base64url') };
    await expect(make({ signingKeys: [{ privateKey: oversized }] })).rejects.toThrow(/signingKeys\.0.*malformed/s);
    // A JWK whose public half belongs to another key: apps would embed a key that verifies none of its sets.
    await expect(make({ signingKeys: [{ privateKey: { ...k1.privateJwk, x: k2.privateJwk.x, y: k2.privateJwk.y } }] })).rejects.toThrow(
      /signingKeys\.0/,
    );
  });

  it('a publish answers the set of the version it applied, even with an older signing in flight', async () => {
    let now = T0;
    const { publisher } = await setup(() => now);
    await publisher.current();
    now = T0 + 86_400_000; // the cached set is due for re-signing
    const off = { 'api.example.com': { ...hosts['api.example.com'], enforce: false } };
    const published = publisher.publish({ hosts: off, revoke: true });
    const served = Promise.resolve().then(() => publisher.current()); // a request answered in the same tick
    const [set, concurrent] = await Promise.all([published, served]);
    expect(set.payload.version).toBe(8);
    expect(set.payload.hosts['api.example.com']!.enforce).toBe(false);
    expect([7, 8]).toContain(concurrent.payload.version);
    expect((await publisher.current()).payload.version).toBe(8);
  });

  it('publishes in flight together are applied one by one: a lower version never lands after a revoke', async () => {
    const { publisher } = await setup();
    const moved = { 'api.example.com': { pins: [NEXT, A], backupPins: [B] } };
    const [revoke, lower] = await Promise.allSettled([publisher.publish({ hosts: moved, version: 10, revoke: true }), publisher.publish({ hosts, version: 9 })]);
    expect([revoke.status, lower.status]).toEqual(['fulfilled', 'rejected']);
    expect([publisher.version, publisher.minPinSetVersion()]).toEqual([10, 10]);
    expect((await publisher.current()).payload.hosts['api.example.com']!.pins).toEqual([NEXT, A]);
    // Without a version each takes the next one, and the set served is the last one applied.
    const [first, second] = await Promise.all([publisher.publish({ hosts }), publisher.publish({ hosts: moved })]);
    expect([first.payload.version, second.payload.version, publisher.version]).toEqual([11, 12, 12]);
    expect((await publisher.current()).payload.hosts['api.example.com']!.pins).toEqual([NEXT, A]);
  });

  it('versions are monotonic: publish raises it, a lower or equal one is refused and nothing changes', async () => {
    const { publisher } = await setup();
    await expect(publisher.publish({ hosts, version: 7 })).rejects.toThrow(/must increase/);
    await expect(publisher.publish({ hosts, version: 3 })).rejects.toThrow(/must increase/);
    await expect(publisher.publish({ hosts: { 'api.example.com': { pins: [A] } } })).rejects.toBeInstanceOf(ShieldConfigError);
    expect(publisher.version).toBe(7);
    expect((await publisher.publish({ hosts })).payload.version).toBe(8);
    expect((await publisher.publish({ hosts, version: 20 })).payload.version).toBe(20);
    expect(publisher.minPinSetVersion()).toBe(0);
    await publisher.publish({ hosts, revoke: true });
    expect(publisher.minPinSetVersion()).toBe(21);
  });

  it('re-signs after half the soft lifetime, keeping the version; ETag changes with the content', async () => {
    let now = T0;
    const { publisher } = await setup(() => now);
    const first = await publisher.current();
    expect(await publisher.current()).toBe(first);
    now += 43_200_001;
    const second = await publisher.current();
    expect(second.payload.version).toBe(7);
    expect(second.payload.issuedAt).toBeGreaterThan(first.payload.issuedAt);
    expect(second.etag).not.toBe(first.etag);
    expect(first.etag).toMatch(/^"v7-[A-Za-z0-9_-]{16}"$/);
  });

  it('two instances with the same configuration serve the same ETag (304 across a load balancer)', async () => {
    let now = T0 + 5_000_000;
    const k1 = await keyPair('k1');
    const make = () => createPinSetPublisher({ signingKeys: [{ kid: 'k1', privateKey: k1.privateJwk }], hosts, version: 7, now: () => now });
    const [a, b] = [await make(), await make()];
    const fromA = await a.current();
    now += 60_000; // b signs a minute later, within the same window
    const fromB = await b.current();
    expect(fromB.jws).not.toBe(fromA.jws); // ES256 signatures are randomised...
    expect(fromB.etag).toBe(fromA.etag); // ...but the payload, and so the ETag, is the same
    expect((await b.respond({ method: 'GET', headers: { 'if-none-match': fromA.etag } })).status).toBe(304);
    expect(fromA.payload.issuedAt).toBeLessThanOrEqual((T0 + 5_000_000) / 1000);
    expect(fromA.payload.softExpiry).toBeGreaterThan((T0 + 5_000_000) / 1000 + 43_200);
  });

  it('answers GET/HEAD with ETag and 304 on If-None-Match; other methods 405', async () => {
    const { publisher } = await setup();
    const ok = await publisher.respond({ method: 'GET', headers: {} });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('application/jose');
    expect(ok.body).toBe((await publisher.current()).jws);
    const etag = ok.headers.etag as string;
    expect((await publisher.respond({ method: 'GET', headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await publisher.respond({ method: 'GET', headers: { 'if-none-match': `"x", W/${etag}` } })).status).toBe(304);
    expect((await publisher.respond({ method: 'GET', headers: { 'if-none-match': '"v6-old"' } })).status).toBe(200);
    expect((await publisher.respond({ method: 'HEAD', headers: {} })).body).toBeUndefined();
    expect((await publisher.respond({ method: 'POST', headers: {} })).status).toBe(405);
  });

  it('signing-key rotation by kid: apps that trust both keys accept either signer', async () => {
    const k1 = await keyPair('k1');
    const k2 = await keyPair('k2');
    const old = await createPinSetPublisher({ signingKeys: [{ kid: 'k1', privateKey: k1.privateJwk }, { kid: 'k2', privateKey: k2.privateJwk }], hosts, version: 1, now: () => T0 });
    const rotated = await createPinSetPublisher({ signingKeys: [{ kid: 'k2', privateKey: k2.privateJwk }], hosts, version: 2, now: () => T0 });
    const trusted = [k1.publicJwk, k2.publicJwk];
    expect((await verifyPinSet((await old.current()).jws, trusted, { now: T0 })).kid).toBe('k1');
    expect((await verifyPinSet((await rotated.current()).jws, trusted, { now: T0 })).kid).toBe('k2');
    // An app built before k2 existed refuses the rotated set (and keeps its last good one).
    await expect(verifyPinSet((await rotated.current()).jws, [k1.publicJwk], { now: T0 })).rejects.toMatchObject({ code: 'unknown_key' });
  });
});

describe('diffPinSets', () => {
  it('shows the rotation steps: backup added, promoted, old pin removed, emergency switch', async () => {
    const v1 = { 'api.example.com': { pins: [A, B], backupPins: [], includeSubdomains: false, enforce: true } };
    const v2 = { 'api.example.com': { pins: [A, B], backupPins: [NEXT], includeSubdomains: false, enforce: true } };
    const v3 = { 'api.example.com': { pins: [NEXT, B], backupPins: [A], includeSubdomains: false, enforce: true } };
    const v4 = { 'api.example.com': { pins: [NEXT, B], backupPins: [], includeSubdomains: false, enforce: false }, 'new.example.com': { pins: [A], backupPins: [], includeSubdomains: false, enforce: false } };
    expect(diffPinSets(v1, v2).hosts).toEqual([{ host: 'api.example.com', change: 'changed', pinsAdded: [], pinsRemoved: [], promoted: [], demoted: [], backupsAdded: [NEXT], backupsRemoved: [] }]);
    expect(diffPinSets(v2, v3).hosts[0]).toMatchObject({ promoted: [NEXT], demoted: [A], pinsAdded: [], pinsRemoved: [] });
    expect(formatPinSetDiff(diffPinSets(v2, v3))).toContain(`demoted pin → backup  ${A}`);
    const d4 = diffPinSets(v3, v4);
    expect(d4.hosts.map((h) => [h.host, h.change])).toEqual([['api.example.com', 'changed'], ['new.example.com', 'added']]);
    expect(d4.hosts[0]).toMatchObject({ backupsRemoved: [A], enforce: { from: true, to: false } });
    expect(diffPinSets(v2, v2).hosts).toEqual([]);
    expect(diffPinSets(v4, {}).hosts.map((h) => h.change)).toEqual(['removed', 'removed']);
    const text = formatPinSetDiff(diffPinSets({ version: 5, issuedAt: 0, softExpiry: 0, hardExpiry: 0, hosts: v3 }, { version: 4, issuedAt: 0, softExpiry: 0, hardExpiry: 0, hosts: v4 }));
    expect(text).toContain('version 5 → 4  (ROLLBACK');
    expect(text).toContain('enforce true → false  (EMERGENCY: report only)');
  });

  it('a pin demoted alone is listed; a bare host map with a host named "hosts" is read as a host map', () => {
    const before = { 'api.example.com': { pins: [A, B], backupPins: [NEXT], includeSubdomains: false, enforce: true } };
    const after = { 'api.example.com': { pins: [B], backupPins: [NEXT, A], includeSubdomains: false, enforce: true } };
    expect(formatPinSetDiff(diffPinSets(before, after))).toContain(`api.example.com: changed\n  demoted pin → backup  ${A}\n`);
    const host = (pins: string[]) => ({ pins, backupPins: [NEXT], includeSubdomains: false, enforce: true });
    const diff = diffPinSets({ hosts: host([A, B]) }, { hosts: host([A, EVIL]) });
    expect(diff.hosts).toMatchObject([{ host: 'hosts', pinsAdded: [EVIL], pinsRemoved: [B] }]);
  });
});

describe('client module is runtime-agnostic', () => {
  it('imports nothing from node: (transitively, within src/)', () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const m of source.matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm)) {
        const spec = m[1] as string;
        expect(spec.startsWith('node:') || ['crypto', 'fs', 'tls', 'net', 'http', 'buffer'].includes(spec), `${file} imports ${spec}`).toBe(false);
        if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
      }
      expect(source).not.toMatch(/\bBuffer\b/);
    };
    visit(path.resolve(import.meta.dirname, '../../src/client/pinset.ts'));
    expect(seen.size).toBeGreaterThan(1);
  });
});
