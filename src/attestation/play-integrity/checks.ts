import { PlayIntegrityError } from './errors.js';
import { impliedLevels, meetsLevel, type DeviceLevel, type PlayIntegrityPayload } from './payload.js';
import { judgementTime } from '../time.js';

/** What the verdict must show beyond its binding to the request. Each check is off unless stated. */
export interface PlayIntegrityRequirements {
  /** `appRecognitionVerdict` must be `PLAY_RECOGNIZED`. Default true. */
  appRecognized?: boolean;
  /** Minimum device level (`none` accepts any). Default `MEETS_DEVICE_INTEGRITY`. */
  deviceLevel?: DeviceLevel | 'none';
  /**
   * Highest acceptable `recentDeviceActivity.deviceActivityLevel` (LEVEL_1 = fewest requests). When set, a verdict
   * without an evaluated level (`UNEVALUATED`, or the field absent) is refused too.
   */
  maxDeviceActivityLevel?: 'LEVEL_1' | 'LEVEL_2' | 'LEVEL_3' | 'LEVEL_4';
  /** `accountDetails.appLicensingVerdict` must be `LICENSED`. */
  licensed?: boolean;
  /** `playProtectVerdict` must be `NO_ISSUES` (or `NO_DATA` when `allowNoData`). */
  playProtect?: boolean | { allowNoData: boolean };
  /** Refuse when `appAccessRiskVerdict` reports unknown capturing, controlling or overlaying apps. */
  noRiskyApps?: boolean;
}

/** The levels `recentDeviceActivity` reports once evaluated, fewest requests first (they compare as strings). */
export const ACTIVITY_LEVELS: readonly string[] = ['LEVEL_1', 'LEVEL_2', 'LEVEL_3', 'LEVEL_4'];

/** Expected request binding and freshness. */
export interface BindingExpectation {
  packageName: string;
  /** The nonce a classic request must carry (any one of several, e.g. two canonical forms). */
  nonce?: string | readonly string[] | undefined;
  /** The request hash a standard request must carry (any one of several). */
  requestHash?: string | readonly string[] | undefined;
  /** Epoch ms to judge freshness against; a non-finite time throws a TypeError. */
  now: number;
  maxAgeMs: number;
  clockSkewMs: number;
}

/** Checks `requestDetails`: package, nonce or request hash, and a fresh timestamp. Returns the timestamp. */
export function checkRequestDetails(payload: PlayIntegrityPayload, expect: BindingExpectation): number {
  // Compared with NaN both freshness checks are false: a stale verdict would pass (see judgementTime).
  const now = judgementTime(expect.now, 'checkRequestDetails');
  const details = payload.requestDetails;
  if (typeof details !== 'object' || details === null) throw new PlayIntegrityError('malformed_payload');
  if (details.requestPackageName !== expect.packageName) throw new PlayIntegrityError('package_mismatch');

  if (typeof details.requestHash === 'string') {
    const got = details.requestHash;
    if (!anyOf(expect.requestHash, (h) => h === got)) throw new PlayIntegrityError('request_hash_mismatch');
  } else if (typeof details.nonce === 'string') {
    const got = stripPadding(details.nonce);
    if (!anyOf(expect.nonce, (n) => stripPadding(n) === got)) throw new PlayIntegrityError('nonce_mismatch');
  } else {
    throw new PlayIntegrityError('binding_missing');
  }

  const timestamp = toInteger(details.timestampMillis);
  if (timestamp === undefined) throw new PlayIntegrityError('malformed_payload', 'timestampMillis missing');
  if (now - timestamp > expect.maxAgeMs) throw new PlayIntegrityError('stale_timestamp');
  if (timestamp - now > expect.clockSkewMs) throw new PlayIntegrityError('future_timestamp');
  return timestamp;
}

/** What the app-side checks need beyond the requirements. */
export interface AppExpectation {
  packageName: string;
  /** Allowed signing-certificate digests, normalised to base64url (see {@link normaliseDigest}). */
  certificateDigests: ReadonlySet<string> | undefined;
  minVersionCode: number | undefined;
}

/**
 * Checks appIntegrity, deviceIntegrity, recentDeviceActivity, accountDetails and environmentDetails in that order,
 * as configured. Returns the implied device levels.
 */
