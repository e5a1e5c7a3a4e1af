import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { CompactEncrypt, CompactSign } from 'jose';
import type { PlayIntegrityPayload } from '../../../src/attestation/play-integrity/index.js';

/** An app's Play Integrity keys as the Play Console hands them out, plus the private half Google keeps. */
export interface PlayKeys {
  /** Base64 AES-256 response encryption key. */
  decryptionKey: string;
  /** Base64 DER SPKI response verification key. */
  verificationKey: string;
  aes: Uint8Array;
  signingKey: KeyObject;
}

export function playKeys(): PlayKeys {
  const aes = randomBytes(32);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    decryptionKey: aes.toString('base64'),
    verificationKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    aes,
    signingKey: privateKey,
  };
}

export const PACKAGE = 'com.example.bank';
/** Base64url SHA-256 of a made-up signing certificate, as Google reports it. */
export const CERT_DIGEST = Buffer.alloc(32, 0xab).toString('base64url');

/** A genuine verdict in Google's documented shape (strings where Google sends strings). */
export function genuinePayload(now: number, binding: { nonce?: string; requestHash?: string }): PlayIntegrityPayload {
  return {
    requestDetails: { requestPackageName: PACKAGE, ...binding, timestampMillis: String(now - 1_000) },
    appIntegrity: {
      appRecognitionVerdict: 'PLAY_RECOGNIZED',
      packageName: PACKAGE,
      certificateSha256Digest: [CERT_DIGEST],
      versionCode: '420',
    },
    deviceIntegrity: {
      deviceRecognitionVerdict: ['MEETS_DEVICE_INTEGRITY'],
      recentDeviceActivity: { deviceActivityLevel: 'LEVEL_1' },
    },
    accountDetails: { appLicensingVerdict: 'LICENSED' },
    environmentDetails: { playProtectVerdict: 'NO_ISSUES', appAccessRiskVerdict: { appsDetected: ['KNOWN_INSTALLED'] } },
  };
}

/** Signs (ES256) then encrypts (A256KW + A256GCM) a payload, as Google does. */
export async function playToken(
  keys: Pick<PlayKeys, 'aes' | 'signingKey'>,
  payload: unknown,
  headers: { jwe?: { alg: string; enc: string }; jwsAlg?: string } = {},
): Promise<string> {
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: headers.jwsAlg ?? 'ES256' })
    .sign(keys.signingKey);
  return new CompactEncrypt(new TextEncoder().encode(jws))
    .setProtectedHeader(headers.jwe ?? { alg: 'A256KW', enc: 'A256GCM' })
    .encrypt(keys.aes);
}
