import { playIntegrityContribution } from '../../verifiers/device-risk/sources/play-integrity.js';
import type { VerifiedPlayIntegrity } from '../play-integrity/verifier.js';
import { impliedLevels, type DeviceLevel } from '../play-integrity/payload.js';
import type { IssuedDeviceVerdict } from './claims.js';

/**
 * The verdict of a verified Play Integrity token, mapped exactly as the device-risk verifier maps one it verifies
 * itself (same signals, same levels), so a policy reads a service token and a raw Play token alike.
 */
export function androidVerdict(verified: VerifiedPlayIntegrity): IssuedDeviceVerdict {
  const contribution = playIntegrityContribution(verified);
  const version = contribution.appVersion;
  return {
    platform: 'android',
    app: {
      id: contribution.appId ?? '',
      ...(typeof version === 'number' ? { version } : {}),
    },
    device: { levels: [...(contribution.levels ?? [])], signals: [...(contribution.signals ?? [])] },
  };
}

/** The verdict of a verified App Attest assertion: the key id is the attested device identity. */
export function iosVerdict(
  keyIdBase64: string,
  appId: string,
  environment: 'development' | 'production',
  level: DeviceLevel,
): IssuedDeviceVerdict {
  return {
    platform: 'ios',
    app: { id: appId },
    device: { id: Buffer.from(keyIdBase64, 'base64').toString('base64url'), levels: impliedLevels([level]), signals: [] },
    environment,
  };
}