export function checkVerdict(
  payload: PlayIntegrityPayload,
  app: AppExpectation,
  req: PlayIntegrityRequirements,
): DeviceLevel[] {
  const appIntegrity = payload.appIntegrity ?? {};
  const verdict = appIntegrity.appRecognitionVerdict;
  const recognized = verdict === 'PLAY_RECOGNIZED';
  // Google fills packageName, digests and versionCode for every evaluated verdict; a missing name there is not a
  // verdict Google sends.
  if ((recognized || verdict === 'UNRECOGNIZED_VERSION') && typeof appIntegrity.packageName !== 'string') {
    throw new PlayIntegrityError('malformed_payload', 'appIntegrity.packageName missing');
  }
  if ((req.appRecognized ?? true) && !recognized) throw new PlayIntegrityError('app_unrecognized');
  if (appIntegrity.packageName !== undefined && appIntegrity.packageName !== app.packageName) {
    throw new PlayIntegrityError('package_mismatch', 'appIntegrity.packageName differs');
  }
  // The allowlist applies to every verdict: a re-signed build is UNRECOGNIZED_VERSION with a foreign digest, and an
  // UNEVALUATED one has no digest at all. With an allowlist, neither proves the app is ours.
  if (app.certificateDigests !== undefined) {
    const digests = appIntegrity.certificateSha256Digest;
    if (!Array.isArray(digests) || !digests.some((d) => typeof d === 'string' && app.certificateDigests!.has(stripPadding(d)))) {
      throw new PlayIntegrityError('certificate_digest_mismatch');
    }
  }
  if (app.minVersionCode !== undefined) {
    const version = toInteger(appIntegrity.versionCode);
    // Fails closed: a verdict without a versionCode (UNEVALUATED, let through by `appRecognized: false`) cannot show
    // the build reaches the minimum.
    if (version === undefined || version < app.minVersionCode) {
      throw new PlayIntegrityError('version_too_old');
    }
  }

  const device = payload.deviceIntegrity ?? {};
  const labels = Array.isArray(device.deviceRecognitionVerdict) ? device.deviceRecognitionVerdict : [];
  const levels = impliedLevels(labels);
  if (!meetsLevel(levels, req.deviceLevel ?? 'MEETS_DEVICE_INTEGRITY')) {
    throw new PlayIntegrityError('device_integrity_insufficient');
  }
  if (req.maxDeviceActivityLevel !== undefined) {
    // Fails closed: a level Google did not evaluate (`UNEVALUATED`, or no field: the app's Play Console has not
    // opted in) cannot show the device is under the limit.
    const level = device.recentDeviceActivity?.deviceActivityLevel;
    if (!(typeof level === 'string' && ACTIVITY_LEVELS.includes(level))) {
      throw new PlayIntegrityError('device_activity_excessive', 'recentDeviceActivity not evaluated');
    }
    if (level > req.maxDeviceActivityLevel) throw new PlayIntegrityError('device_activity_excessive');
  }
  if (req.licensed && payload.accountDetails?.appLicensingVerdict !== 'LICENSED') {
    throw new PlayIntegrityError('app_unlicensed');
  }
  if (req.playProtect) {
    const verdict = payload.environmentDetails?.playProtectVerdict;
    const allowNoData = typeof req.playProtect === 'object' && req.playProtect.allowNoData;
    if (!(verdict === 'NO_ISSUES' || (allowNoData && verdict === 'NO_DATA'))) {
      throw new PlayIntegrityError('play_protect_risk');
    }
  }
  if (req.noRiskyApps && riskyAppsDetected(payload)) throw new PlayIntegrityError('app_access_risk');
  return levels;
}

/** Apps Google flags as able to capture the screen, control the device or draw overlays. */
const RISKY_APP_VERDICTS = new Set(['UNKNOWN_CAPTURING', 'UNKNOWN_CONTROLLING', 'UNKNOWN_OVERLAYS']);

/**
 * Whether `appAccessRiskVerdict` reports unknown capturing, controlling or overlaying apps. An `appsDetected` that is
 * present but not an array (a verdict of another shape) counts as risky: it cannot be read, so it cannot clear.
 */
export function riskyAppsDetected(payload: PlayIntegrityPayload): boolean {
  const apps: unknown = payload.environmentDetails?.appAccessRiskVerdict?.appsDetected;
  if (apps === undefined) return false;
  return !Array.isArray(apps) || apps.some((a) => RISKY_APP_VERDICTS.has(a as string));
}

/**
 * Signing-certificate digests as Google reports them (base64url, no padding). Configuration may give them that way
 * or as hex, with or without colons (`keytool`/Play Console style).
 */
export function normaliseDigest(digest: string): string {
  const hex = digest.replace(/:/g, '');
  if (/^[0-9a-fA-F]{64}$/.test(hex)) return Buffer.from(hex, 'hex').toString('base64url');
  return stripPadding(digest.replace(/\+/g, '-').replace(/\//g, '_'));
}

function anyOf(expected: string | readonly string[] | undefined, matches: (s: string) => boolean): boolean {
  if (expected === undefined) return false;
  return typeof expected === 'string' ? matches(expected) : expected.some(matches);
}

function stripPadding(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 61 /* = */) end--;
  return end === s.length ? s : s.slice(0, end);
}

function toInteger(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}
