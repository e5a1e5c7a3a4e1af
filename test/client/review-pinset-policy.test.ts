/**
 * Review of the app-side policy (`verifyPinSet`, `pinPolicyFor`, `checkServedPins`). A host name with non-ASCII characters
 * was compared as given: an IDN in Unicode, or a name with full-width / ideographic dots that every URL parser turns
 * into the pinned ASCII name the request then goes to, matched no entry, so its pins were not enforced. And an
 * unusable `now` (an Invalid Date, NaN) turned every expiry comparison false: a hard-expired set verified, and its
 * stale pins were enforced (the never-brick rule broken).
 */
import { describe, expect, it } from 'vitest';
import { createPinSetPublisher } from '../../src/channel/publisher.js';
import { checkServedPins, pinPolicyFor, verifyPinSet } from '../../src/client/pinset.js';
import { privateJwk, publicJwk } from '../channel/pinset-fixtures.js';

const P1 = Buffer.alloc(32, 1).toString('base64');
const P2 = Buffer.alloc(32, 2).toString('base64');
const MITM = Buffer.alloc(32, 9).toString('base64');
const NOW = Date.parse('2026-06-01T00:00:00Z');

async function pinSet() {
  const publisher = await createPinSetPublisher({
    signingKeys: [{ kid: 'k1', privateKey: privateJwk }],
    hosts: {
      'api.example.com': { pins: [P1], backupPins: [P2] },
      'xn--bcher-kva.example': { pins: [P1], backupPins: [P2], includeSubdomains: true },
    },
    version: 3,
    now: () => NOW,
  });
  return verifyPinSet((await publisher.current()).jws, [publicJwk], { now: NOW });
}

describe('pinPolicyFor: a host name is matched as the request is routed', () => {
  it('full-width and ideographic dots name the pinned host: enforced, a MITM chain refused', async () => {
    const set = await pinSet();
    for (const host of ['api．example．com', 'api。example。com', 'API．EXAMPLE．COM．']) {
      expect(pinPolicyFor(set, host, NOW), host).toEqual({ enforce: true, pins: [P1, P2] });
      expect(checkServedPins(set, host, [MITM], NOW).allowed, host).toBe(false);
    }
    // ASCII names are matched as before: exact, case and one trailing dot folded, nothing looser.
    expect(pinPolicyFor(set, 'API.Example.COM.', NOW).enforce).toBe(true);
    for (const host of ['example.com', 'xapi.example.com', 'api.example.com.evil.test', 'sub.api.example.com', '*.example.com']) {
      expect(pinPolicyFor(set, host, NOW), host).toMatchObject({ enforce: false, reason: 'host_not_pinned' });
    }
  });

  it('a Unicode IDN matches its punycode entry, subdomains included', async () => {
    const set = await pinSet();
    for (const host of ['bücher.example', 'BÜCHER.example', 'api.bücher.example.']) {
      expect(pinPolicyFor(set, host, NOW), host).toEqual({ enforce: true, pins: [P1, P2] });
    }
  });

});

describe('an unusable `now` (Invalid Date, NaN) is the device clock, not "no expiry"', () => {
  it('verifyPinSet refuses a hard-expired set and pinPolicyFor does not enforce it', async () => {
    const signedAt = Date.parse('2020-01-01T00:00:00Z'); // hard-expired (30 days) long before the device clock
    const publisher = await createPinSetPublisher({
      signingKeys: [{ kid: 'k1', privateKey: privateJwk }],
      hosts: { 'api.example.com': { pins: [P1], backupPins: [P2] } },
      version: 3,
      now: () => signedAt,
    });
    const jws = (await publisher.current()).jws;
    for (const now of [new Date('not a date'), Number.NaN]) {
      await expect(verifyPinSet(jws, [publicJwk], { now })).rejects.toMatchObject({ code: 'hard_expired' });
    }
    const held = await verifyPinSet(jws, [publicJwk], { now: signedAt }); // what the app accepted back then
    for (const now of [new Date('not a date'), Number.NaN]) {
      expect(pinPolicyFor(held, 'api.example.com', now)).toMatchObject({ enforce: false, reason: 'hard_expired' });
      expect(checkServedPins(held, 'api.example.com', [MITM], now).allowed).toBe(true);
    }
  });
});
