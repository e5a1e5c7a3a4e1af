import { ACTIVITY_LEVELS, type PlayIntegrityRequirements } from './checks.js';
import { isDeviceLevel } from './payload.js';

/** The options of a Play Integrity verifier that its checks compare with. */
export interface PlayIntegrityOptionRanges {
  maxAgeMs?: number | undefined;
  clockSkewMs?: number | undefined;
  minVersionCode?: number | undefined;
  maxTokenLength?: number | undefined;
  requirements?: PlayIntegrityRequirements | undefined;
}

/**
 * Throws a TypeError naming the first option out of range. Every freshness and minimum check compares with one of
 * these, and a comparison with NaN is false: `maxAgeMs: Number(process.env.UNSET)` would accept verdicts of any age,
 * `minVersionCode: NaN` any build, `maxTokenLength: NaN` any length, and an activity level Google never sends
 * (`LEVEL_5`) compares above every real one. Refused once, at startup, like a bad key (fail closed).
 */
export function checkPlayIntegrityOptionRanges(options: PlayIntegrityOptionRanges): void {
  const { maxAgeMs, clockSkewMs, minVersionCode, maxTokenLength, requirements = {} } = options;
  if (maxAgeMs !== undefined && !(Number.isFinite(maxAgeMs) && maxAgeMs > 0)) {
    throw new TypeError('Play Integrity maxAgeMs must be a positive finite number of milliseconds');
  }
  if (clockSkewMs !== undefined && !(Number.isFinite(clockSkewMs) && clockSkewMs >= 0)) {
    throw new TypeError('Play Integrity clockSkewMs must be a non-negative finite number of milliseconds');
  }
  if (minVersionCode !== undefined && !(Number.isSafeInteger(minVersionCode) && minVersionCode >= 0)) {
    throw new TypeError('Play Integrity minVersionCode must be a non-negative integer');
  }
  if (maxTokenLength !== undefined && !(Number.isSafeInteger(maxTokenLength) && maxTokenLength > 0)) {
    throw new TypeError('Play Integrity maxTokenLength must be a positive integer');
  }
  const { deviceLevel, maxDeviceActivityLevel } = requirements;
  if (deviceLevel !== undefined && deviceLevel !== 'none' && !isDeviceLevel(deviceLevel)) {
    throw new TypeError('Play Integrity requirements.deviceLevel must be a device level or "none"');
  }
  if (maxDeviceActivityLevel !== undefined && !ACTIVITY_LEVELS.includes(maxDeviceActivityLevel)) {
    throw new TypeError('Play Integrity requirements.maxDeviceActivityLevel must be LEVEL_1 to LEVEL_4');
  }
}
