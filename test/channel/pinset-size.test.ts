/**
 * Clients refuse a pin set whose compact JWS is over MAX_PINSET_JWS_LENGTH (unread, as `malformed`). The signing
 * side shares that limit: signPinSet refuses to make a longer set, and the publisher refuses such a configuration
 * before serving anything, so it never serves a set its own apps would refuse (and silently keep their old one).
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { CompactSign, exportJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { MAX_PINSET_JWS_LENGTH, PINSET_JWS_TYPE, type PinSetHost, type PinSetPayload } from '../../src/channel/pinset-payload.js';
import { createPinSetPublisher } from '../../src/channel/publisher.js';
import { importSigningKey, signPinSet } from '../../src/channel/sign-pinset.js';
import { verifyPinSet } from '../../src/client/pinset.js';
import { ShieldConfigError } from '../../src/core/errors.js';

const pin = (s: string) => createHash('sha256').update(s).digest('base64');
const NOW = 1_780_000_000;

/** `count` hosts, each at the schema's limits (32 pins + 32 backups): every field is valid for publisher and client. */
function bigHosts(count: number, pinsEach = 32): Record<string, { pins: string[]; backupPins: string[] }> {
  const hosts: Record<string, { pins: string[]; backupPins: string[] }> = {};
  for (let h = 0; h < count; h++) {
    hosts[`api${h}.example.com`] = {
      pins: Array.from({ length: pinsEach }, (_, i) => pin(`h${h}p${i}`)),
      backupPins: Array.from({ length: pinsEach }, (_, i) => pin(`h${h}b${i}`)),
    };
  }
  return hosts;
}

const payloadOf = (hosts: Record<string, PinSetHost>): PinSetPayload => ({ version: 1, issuedAt: NOW, softExpiry: NOW + 60, hardExpiry: NOW + 120, hosts });
const asPayloadHosts = (hosts: ReturnType<typeof bigHosts>): Record<string, PinSetHost> =>
  Object.fromEntries(Object.entries(hosts).map(([h, c]) => [h, { ...c, includeSubdomains: false, enforce: true }]));

describe('pin-set size limit, shared by signer and client', () => {
  it('the publisher refuses a configuration whose set its apps would refuse (80 hosts x 64 pins), as a config error', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signingKeys = [{ kid: 'k1', privateKey: await exportJWK(privateKey) }];
    const created = createPinSetPublisher({ signingKeys, hosts: bigHosts(80), version: 1 });
    await expect(created).rejects.toThrow(ShieldConfigError);
    await expect(created).rejects.toThrow(/pinset\.hosts: pin set too large: signed it would be \d+ characters and clients refuse over 262144/);
  });

  it('publish refuses a configuration too large and keeps serving the current set', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const publisher = await createPinSetPublisher({ signingKeys: [{ kid: 'k1', privateKey: await exportJWK(privateKey) }], hosts: bigHosts(1, 1), version: 1 });
    await expect(publisher.publish({ hosts: bigHosts(80) })).rejects.toThrow(ShieldConfigError);
    expect(publisher.version).toBe(1);
    const served = await publisher.current();
    expect((await verifyPinSet(served.jws, publisher.publicKeys)).payload.version).toBe(1);
  });

  it('signPinSet refuses exactly the sets over the limit; every set it signs verifies in the client', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signer = await importSigningKey({ kid: 'k1', privateKey: await exportJWK(privateKey) });
    /** The length of the JWS, signed without the limit (what a signer without it would emit). */
    const unchecked = async (payload: PinSetPayload) =>
      (await new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: PINSET_JWS_TYPE }).sign(signer.key)).length;
    // Full hosts, then a last host with as many pins as keep it under the limit; then grow the set one character at a
    // time (the last host's name) across the limit.
    let count = 0;
    while ((await unchecked(payloadOf(asPayloadHosts(bigHosts(count + 1))))) < MAX_PINSET_JWS_LENGTH) count++;
    const base = asPayloadHosts(bigHosts(count));
    const withLast = (pins: number, nameLength: number) => {
      const all = Array.from({ length: pins }, (_, i) => pin(`last${i}`));
      const last: PinSetHost = { pins: all.slice(0, 32), backupPins: all.slice(32), includeSubdomains: false, enforce: true };
      return payloadOf({ ...base, [`${'x'.repeat(nameLength)}.example.org`]: last });
    };
    let pins = 0;
    while ((await unchecked(withLast(pins + 1, 1))) < MAX_PINSET_JWS_LENGTH) pins++;
    const seen = { signed: 0, refused: 0 };
    for (let k = 1; k <= 63; k++) {
      const payload = withLast(pins, k);
      const length = await unchecked(payload);
      if (length > MAX_PINSET_JWS_LENGTH) {
        await expect(signPinSet(payload, signer), `length ${length}`).rejects.toThrow(RangeError);
        seen.refused++;
      } else {
        const jws = await signPinSet(payload, signer);
        expect(jws.length).toBe(length);
        expect((await verifyPinSet(jws, [signer.publicJwk], { now: NOW * 1000 })).payload.version).toBe(1);
        seen.signed++;
      }
    }
    expect(seen.signed).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  });
});
