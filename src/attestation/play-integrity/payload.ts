/**
 * The Play Integrity verdict payload (`tokenPayloadExternal`) as Google documents it. Numbers that Google sends as
 * JSON strings (`timestampMillis`, `versionCode`) are typed as either.
 */
export interface PlayIntegrityPayload {
  requestDetails?: {
    requestPackageName?: string;
    /** Classic requests: the nonce the app set. */
    nonce?: string;
    /** Standard requests: the request hash the app set. */
    requestHash?: string;
    timestampMillis?: string | number;
  };
  appIntegrity?: {
    appRecognitionVerdict?: 'PLAY_RECOGNIZED' | 'UNRECOGNIZED_VERSION' | 'UNEVALUATED' | string;
    packageName?: string;
    /** Base64url SHA-256 digests of the app's signing certificates. */
    certificateSha256Digest?: string[];
    versionCode?: string | number;
  };
  deviceIntegrity?: {
    deviceRecognitionVerdict?: string[];
    /** The labels with their pre-May-2025 meaning (opt-in in the Play Console for Android 13+ devices). */
    legacyDeviceRecognitionVerdict?: string[];
    recentDeviceActivity?: { deviceActivityLevel?: 'LEVEL_1' | 'LEVEL_2' | 'LEVEL_3' | 'LEVEL_4' | 'UNEVALUATED' | string };
    /** Opt-in device attributes; `sdkVersion` is the Android API level (33 = Android 13). */
    deviceAttributes?: { sdkVersion?: number };
  };
  /** Present (and true) only on the static test verdicts Google returns for license testers and test tracks. */
  testingDetails?: { isTestingResponse?: boolean };
  accountDetails?: { appLicensingVerdict?: 'LICENSED' | 'UNLICENSED' | 'UNEVALUATED' | string };
  environmentDetails?: {
    playProtectVerdict?:
      | 'NO_ISSUES'
      | 'NO_DATA'
      | 'POSSIBLE_RISK'
      | 'MEDIUM_RISK'
      | 'HIGH_RISK'
      | 'UNEVALUATED'
      | string;
    appAccessRiskVerdict?: { appsDetected?: string[] };
  };
}

/** Device recognition levels, strongest first. */
export const DEVICE_LEVELS = [
  'MEETS_STRONG_INTEGRITY',
  'MEETS_DEVICE_INTEGRITY',
  'MEETS_BASIC_INTEGRITY',
  'MEETS_VIRTUAL_INTEGRITY',
] as const;

/** A device recognition level. */
export type DeviceLevel = (typeof DEVICE_LEVELS)[number];

const RANK: Readonly<Record<DeviceLevel, number>> = {
  MEETS_STRONG_INTEGRITY: 3,
  MEETS_DEVICE_INTEGRITY: 2,
  MEETS_BASIC_INTEGRITY: 1,
  MEETS_VIRTUAL_INTEGRITY: 0,
};

/** Whether `level` is one of the known device levels. */
export function isDeviceLevel(level: unknown): level is DeviceLevel {
  // Own keys only: `in` would take `toString` for a level (and its NaN rank would drop every real label beside it).
  return typeof level === 'string' && Object.prototype.hasOwnProperty.call(RANK, level);
}

/**
 * All levels a set of labels implies: strong implies device implies basic (Google has sent only the strongest
 * label in some rollouts, all of them in others; normalising makes both read the same).
 */
export function impliedLevels(labels: readonly string[]): DeviceLevel[] {
  let top = -1;
  let virtual = false;
  for (const label of labels) {
    if (!isDeviceLevel(label)) continue;
    if (label === 'MEETS_VIRTUAL_INTEGRITY') virtual = true;
    else top = Math.max(top, RANK[label]);
  }
  const out: DeviceLevel[] = [];
  if (top >= 3) out.push('MEETS_STRONG_INTEGRITY');
  if (top >= 2) out.push('MEETS_DEVICE_INTEGRITY');
  if (top >= 1) out.push('MEETS_BASIC_INTEGRITY');
  if (virtual) out.push('MEETS_VIRTUAL_INTEGRITY');
  return out;
}

/**
 * Whether `levels` (as {@link impliedLevels} returns them) satisfy `required`. A physical-device requirement is
 * never met by the virtual level; a virtual requirement is met by the virtual level or any physical one.
 */
export function meetsLevel(levels: readonly DeviceLevel[], required: DeviceLevel | 'none'): boolean {
  if (required === 'none') return true;
  if (required === 'MEETS_VIRTUAL_INTEGRITY') return levels.length > 0;
  return levels.includes(required);
}
