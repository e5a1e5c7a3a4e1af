import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { X509Certificate, createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode } from 'cborg';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APPLE_ROOT_CA_G3_PEM,
  APPLE_ROOT_CA_G3_SHA256,
  AppAttestRiskError,
  createAppAttestRegistry,
  refreshAppAttestRisk,
  verifyAppAttestation,
  verifyAppAttestReceipt,
} from '../../../src/attestation/app-attest/index.js';
import { TestMemoryStore } from '../memory-store.js';
import { deviceKey, FakeAppleCa } from './fake-apple.js';
import { FakeReceiptSigner } from './fake-receipt.js';
import { reasonOf, asyncReasonOf } from './reasons.js';

// Issue 17 item 7: receipts verified (PKCS#7 to Apple Root CA - G3; App ID, key, client data hash), stored with the
// key, and exchanged for the fraud risk metric through an injected fetch.

interface Vector {
  id: string;
  teamId: string;
  bundleId: string;
  environment: 'development' | 'production';
  keyId: string;
  attestation?: { object: string; clientDataHash?: string; clientDataHashBase64?: string; clientDataBase64?: string; challengeBase64?: string };
  leafValidity: { notBefore: string };
}
const root = resolve(fileURLToPath(new URL('../../../', import.meta.url)), '../shared/testdata/app-attest');
const load = (f: string): Vector[] =>
  existsSync(resolve(root, f)) ? (JSON.parse(readFileSync(resolve(root, f), 'utf8')) as { vectors: Vector[] }).vectors : [];
const real = [...load('vectors.json'), ...load('vectors-extra.json')].filter((v) => v.attestation !== undefined);
/** Apple issues the receipt with the attestation, a day after the leaf's notBefore in every vector. */
const receiptTime = (v: Vector) => Date.parse(v.leafValidity.notBefore) + 86_400_000 + 60_000;
const parts = (v: Vector) => {
  const object = decode(Buffer.from(v.attestation!.object, 'base64')) as { attStmt: { x5c: Uint8Array[]; receipt: Uint8Array } };
  const hash = v.attestation!.clientDataHash ?? v.attestation!.clientDataHashBase64;
  return {
    receipt: object.attStmt.receipt,
    publicKey: new X509Certificate(Buffer.from(object.attStmt.x5c[0]!)).publicKey,
    clientDataHash: hash ? Buffer.from(hash, 'base64') : undefined,
  };
};

describe('embedded Apple Root CA - G3', () => {
  it('has the pinned fingerprint and is self-signed', () => {
    const g3 = new X509Certificate(APPLE_ROOT_CA_G3_PEM);
    expect(g3.fingerprint256).toBe(APPLE_ROOT_CA_G3_SHA256);
    expect(g3.fingerprint256).toBe('63:34:3A:BF:B8:9A:6A:03:EB:B5:7E:9B:3F:5F:A7:BE:7C:4F:5C:75:6F:30:17:B3:A8:C4:88:C3:65:3E:91:79');
    expect(g3.verify(g3.publicKey)).toBe(true);
  });
});

