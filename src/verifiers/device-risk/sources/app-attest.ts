import type { DeviceLevel } from '../../../attestation/play-integrity/payload.js';
import type { StoredAppAttestKey } from '../../../attestation/app-attest/registry.js';
import { impliedLevels } from '../../../attestation/play-integrity/payload.js';
import type { AttestedContribution } from '../verdict.js';

/**
 * Maps a verified App Attest assertion onto the normalised verdict. App Attest proves a genuine app on a genuine
 * Apple device (Secure Enclave key); it does not report jailbreaks, so it vouches for a configurable level
 * (default `MEETS_DEVICE_INTEGRITY`). A key registered less than `newDeviceWindowMs` ago marks the device new.
 */
export function appAttestContribution(
  result: { keyId: string; key: StoredAppAttestKey },
  options: { level: DeviceLevel; newDeviceWindowMs: number; now: number },
): AttestedContribution {
  return {
    provider: 'app-attest',
    platform: 'ios',
    appId: result.key.appId,
    recognized: true,
    deviceId: result.keyId,
    levels: impliedLevels([options.level]),
    signals: options.now - result.key.registeredAt < options.newDeviceWindowMs ? ['newDevice'] : [],
    issuedAt: options.now,
  };
}
