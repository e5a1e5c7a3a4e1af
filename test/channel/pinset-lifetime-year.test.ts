/**
 * The protocol's longest pin-set lifetime is 365 days (MAX_PINSET_LIFETIME_SECONDS = 31 536 000), not ten years: a
 * ten-year cap let one set forged with a leaked retired key stay enforced for a decade. The publisher (and so
 * `pinset sign`) refuses a longer `hardExpirySeconds` with a ShieldConfigError naming the bound, `signPinSet` will
 * not sign a longer set, and `verifyPinSet` refuses one (`lifetime_exceeded`), `maxLifetimeSeconds` never raising it.
 */
import { CompactSign, exportJWK, generateKeyPair, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { MAX_PINSET_LIFETIME_SECONDS, type PinSetPayload } from '../../src/channel/pinset-payload.js';
import { createPinSetPublisher } from '../../src/channel/publisher.js';
import { importSigningKey, signPinSet } from '../../src/channel/sign-pinset.js';
import { CliError, type CliIo } from '../../src/cli/cli-support.js';
import { pinsetCommand } from '../../src/cli/commands/pinset.js';
import { verifyPinSet } from '../../src/client/pinset.js';
import { ShieldConfigError } from '../../src/core/errors.js';
import { A, NEXT, T0 } from './pinset-fixtures.js';

const NOW = T0 / 1000;
const YEAR = 365 * 86_400;
const TEN_YEARS = 315_360_000; // the previous ceiling
const HOSTS = { 'api.example.com': { pins: [A], backupPins: [NEXT] } };

const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
const privateJwk = { ...(await exportJWK(privateKey)), kid: 'k1' } as JWK;
const publicJwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' } as JWK;

const publisherWith = (hardExpirySeconds: number) =>
  createPinSetPublisher({ signingKeys: [{ kid: 'k1', privateKey: privateJwk }], hosts: HOSTS, version: 3, now: () => T0, hardExpirySeconds });

const payload = (lifetime: number): PinSetPayload => ({
  version: 3,
  issuedAt: NOW,
  softExpiry: NOW + 86_400,
  hardExpiry: NOW + lifetime,
  hosts: { 'api.example.com': { pins: [A], backupPins: [NEXT], includeSubdomains: false, enforce: true } },
});

/** Signed directly with jose, as a signer that skips the library's checks (a forger) would. */
const rawSigned = (lifetime: number) =>
  new CompactSign(new TextEncoder().encode(JSON.stringify(payload(lifetime))))
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'pinset+jws' })
    .sign(privateKey);

describe('the 365-day pin-set lifetime', () => {
  it('is MAX_PINSET_LIFETIME_SECONDS', () => {
    expect(MAX_PINSET_LIFETIME_SECONDS).toBe(YEAR);
    expect(MAX_PINSET_LIFETIME_SECONDS).toBe(31_536_000);
  });

  it('bounds the publisher: 365 days is served and verifies, a second more (or ten years) is a ShieldConfigError', async () => {
    const set = await (await publisherWith(YEAR)).current();
    expect(set.payload.hardExpiry - set.payload.issuedAt).toBe(YEAR);
    expect((await verifyPinSet(set.jws, [publicJwk], { now: T0 })).payload.version).toBe(3);
    for (const hardExpirySeconds of [YEAR + 1, TEN_YEARS]) {
      const error = await publisherWith(hardExpirySeconds).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ShieldConfigError);
      expect((error as ShieldConfigError).issues).toEqual([
        { path: 'pinset.hardExpirySeconds', message: expect.stringMatching(/at most 31536000 \(365 days, MAX_PINSET_LIFETIME_SECONDS\)/) },
      ]);
    }
  });

  it('bounds `pinset sign`: a configuration with ten years is refused and nothing is printed', async () => {
    const out: string[] = [];
    const io: CliIo = { out: (t) => void out.push(t), err: () => undefined, stdin: async () => '' };
    const config = (hardExpirySeconds: number) => JSON.stringify({ version: 3, hosts: HOSTS, hardExpirySeconds });
    const run = pinsetCommand.run(['sign', config(TEN_YEARS), '--key', JSON.stringify(privateJwk)], io);
    await expect(run).rejects.toThrow(CliError);
    await expect(run).rejects.toThrow(/pinset\.hardExpirySeconds: must be at most 31536000/);
    expect(out).toEqual([]);
    await expect(pinsetCommand.run(['sign', config(YEAR), '--key', JSON.stringify(privateJwk)], io)).resolves.toBe(0);
    expect(out).toHaveLength(1);
  });

  it('bounds signPinSet', async () => {
    const signer = await importSigningKey({ kid: 'k1', privateKey: privateJwk });
    for (const lifetime of [YEAR + 1, TEN_YEARS]) {
      await expect(signPinSet(payload(lifetime), signer)).rejects.toThrow(/more than 31536000 s \(365 days, MAX_PINSET_LIFETIME_SECONDS\)/);
    }
    expect((await verifyPinSet(await signPinSet(payload(YEAR), signer), [publicJwk], { now: T0 })).payload.hardExpiry).toBe(NOW + YEAR);
  });

  it('bounds verifyPinSet: a set living a second longer is refused, and maxLifetimeSeconds cannot raise the bound', async () => {
    expect((await verifyPinSet(await rawSigned(YEAR), [publicJwk], { now: T0 })).payload.version).toBe(3);
    for (const lifetime of [YEAR + 1, TEN_YEARS]) {
      const jws = await rawSigned(lifetime);
      await expect(verifyPinSet(jws, [publicJwk], { now: T0 })).rejects.toMatchObject({ code: 'lifetime_exceeded' });
      await expect(verifyPinSet(jws, [publicJwk], { now: T0, maxLifetimeSeconds: TEN_YEARS })).rejects.toMatchObject({ code: 'lifetime_exceeded' });
    }
  });
});
