import { riskyAppsDetected } from '../../../attestation/play-integrity/checks.js';
import type { VerifiedPlayIntegrity } from '../../../attestation/play-integrity/verifier.js';
import { impliedLevels } from '../../../attestation/play-integrity/payload.js';
import type { DeviceSignal } from '../signals.js';
import type { AttestedContribution } from '../verdict.js';

const PLAY_PROTECT_RISK = new Set(['POSSIBLE_RISK', 'MEDIUM_RISK', 'HIGH_RISK']);

/**
 * Maps a verified Play Integrity verdict onto the normalised verdict. Device levels stay levels (the policy's
 * `requiredLevel` judges them); the other verdicts become signals.
 */
export function playIntegrityContribution(result: VerifiedPlayIntegrity): AttestedContribution {
  const { payload, levels } = result;
  const signals: DeviceSignal[] = [];
  const recognized = payload.appIntegrity?.appRecognitionVerdict === 'PLAY_RECOGNIZED';
  if (!recognized) signals.push('unrecognizedApp');
  if (levels.length === 1 && levels[0] === 'MEETS_VIRTUAL_INTEGRITY') signals.push('virtualDevice');
  if (payload.accountDetails?.appLicensingVerdict === 'UNLICENSED') signals.push('unlicensed');
  const protect = payload.environmentDetails?.playProtectVerdict;
  if (typeof protect === 'string' && PLAY_PROTECT_RISK.has(protect)) signals.push('playProtectRisk');
  if (riskyAppsDetected(payload)) signals.push('riskyApps');
  const activity = payload.deviceIntegrity?.recentDeviceActivity?.deviceActivityLevel;
  if (activity === 'LEVEL_3' || activity === 'LEVEL_4') signals.push('highActivity');

  const device = payload.deviceIntegrity;
  const legacy = device?.legacyDeviceRecognitionVerdict;
  const sdk = device?.deviceAttributes?.sdkVersion;
  const android: AttestedContribution['android'] = { levels };
  if (Array.isArray(legacy)) android.legacyLevels = impliedLevels(legacy.filter((l): l is string => typeof l === 'string'));
  if (typeof sdk === 'number' && Number.isInteger(sdk) && sdk > 0 && sdk < 1000) android.sdkVersion = sdk;

  const versionCode = payload.appIntegrity?.versionCode;
  const version = typeof versionCode === 'string' && /^\d{1,12}$/.test(versionCode) ? Number(versionCode) : versionCode;
  return {
    provider: 'play-integrity',
    platform: 'android',
    appId: payload.appIntegrity?.packageName ?? payload.requestDetails?.requestPackageName,
    appVersion: typeof version === 'number' ? version : undefined,
    recognized,
    levels,
    signals,
    android,
    issuedAt: result.issuedAt,
  };
}
