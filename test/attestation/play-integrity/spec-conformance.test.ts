import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createPlayIntegrityVerifier,
  PlayIntegrityError,
  type PlayIntegrityOptions,
  type PlayIntegrityPayload,
} from '../../../src/attestation/play-integrity/index.js';
import { CERT_DIGEST, genuinePayload, PACKAGE, playKeys, playToken } from './token-factory.js';

// Issue 17, items 3 and 4: test verdicts and the signing-certificate allowlist, as Google documents them.
const NOW = Date.parse('2026-05-01T12:00:00Z');
const NONCE = createHash('sha256').update('GET\n/accounts\n').digest('base64url');
const keys = playKeys();
const FOREIGN_DIGEST = Buffer.alloc(32, 0x66).toString('base64url');

function verifier(over: Partial<PlayIntegrityOptions> = {}) {
  return createPlayIntegrityVerifier({
    packageName: PACKAGE,
    decryptionKey: keys.decryptionKey,
    verificationKey: keys.verificationKey,
    certificateDigests: [CERT_DIGEST],
    // The device-risk verifier relaxes these two into policy signals; the allowlist must hold regardless.
    requirements: { appRecognized: false, deviceLevel: 'none' },
    ...over,
  });
}

async function reasonOf(options: Partial<PlayIntegrityOptions>, mutate: (p: PlayIntegrityPayload) => void): Promise<string> {
  const payload = genuinePayload(NOW, { nonce: NONCE });
  mutate(payload);
  try {
    await verifier(options).verify(await playToken(keys, payload), { nonce: NONCE, now: NOW });
    return 'passed';
  } catch (error) {
    if (error instanceof PlayIntegrityError) return error.reason;
    throw error;
  }
}

describe('Play Integrity test responses (testingDetails.isTestingResponse)', () => {
  it('are refused by default with their own reason', async () => {
    expect(await reasonOf({}, (p) => (p.testingDetails = { isTestingResponse: true }))).toBe('test_response');
  });

  it('a non-boolean marker is treated as a test response too', async () => {
    expect(await reasonOf({}, (p) => ((p as { testingDetails: unknown }).testingDetails = { isTestingResponse: 'true' }))).toBe(
      'test_response',
    );
  });

  it('are accepted when allowTestResponses is set; false or absent markers are ordinary verdicts', async () => {
    expect(await reasonOf({ allowTestResponses: true }, (p) => (p.testingDetails = { isTestingResponse: true }))).toBe('passed');
    expect(await reasonOf({}, (p) => (p.testingDetails = { isTestingResponse: false }))).toBe('passed');
    expect(await reasonOf({}, () => undefined)).toBe('passed');
  });
});

describe('Play Integrity signing-certificate allowlist applies to every verdict', () => {
  it('a re-signed build (UNRECOGNIZED_VERSION, foreign digest) is a mismatch even with recognition relaxed', async () => {
    const reason = await reasonOf({}, (p) => {
      p.appIntegrity!.appRecognitionVerdict = 'UNRECOGNIZED_VERSION';
      p.appIntegrity!.certificateSha256Digest = [FOREIGN_DIGEST];
    });
    expect(reason).toBe('certificate_digest_mismatch');
  });

  it('an UNEVALUATED verdict without any digest is a mismatch when an allowlist is set', async () => {
    expect(await reasonOf({}, (p) => (p.appIntegrity = { appRecognitionVerdict: 'UNEVALUATED' }))).toBe(
      'certificate_digest_mismatch',
    );
  });

  it('without an allowlist an UNEVALUATED verdict still reaches the policy', async () => {
    expect(await reasonOf({ certificateDigests: undefined }, (p) => (p.appIntegrity = { appRecognitionVerdict: 'UNEVALUATED' }))).toBe(
      'passed',
    );
  });

  it('UNRECOGNIZED_VERSION with our own digest passes the allowlist (the policy judges recognition)', async () => {
    expect(await reasonOf({}, (p) => (p.appIntegrity!.appRecognitionVerdict = 'UNRECOGNIZED_VERSION'))).toBe('passed');
  });

  it.each(['PLAY_RECOGNIZED', 'UNRECOGNIZED_VERSION'])('%s without appIntegrity.packageName is malformed', async (verdict) => {
    const reason = await reasonOf({ certificateDigests: undefined }, (p) => {
      p.appIntegrity!.appRecognitionVerdict = verdict;
      delete p.appIntegrity!.packageName;
    });
    expect(reason).toBe('malformed_payload');
  });
});