describe.skipIf(real.length === 0)('real receipts from the vectors', () => {
  it.each(real.map((v) => [v.id, v] as const))('%s', (id, v) => {
    const { receipt, publicKey, clientDataHash } = parts(v);
    const check = () =>
      verifyAppAttestReceipt({ receipt, appId: `${v.teamId}.${v.bundleId}`, publicKey, type: 'ATTEST', now: receiptTime(v), ...(clientDataHash ? { clientDataHash } : {}) });
    if (id === 'appattestdecoder-ForensicModeTest') {
      // This published receipt's signing certificate differs from Apple's in one byte: its signature no longer holds.
      expect(reasonOf(check)).toBe('receipt_invalid');
      return;
    }
    const r = check();
    expect(r).toMatchObject({ type: 'ATTEST', appId: `${v.teamId}.${v.bundleId}`, riskMetric: undefined });
    expect(r.environment).toBe(v.environment === 'production' ? 'production' : 'sandbox');
    if (clientDataHash) expect(r.clientHash).toEqual(clientDataHash);
    expect(r.expiresAt).toBeGreaterThan(r.createdAt);
  });

  const v = real.find((x) => x.id === 'procivis-2025-09') ?? real[0]!;
  const base = () => {
    const { receipt, publicKey, clientDataHash } = parts(v);
    return { receipt, appId: `${v.teamId}.${v.bundleId}`, publicKey, clientDataHash: clientDataHash!, now: receiptTime(v) };
  };

  it('every field check fails with its reason', () => {
    expect(reasonOf(() => verifyAppAttestReceipt({ ...base(), appId: 'ZZZZZZZZZZ.com.other' }))).toBe('receipt_mismatch');
    expect(reasonOf(() => verifyAppAttestReceipt({ ...base(), publicKey: deviceKey().publicKey }))).toBe('receipt_mismatch');
    expect(reasonOf(() => verifyAppAttestReceipt({ ...base(), clientDataHash: Buffer.alloc(32, 1) }))).toBe('receipt_mismatch');
    expect(reasonOf(() => verifyAppAttestReceipt({ ...base(), type: 'RECEIPT' }))).toBe('receipt_mismatch');
    expect(reasonOf(() => verifyAppAttestReceipt({ ...base(), now: receiptTime(v) + 100 * 86_400_000 }))).toBe('receipt_expired');
    expect(reasonOf(() => verifyAppAttestReceipt({ ...base(), maxAgeMs: 1_000 }))).toBe('receipt_expired');
    expect(reasonOf(() => verifyAppAttestReceipt({ ...base(), trustAnchor: new FakeAppleCa().root }))).toBe('receipt_invalid');
  });

  it('a flipped payload byte breaks the signature; truncation and garbage are invalid, never a crash', () => {
    const { receipt } = base();
    const bytes = Buffer.from(receipt);
    const at = bytes.indexOf(Buffer.from(`${v.teamId}.${v.bundleId}`));
    bytes[at + 3] = bytes[at + 3]! ^ 1;
    expect(reasonOf(() => verifyAppAttestReceipt({ ...base(), receipt: bytes }))).toBe('receipt_invalid');
    for (const junk of [Buffer.from(receipt).subarray(0, 200), Buffer.from('not a receipt'), Buffer.alloc(0), Buffer.alloc(70_000)]) {
      expect(reasonOf(() => verifyAppAttestReceipt({ ...base(), receipt: junk }))).toBe('receipt_invalid');
    }
  });

  it('verifyAppAttestation checks the receipt when asked, and the registry stores it', async () => {
    const input = {
      attestationObject: v.attestation!.object,
      clientDataHash: base().clientDataHash,
      keyId: v.keyId,
      teamId: v.teamId,
      bundleId: v.bundleId,
      environment: v.environment,
      now: receiptTime(v),
    };
    expect(verifyAppAttestation({ ...input, verifyReceipt: true }).verifiedReceipt?.type).toBe('ATTEST');
    expect(verifyAppAttestation(input).verifiedReceipt).toBeUndefined();
    const store = new TestMemoryStore(() => receiptTime(v));
    const registry = createAppAttestRegistry({ store, teamId: v.teamId, bundleId: v.bundleId, environment: v.environment });
    await registry.register({ attestationObject: v.attestation!.object, clientDataHash: input.clientDataHash, keyId: v.keyId, now: receiptTime(v) });
    expect(await registry.receipt(v.keyId)).toMatchObject({ type: 'ATTEST', receipt: Buffer.from(base().receipt).toString('base64') });
    // Long after the receipt expired, registration refuses it.
    const late = createAppAttestRegistry({ store: new TestMemoryStore(), teamId: v.teamId, bundleId: v.bundleId, environment: v.environment });
    const lateTime = receiptTime(v) + 95 * 86_400_000;
    expect(await asyncReasonOf(late.register({ attestationObject: v.attestation!.object, clientDataHash: input.clientDataHash, keyId: v.keyId, now: lateTime }))).toBe(
      'receipt_expired',
    );
  });
});

