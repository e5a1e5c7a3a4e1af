/**
 * Ported review test: an invalid `now` (NaN, an Invalid Date: e.g. `Date.parse` of a missing or malformed header)
 * silently turned off every time check instead of failing closed: an expired App Attest certificate chain, an
 * expired receipt and a stale Play Integrity verdict were all accepted. Each public entry point now throws a
 * TypeError for a non-finite time: "cannot decide" (the service answers 503, the device verifier fails closed), not
 * a verdict on the client's evidence. Real Apple vectors (read at test time from ../shared, never copied) and real
 * crypto.
 */
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { decode } from 'cborg';
import { describe, expect, it, vi } from 'vitest';
import {
  AppAttestError,
  createAppAttestRegistry,
  refreshAppAttestRisk,
  verifyAppAttestation,
  verifyAppAttestReceipt,
} from '../../src/attestation/app-attest/index.js';
import { checkRequestDetails, createPlayIntegrityVerifier, PlayIntegrityError, verifyPlayIntegrityToken } from '../../src/attestation/play-integrity/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { attestationInput, loadVectors, VECTORS_PRESENT, type AppAttestVector } from './app-attest/vectors.js';
import { genuinePayload, PACKAGE, playKeys, playToken } from './play-integrity/token-factory.js';

/** `passed`, the typed error's reason, or `TypeError` (the caller's bad input: cannot decide, fails closed). */
const outcome = (fn: () => unknown): string => {
  try {
    fn();
    return 'passed';
  } catch (e) {
    if (e instanceof AppAttestError || e instanceof PlayIntegrityError) return e.reason;
    if (e instanceof TypeError) return 'TypeError';
    throw e;
  }
};
const outcomeAsync = async (fn: () => Promise<unknown>): Promise<string> => {
  try {
    await fn();
    return 'passed';
  } catch (e) {
    if (e instanceof AppAttestError || e instanceof PlayIntegrityError) return e.reason;
    if (e instanceof TypeError) return 'TypeError';
    throw e;
  }
};

const INVALID = [
  ['NaN', Number.NaN],
  ['an Invalid Date', new Date('not a date')],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
] as const;

describe.skipIf(!VECTORS_PRESENT)('App Attest: an invalid now (review)', () => {
  const v = loadVectors().vectors[0] as AppAttestVector;
  if (v === undefined) return;
  const base = attestationInput(v);
  const expired = Date.parse(v.leafValidity.notAfter) + 86_400_000;

  it('control: after the leaf expired the attestation is refused', () => {
    expect(outcome(() => verifyAppAttestation({ ...base, now: expired }))).toBe('certificate_expired');
  });

  it.each(INVALID)('now = %s does not accept an attestation whose chain cannot be judged valid', (_n, now) => {
    expect(outcome(() => verifyAppAttestation({ ...base, now }))).toBe('TypeError');
  });

  it('a registry refuses to register with an invalid now (nothing stored)', async () => {
    const store = new MemoryStore();
    const registry = createAppAttestRegistry({ store, teamId: v.teamId, bundleId: v.bundleId, environment: v.environment });
    expect(await outcomeAsync(() => registry.register({ ...base, now: Number.NaN }))).toBe('TypeError');
    expect(store.size).toBe(0);
  });

  const object = decode(Buffer.from(v.attestation.object, 'base64')) as { attStmt: { x5c: Uint8Array[]; receipt: Uint8Array } };
  const publicKey = new X509Certificate(Buffer.from(object.attStmt.x5c[0]!)).publicKey;
  const appId = `${v.teamId}.${v.bundleId}`;
  const checkReceipt = (now: number) => outcome(() => verifyAppAttestReceipt({ receipt: object.attStmt.receipt, appId, publicKey, type: 'ATTEST', now }));

  it('now = NaN does not accept a receipt whose expiry cannot be judged', () => {
    expect(checkReceipt(Date.parse('2040-01-01T00:00:00Z'))).not.toBe('passed'); // control: long expired
    expect(checkReceipt(Number.NaN)).toBe('TypeError');
    expect(checkReceipt(Number.POSITIVE_INFINITY)).toBe('TypeError');
  });

  it('refreshAppAttestRisk refuses an invalid now before it calls Apple', async () => {
    const fetch = vi.fn(async () => new Response('', { status: 304 }));
    const refresh = () =>
      refreshAppAttestRisk({
        receipt: object.attStmt.receipt,
        environment: v.environment,
        credentials: { keyId: 'KEY1234567', teamId: v.teamId, privateKey: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey },
        appId,
        publicKey,
        fetch,
        now: Number.NaN,
      });
    expect(await outcomeAsync(refresh)).toBe('TypeError');
    expect(fetch).not.toHaveBeenCalled();
  });
});

describe('Play Integrity: an invalid now (review)', () => {
  const keys = playKeys();
  const NONCE = 'bm9uY2Utb2YtdGhlLXJlcXVlc3QtMTIzNDU2Nzg';
  const issued = Date.parse('2020-01-01T00:00:00Z'); // a verdict six years old
  const options = { packageName: PACKAGE, decryptionKey: keys.decryptionKey, verificationKey: keys.verificationKey };
  const verifier = createPlayIntegrityVerifier(options);
  const verify = async (now: number): Promise<string> => {
    const token = await playToken(keys, genuinePayload(issued, { nonce: NONCE }));
    return outcomeAsync(() => verifier.verify(token, { nonce: NONCE, now }));
  };

  it('control: a six-year-old verdict is stale', async () => {
    expect(await verify(Date.now())).toBe('stale_timestamp');
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
  ])('now = %s does not accept a verdict whose freshness cannot be judged', async (_n, now) => {
    expect(await verify(now)).toBe('TypeError');
  });

  it('the one-shot verifyPlayIntegrityToken and checkRequestDetails refuse it too', async () => {
    const token = await playToken(keys, genuinePayload(issued, { nonce: NONCE }));
    expect(await outcomeAsync(() => verifyPlayIntegrityToken(token, { ...options, nonce: NONCE, now: Number.NaN }))).toBe('TypeError');
    const payload = genuinePayload(issued, { nonce: NONCE });
    const expectation = { packageName: PACKAGE, nonce: NONCE, maxAgeMs: 120_000, clockSkewMs: 30_000 };
    expect(outcome(() => checkRequestDetails(payload, { ...expectation, now: Date.now() }))).toBe('stale_timestamp');
    expect(outcome(() => checkRequestDetails(payload, { ...expectation, now: Number.NaN }))).toBe('TypeError');
  });
});
