import type { DeviceLevel } from '../../../attestation/play-integrity/payload.js';
import type { AppAttestExtensions } from '../../../attestation/app-attest/extensions.js';
import type { StoredAppAttestKey } from '../../../attestation/app-attest/registry.js';
import { impliedLevels } from '../../../attestation/play-integrity/payload.js';
import type { AttestedContribution } from '../verdict.js';

/**
 * Maps a verified App Attest assertion onto the normalised verdict. App Attest proves a genuine app on a genuine
 * Apple device (Secure Enclave key); it does not report jailbreaks, so it vouches for a configurable level
 * (default `MEETS_DEVICE_INTEGRITY`). A key registered less than `newDeviceWindowMs` ago marks the device new.
 * iOS 27+ assertions add how the binary was distributed and its bundle version (an attested app version); macOS
 * keys carry their access-control verdict from registration.
 */
export function appAttestContribution(
  result: { keyId: string; key: StoredAppAttestKey; extensions?: AppAttestExtensions },
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
    ...(result.extensions?.bundleVersion !== undefined ? { appVersion: result.extensions.bundleVersion } : {}),
    appleFacts: {
      environment: result.key.environment,
      ...(result.extensions?.validationCategory !== undefined ? { validationCategory: result.extensions.validationCategory } : {}),
      ...(result.extensions?.bundleVersion !== undefined ? { bundleVersion: result.extensions.bundleVersion } : {}),
      ...(result.key.macAccessControl !== undefined ? { macAccessControl: result.key.macAccessControl } : {}),
    },
  };
}