describe('synthetic receipts (BER, chunked payload) and the fraud-risk exchange', () => {
  const ca = new FakeAppleCa();
  const TEAM = 'ABCDE12345';
  const BUNDLE = 'com.example.bank';
  const APP_ID = `${TEAM}.${BUNDLE}`;
  const NOW = Date.parse('2026-05-01T12:00:00Z');
  const signer = new FakeReceiptSigner(ca);
  const deviceCheck = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const credentials = { keyId: 'DCKEY12345', teamId: TEAM, privateKey: deviceCheck.privateKey };

  async function registered() {
    const store = new TestMemoryStore(() => NOW);
    const registry = createAppAttestRegistry({
      store, teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: ca.root, receipt: { trustAnchor: ca.root },
    });
    const key = deviceKey();
    const challenge = Buffer.from('registration');
    // The leaf is only known once attested; attest once to get it, then again with a receipt naming it.
    const leafOf = (object: Buffer) => Buffer.from((decode(object) as { attStmt: { x5c: Uint8Array[] } }).attStmt.x5c[0]!);
    const leaf = leafOf(ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge }));
    const attestReceipt = signer.receipt({
      appId: APP_ID, attestedCertificate: leaf, clientHash: createHash('sha256').update(challenge).digest(), type: 'ATTEST',
      createdAt: new Date(NOW - 1_000), expiresAt: new Date(NOW + 90 * 86_400_000),
    });
    const object = ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge, receipt: attestReceipt });
    await registry.register({ attestationObject: object, challenge, keyId: key.keyId, now: NOW });
    const riskReceipt = (metric: number) =>
      signer.receipt({
        appId: APP_ID, attestedCertificate: leafOf(object), type: 'RECEIPT', riskMetric: metric,
        createdAt: new Date(NOW), expiresAt: new Date(NOW + 90 * 86_400_000), notBefore: new Date(NOW + 86_400_000),
      });
    return { registry, key, attestReceipt, riskReceipt };
  }

  it('the registry verifies and stores the attestation receipt; a mismatched one fails registration', async () => {
    const { registry, key, attestReceipt } = await registered();
    expect(await registry.receipt(key.keyId)).toMatchObject({ type: 'ATTEST', receipt: attestReceipt.toString('base64') });
    const other = deviceKey();
    const store = new TestMemoryStore(() => NOW);
    const strict = createAppAttestRegistry({ store, teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: ca.root, receipt: { trustAnchor: ca.root } });
    // The receipt of another key inside this key's attestation.
    const object = ca.attest(other, { teamId: TEAM, bundleId: BUNDLE, challenge: Buffer.from('x'), receipt: attestReceipt });
    expect(await asyncReasonOf(strict.register({ attestationObject: object, challenge: Buffer.from('x'), keyId: other.keyId, now: NOW }))).toBe('receipt_mismatch');
  });

  it('a receipt whose signing certificate was not issued by the CA, or whose payload changed, is invalid', async () => {
    const { registry, key } = await registered();
    const stored = (await registry.receipt(key.keyId))!;
    const leafKey = key.publicKey;
    const rogue = new FakeReceiptSigner(ca, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
    const fields = { appId: APP_ID, attestedCertificate: Buffer.alloc(0), type: 'ATTEST' as const, createdAt: new Date(NOW), expiresAt: new Date(NOW + 1e9) };
    expect(reasonOf(() => verifyAppAttestReceipt({ receipt: rogue.receipt(fields), appId: APP_ID, publicKey: leafKey, now: NOW, trustAnchor: ca.root }))).toBe('receipt_invalid');
    const tampered = signer.receipt(fields, { mutate: (p) => Buffer.from(p.toString('latin1').replace('ATTEST', 'ATTESS'), 'latin1') });
    expect(reasonOf(() => verifyAppAttestReceipt({ receipt: tampered, appId: APP_ID, publicKey: leafKey, now: NOW, trustAnchor: ca.root }))).toBe('receipt_invalid');
    expect(stored.type).toBe('ATTEST');
  });

  describe('refresh through a local HTTP server standing in for Apple', () => {
    let server: http.Server;
    let url: string;
    let answer: { status: number; body: string } = { status: 200, body: '' };
    const seen: Array<{ authorization: string | undefined; body: string }> = [];
    beforeAll(async () => {
      server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          seen.push({ authorization: req.headers.authorization, body });
          res.statusCode = answer.status;
          res.end(answer.body);
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/attestationData`;
    });
    afterAll(() => {
      server.closeAllConnections();
      server.close();
    });

    it('sends the stored receipt with a DeviceCheck JWT, verifies the new receipt and stores its risk metric', async () => {
      const { registry, key, attestReceipt, riskReceipt } = await registered();
      answer = { status: 200, body: `${riskReceipt(7).toString('base64')}\n` };
      const result = await registry.refreshRisk(key.keyId, { credentials, url, now: NOW });
      expect(result).toMatchObject({ status: 'refreshed', receipt: { type: 'RECEIPT', riskMetric: 7 } });
      const request = seen.at(-1)!;
      expect(request.body).toBe(attestReceipt.toString('base64'));
      const { payload, protectedHeader } = await jwtVerify(request.authorization!, deviceCheck.publicKey, { issuer: TEAM });
      expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'DCKEY12345' });
      expect(typeof payload.iat).toBe('number');
      expect(await registry.receipt(key.keyId)).toMatchObject({ type: 'RECEIPT', riskMetric: 7, notBefore: NOW + 86_400_000 });
      // The next refresh sends the new receipt.
      const storedBefore = (await registry.receipt(key.keyId))!.receipt;
      expect(storedBefore).not.toBe(attestReceipt.toString('base64'));
      answer = { status: 200, body: riskReceipt(9).toString('base64') };
      await registry.refreshRisk(key.keyId, { credentials, url, now: NOW });
      expect(seen.at(-1)!.body).toBe(storedBefore);
      expect((await registry.receipt(key.keyId))?.riskMetric).toBe(9);
    });

    it('304 is not_modified (nothing stored); errors and garbage are refused, and a forged new receipt is not stored', async () => {
      const { registry, key } = await registered();
      answer = { status: 304, body: '' };
      expect(await registry.refreshRisk(key.keyId, { credentials, url, now: NOW })).toEqual({ status: 'not_modified' });
      expect((await registry.receipt(key.keyId))?.type).toBe('ATTEST');
      for (const status of [400, 401, 404, 429, 503]) {
        answer = { status, body: 'nope' };
        await expect(registry.refreshRisk(key.keyId, { credentials, url, now: NOW })).rejects.toMatchObject({ name: 'AppAttestRiskError', status });
      }
      answer = { status: 200, body: '<html>' };
      await expect(registry.refreshRisk(key.keyId, { credentials, url, now: NOW })).rejects.toBeInstanceOf(AppAttestRiskError);
      const rogue = new FakeReceiptSigner(ca, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
      answer = {
        status: 200,
        body: rogue.receipt({ appId: APP_ID, attestedCertificate: Buffer.alloc(0), type: 'RECEIPT', riskMetric: 0, createdAt: new Date(NOW), expiresAt: new Date(NOW + 1e9) }).toString('base64'),
      };
      expect(await asyncReasonOf(registry.refreshRisk(key.keyId, { credentials, url, now: NOW }))).toBe('receipt_invalid');
      expect((await registry.receipt(key.keyId))?.type).toBe('ATTEST');
    });

    it('an injected fetch is used instead of the network', async () => {
      const { key, riskReceipt } = await registered();
      const calls: string[] = [];
      const fetchStub: typeof fetch = async (input) => {
        calls.push(String(input));
        return new Response(riskReceipt(2).toString('base64'), { status: 200 });
      };
      const result = await refreshAppAttestRisk({
        receipt: 'AAAA', environment: 'development', credentials, appId: APP_ID, publicKey: key.publicKey, fetch: fetchStub, now: NOW, trustAnchor: ca.root,
      });
      expect(calls).toEqual(['https://data-development.appattest.apple.com/v1/attestationData']);
      expect(result).toMatchObject({ status: 'refreshed', receipt: { riskMetric: 2 } });
    });
  });
});
