/**
 * The receipt signer is pinned to Apple's App Attest receipt-signing chain, not just to Apple Root CA - G3: G3 also
 * issues WWDR (developer) and Apple Pay intermediates whose leaf keys developers hold, and such a certificate could
 * otherwise sign a forged receipt. Real Apple receipts carry 1.2.840.113635.100.12.15 on the signer ("Application
 * Attestation Fraud Receipt Signing") and 1.2.840.113635.100.6.2.3 on its issuer ("Apple Application Integration CA
 * 5 - G1"); a synthetic chain under a test anchor, otherwise valid, is refused without either marker.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode } from 'cborg';
import { describe, expect, it } from 'vitest';
import { createAppAttestRegistry, verifyAppAttestReceipt } from '../../../src/attestation/app-attest/index.js';
import { findExtension } from '../../../src/attestation/app-attest/der-reader.js';
import { parseBer, derBytes } from '../../../src/attestation/app-attest/ber-reader.js';
import { TestMemoryStore } from '../memory-store.js';
import { deviceKey, FakeAppleCa } from './fake-apple.js';
import { FakeReceiptSigner } from './fake-receipt.js';
import { asyncReasonOf, reasonOf } from './reasons.js';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const TEAM = 'ABCDE12345';
const BUNDLE = 'com.example.bank';
const APP_ID = `${TEAM}.${BUNDLE}`;
const ca = new FakeAppleCa();

const receiptOf = (signer: FakeReceiptSigner) =>
  signer.receipt({
    appId: APP_ID,
    attestedCertificate: signer.certificate.raw,
    type: 'RECEIPT',
    riskMetric: 3,
    createdAt: new Date(NOW - 1_000),
    expiresAt: new Date(NOW + 86_400_000),
  });
const check = (signer: FakeReceiptSigner) => () =>
  verifyAppAttestReceipt({ receipt: receiptOf(signer), appId: APP_ID, publicKey: signer.keys.publicKey, now: NOW, trustAnchor: ca.root });

describe('receipt signer pin (synthetic chain under a test anchor)', () => {
  it('a chain carrying both markers verifies (the control)', () => {
    expect(check(new FakeReceiptSigner(ca))()).toMatchObject({ type: 'RECEIPT', appId: APP_ID, riskMetric: 3 });
  });

  it('a signer without the receipt-signer marker, otherwise valid and chained to the anchor, is receipt_invalid', () => {
    const unmarked = new FakeReceiptSigner(ca, undefined, { signerMarker: false });
    // The chain itself is sound: the signer is issued by the intermediate, which the anchor issued.
    expect(unmarked.certificate.verify(unmarked.intermediate.publicKey)).toBe(true);
    expect(unmarked.intermediate.verify(ca.root.publicKey)).toBe(true);
    expect(reasonOf(check(unmarked))).toBe('receipt_invalid');
    expect(check(unmarked)).toThrow(/not an App Attest receipt signing certificate/);
  });

  it('a marked signer under an intermediate without the Application Integration marker is receipt_invalid', () => {
    const unmarkedIssuer = new FakeReceiptSigner(ca, undefined, { intermediateMarker: false });
    expect(reasonOf(check(unmarkedIssuer))).toBe('receipt_invalid');
    expect(check(unmarkedIssuer)).toThrow(/not an Apple Application Integration CA/);
  });

  it('registration refuses an attestation whose receipt an unmarked certificate signed, and stores nothing', async () => {
    const store = new TestMemoryStore(() => NOW);
    const registry = createAppAttestRegistry({
      store, teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: ca.root, receipt: { trustAnchor: ca.root },
    });
    const key = deviceKey();
    const challenge = Buffer.from('registration');
    const leaf = Buffer.from((decode(ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge })) as { attStmt: { x5c: Uint8Array[] } }).attStmt.x5c[0]!);
    const receipt = (signer: FakeReceiptSigner) =>
      signer.receipt({
        appId: APP_ID, attestedCertificate: leaf, clientHash: createHash('sha256').update(challenge).digest(), type: 'ATTEST',
        createdAt: new Date(NOW - 1_000), expiresAt: new Date(NOW + 90 * 86_400_000),
      });
    const register = (signer: FakeReceiptSigner) =>
      registry.register({ attestationObject: ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge, receipt: receipt(signer) }), challenge, keyId: key.keyId, now: NOW });
    expect(await asyncReasonOf(register(new FakeReceiptSigner(ca, undefined, { signerMarker: false })))).toBe('receipt_invalid');
    expect(await registry.receipt(key.keyId)).toBeUndefined();
    expect(await asyncReasonOf(register(new FakeReceiptSigner(ca)))).toBe('passed');
  });
});

// The markers pinned are the ones Apple's real receipts carry: read the shared vectors (never copied into the project).
const dir = resolve(fileURLToPath(new URL('../../../', import.meta.url)), '../shared/testdata/app-attest');
const receipts = ['vectors.json', 'vectors-extra.json']
  .filter((f) => existsSync(resolve(dir, f)))
  .flatMap((f) => (JSON.parse(readFileSync(resolve(dir, f), 'utf8')) as { vectors: Array<{ id: string; attestation?: { object: string } }> }).vectors)
  .filter((v) => v.attestation !== undefined)
  .map((v) => [v.id, Buffer.from((decode(Buffer.from(v.attestation!.object, 'base64')) as { attStmt: { receipt: Uint8Array } }).attStmt.receipt)] as const);
const oidBytes = (hex: string) => Buffer.from(hex, 'hex');

describe.skipIf(receipts.length === 0)("Apple's real receipt chains carry the pinned markers", () => {
  it.each(receipts)('%s', (_id, receipt) => {
    const signedData = parseBer(receipt).children[1]!.children[0]!;
    const certs = signedData.children.find((n) => n.tagByte === 0xa0)!.children.map((n) => new X509Certificate(derBytes(receipt, n)));
    const signer = certs.find((c) => c.subject.includes('CN=Application Attestation Fraud Receipt Signing'))!;
    const issuer = certs.find((c) => signer.checkIssued(c))!;
    expect(issuer.subject).toContain('CN=Apple Application Integration CA 5 - G1');
    expect(findExtension(signer.raw, oidBytes('2a864886f763640c0f'))).toBeDefined();
    expect(findExtension(issuer.raw, oidBytes('2a864886f76364060203'))).toBeDefined();
    // The signer does not carry the intermediate's marker, nor the intermediate the signer's.
    expect(findExtension(signer.raw, oidBytes('2a864886f76364060203'))).toBeUndefined();
    expect(findExtension(issuer.raw, oidBytes('2a864886f763640c0f'))).toBeUndefined();
  });
});
