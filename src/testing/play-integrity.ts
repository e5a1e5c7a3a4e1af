/**
 * Simulated Play Integrity for tests: test response keys (the decryption and verification keys the Play Console
 * hands out, plus the signing key Google keeps) and a token maker that signs (ES256) then encrypts (A256KW +
 * A256GCM) any verdict exactly as Google does. A verifier configured with `decryptionKey` and `verificationKey`
 * accepts the tokens.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { CompactEncrypt, CompactSign } from 'jose';
import type { PlayIntegrityPayload } from '../attestation/play-integrity/payload.js';

/** An app's Play Integrity keys as the Play Console hands them out, plus the private half Google keeps. */
export interface PlayIntegrityTestKeys {
  /** Base64 AES-256 response encryption key (configure `decryptionKey` with it). */
  decryptionKey: string;
  /** Base64 DER SPKI response verification key (configure `verificationKey` with it). */
  verificationKey: string;
  /** The raw AES key. */
  aes: Uint8Array;
  /** Google's signing key (private). */
  signingKey: KeyObject;
}

/** Fresh random test keys. */
export function playIntegrityTestKeys(): PlayIntegrityTestKeys {
  const aes = randomBytes(32);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    decryptionKey: aes.toString('base64'),
    verificationKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    aes,
    signingKey: privateKey,
  };
}

/** Signs (ES256) then encrypts (A256KW + A256GCM) a verdict payload, as Google does. Any payload, valid or not. */
export async function playIntegrityToken(
  keys: Pick<PlayIntegrityTestKeys, 'aes' | 'signingKey'>,
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

/** What a simulated verdict says; every field defaults to a genuine app on a genuine phone. */
export interface PlayVerdictOptions {
  packageName: string;
  /** Classic request: the nonce the app set (for the attestation service, the hash of its client data). */
  nonce?: string;
  /** Standard request: the request hash the app set. */
  requestHash?: string;
  /** `timestampMillis`. Default: one second ago. */
  timestampMillis?: number;
  /** Default `['MEETS_DEVICE_INTEGRITY']`. */
  deviceRecognitionVerdict?: string[];
  /** Default `PLAY_RECOGNIZED`. */
  appRecognitionVerdict?: string;
  /** Base64url SHA-256 signing-certificate digests. Default one fixed test digest. */
  certificateSha256Digest?: string[];
  /** Default 1. */
  versionCode?: number;
  /** Default `LICENSED`. */
  appLicensingVerdict?: string;
  /** Default `NO_ISSUES`. */
  playProtectVerdict?: string;
  /** Default `LEVEL_1`. */
  deviceActivityLevel?: string;
  /** Default `['KNOWN_INSTALLED']`. */
  appsDetected?: string[];
}

/** A verdict payload in Google's documented shape (strings where Google sends strings). */
export function playIntegrityVerdict(options: PlayVerdictOptions): PlayIntegrityPayload {
  return {
    requestDetails: {
      requestPackageName: options.packageName,
      ...(options.nonce !== undefined ? { nonce: options.nonce } : {}),
      ...(options.requestHash !== undefined ? { requestHash: options.requestHash } : {}),
      timestampMillis: String(options.timestampMillis ?? Date.now() - 1_000),
    },
    appIntegrity: {
      appRecognitionVerdict: options.appRecognitionVerdict ?? 'PLAY_RECOGNIZED',
      packageName: options.packageName,
      certificateSha256Digest: options.certificateSha256Digest ?? [TEST_CERTIFICATE_DIGEST],
      versionCode: String(options.versionCode ?? 1),
    },
    deviceIntegrity: {
      deviceRecognitionVerdict: options.deviceRecognitionVerdict ?? ['MEETS_DEVICE_INTEGRITY'],
      recentDeviceActivity: { deviceActivityLevel: options.deviceActivityLevel ?? 'LEVEL_1' },
    },
    accountDetails: { appLicensingVerdict: options.appLicensingVerdict ?? 'LICENSED' },
    environmentDetails: {
      playProtectVerdict: options.playProtectVerdict ?? 'NO_ISSUES',
      appAccessRiskVerdict: { appsDetected: options.appsDetected ?? ['KNOWN_INSTALLED'] },
    },
  };
}

/** The signing-certificate digest `playIntegrityVerdict` reports by default (base64url, as Google does). */
export const TEST_CERTIFICATE_DIGEST = Buffer.alloc(32, 0xab).toString('base64url');

/** A simulated Play Integrity service for one app: its keys and a token maker. */
export interface PlayIntegritySimulator {
  readonly keys: PlayIntegrityTestKeys;
  /** Play Integrity options for the service or the shield: package name and the test keys. */
  readonly options: { packageName: string; decryptionKey: string; verificationKey: string };
  /** A token for a verdict; defaults describe a genuine app on a genuine phone. */
  token(verdict?: Partial<PlayVerdictOptions>): Promise<string>;
}

/**
 * Creates a Play Integrity simulator: `const play = createPlayIntegritySimulator('com.example.app')`, configure the
 * service's `android` with `play.options`, and answer the client's `requestIntegrityToken(requestHash)` with
 * `play.token({ requestHash })` (or `{ nonce: requestHash }`, as a classic request sets it).
 */
export function createPlayIntegritySimulator(packageName: string): PlayIntegritySimulator {
  const keys = playIntegrityTestKeys();
  return {
    keys,
    options: { packageName, decryptionKey: keys.decryptionKey, verificationKey: keys.verificationKey },
    token: (verdict = {}) => playIntegrityToken(keys, playIntegrityVerdict({ ...verdict, packageName: verdict.packageName ?? packageName })),
  };
}
