/**
 * Review of pin computation on odd input. The expected pins come from `openssl` (test-chain.ts: pkey -> DER ->
 * dgst), the RFC 7469 computation, independently of the code under test.
 * - A chain file holding a certificate under another PEM label OpenSSL reads (`TRUSTED CERTIFICATE` from
 *   `openssl x509 -trustout`, the older `X509 CERTIFICATE`) lost that certificate silently: fewer pins, no error.
 * - A certificate whose key algorithm Node cannot read threw a bare OpenSSL `Error` ("decode error"), not
 *   `PinInputError`; so did a non-certificate argument (a number) from untyped JavaScript (a `TypeError`).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computePins, PinInputError } from '../../src/channel/compute-pins.js';
import { makeTestChain, type TestChain } from './test-chain.js';

let chain: TestChain;
let trustedIntermediate: string;
beforeAll(() => {
  chain = makeTestChain();
  execFileSync('openssl', ['x509', '-in', 'int.pem', '-trustout', '-addtrust', 'serverAuth', '-out', 'int-trusted.pem'], { cwd: chain.dir });
  trustedIntermediate = readFileSync(path.join(chain.dir, 'int-trusted.pem'), 'utf8');
});
afterAll(() => chain.cleanup());

/** PEM text of DER bytes under `label`. */
const pem = (der: Buffer, label = 'CERTIFICATE') =>
  `-----BEGIN ${label}-----\n${(der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n`;

describe('computePins: every certificate OpenSSL reads from a PEM chain is pinned, or the input refused', () => {
  it('a TRUSTED CERTIFICATE block (openssl x509 -trustout) in a chain is pinned, as a string and as bytes', async () => {
    expect(trustedIntermediate).toMatch(/^-----BEGIN TRUSTED CERTIFICATE-----/);
    const text = chain.leafPem + trustedIntermediate;
    for (const input of [text, Buffer.from(text)]) {
      const pins = await computePins(input);
      expect(pins.map((p) => [p.role, p.sha256])).toEqual([
        ['leaf', chain.pins.leaf],
        ['intermediate', chain.pins.intermediate],
      ]);
    }
  });

  it('an X509 CERTIFICATE block (the older label) in a chain is pinned', async () => {
    const old = pem(new X509Certificate(chain.intermediatePem).raw, 'X509 CERTIFICATE');
    const pins = await computePins(chain.leafPem + old);
    expect(pins.map((p) => p.sha256)).toEqual([chain.pins.leaf, chain.pins.intermediate]);
  });

  it('a TRUSTED CERTIFICATE block cut short is refused, not skipped', async () => {
    const cut = trustedIntermediate.slice(0, trustedIntermediate.indexOf('-----END'));
    await expect(computePins(chain.leafPem + cut)).rejects.toBeInstanceOf(PinInputError);
  });
});

describe('computePins: input it cannot pin is a PinInputError', () => {
  it('a certificate whose key algorithm Node cannot read (an unknown OID), as DER and as PEM', async () => {
    const der = Buffer.from(new X509Certificate(chain.leafPem).raw);
    const ecPublicKey = Buffer.from('2a8648ce3d0201', 'hex'); // id-ecPublicKey
    const at = der.indexOf(ecPublicKey);
    expect(at).toBeGreaterThan(0);
    der[at + ecPublicKey.length - 1] = 0x7f; // 1.2.840.10045.2.127: no such key type
    expect(() => new X509Certificate(der)).not.toThrow(); // the certificate parses; only its key cannot be read
    for (const input of [der, pem(der)]) {
      const error = await computePins(input).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PinInputError);
      expect((error as Error).message).toMatch(/CN=localhost.*algorithm Node cannot read/);
    }
  });

  it('a number or a boolean (untyped JavaScript)', async () => {
    for (const input of [42, true]) {
      await expect(computePins(input as unknown as string)).rejects.toBeInstanceOf(PinInputError);
    }
  });
});
