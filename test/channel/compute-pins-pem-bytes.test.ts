/**
 * Certificate files are read as bytes (the CLI always does). A PEM file with text before its first block (openssl
 * pkcs12 "Bag Attributes", `openssl x509 -text` dumps, commented CA bundles) used to be parsed as DER, which kept
 * only the first certificate; and a certificate that could not be read (a block cut short, bytes after a DER
 * certificate) was dropped silently. Now every certificate is pinned, or the input is refused.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computePins, parseCertificates, PinInputError } from '../../src/channel/compute-pins.js';
import { makeTestChain, type TestChain } from './test-chain.js';

let chain: TestChain;
beforeAll(() => {
  chain = makeTestChain();
});
afterAll(() => chain.cleanup());

/** What `openssl pkcs12 -nokeys` writes before each PEM block. */
const bagAttributes = (cn: string) =>
  `Bag Attributes\n    localKeyID: 5A 41 0B 93 1E 77 C0 3D 2E 8F 61 42 9A 0C 55 7E 11 D4 28 6B\nsubject=CN = ${cn}\nissuer=CN = whoever\n`;
/** `openssl x509 -text`: the decoded certificate, then its PEM block. */
const textDump = (file: string) => execFileSync('openssl', ['x509', '-in', path.join(chain.dir, file), '-text'], { encoding: 'utf8' });
/** A PEM block with its END line and the end of its base64 missing, as a copy cut short leaves it. */
const cutShort = (pem: string) => pem.slice(0, pem.indexOf('-----END') - 40);

describe('computePins on PEM bytes with text before the first block', () => {
  it('pins every certificate of a pkcs12 export (Bag Attributes), as for the same text given as a string', async () => {
    const text = bagAttributes('localhost') + chain.leafPem + bagAttributes('Test Intermediate CA') + chain.intermediatePem;
    const expected = [chain.pins.leaf, chain.pins.intermediate];
    expect((await computePins(text)).map((p) => p.sha256)).toEqual(expected);
    expect((await computePins(Buffer.from(text, 'utf8'))).map((p) => p.sha256)).toEqual(expected);
    expect((await computePins(new Uint8Array(Buffer.from(text, 'utf8')))).map((p) => p.sha256)).toEqual(expected);
  });

  it('pins every certificate of `openssl x509 -text` dumps and of a CA bundle with comments (non-ASCII included)', async () => {
    const dumps = Buffer.from(textDump('leaf.pem') + textDump('int.pem') + textDump('root.pem'), 'utf8');
    expect((await computePins(dumps)).map((p) => [p.role, p.sha256])).toEqual([
      ['leaf', chain.pins.leaf],
      ['intermediate', chain.pins.intermediate],
      ['root', chain.pins.root],
    ]);
    const bundle = Buffer.from(`# Issuer: CN=Test Root CA, O=Çağrı Örnek\n${chain.rootPem}\n# Intermediate\n${chain.intermediatePem}`, 'utf8');
    expect((await computePins(bundle)).map((p) => p.sha256)).toEqual([chain.pins.intermediate, chain.pins.root]);
  });
});

describe('computePins refuses input from which a certificate cannot be read', () => {
  it('a last PEM block cut short, as a string or as bytes', async () => {
    const text = chain.leafPem + cutShort(chain.intermediatePem);
    for (const input of [text, Buffer.from(text, 'utf8'), bagAttributes('x') + text]) {
      await expect(computePins(input)).rejects.toThrow(PinInputError);
      await expect(computePins(input)).rejects.toThrow(/1 PEM CERTIFICATE block\(s\) cut short/);
    }
  });

  it('a PEM block cut short before another block (the lazy match would swallow the next one)', () => {
    expect(() => parseCertificates(cutShort(chain.leafPem) + chain.intermediatePem)).toThrow(PinInputError);
  });

  it('bytes after a DER certificate (a second DER certificate, or garbage)', async () => {
    const leaf = new X509Certificate(chain.leafPem).raw;
    const intermediate = new X509Certificate(chain.intermediatePem).raw;
    await expect(computePins(Buffer.concat([leaf, intermediate]))).rejects.toThrow(new RegExp(`${intermediate.length} byte\\(s\\) after the DER certificate`));
    await expect(computePins(Buffer.concat([leaf, Buffer.from([0, 0])]))).rejects.toThrow(PinInputError);
    // One DER certificate, exactly, is still pinned.
    expect((await computePins(leaf)).map((p) => p.sha256)).toEqual([chain.pins.leaf]);
  });
});
