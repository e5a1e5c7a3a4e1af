import type { DeviceLevel } from '../../attestation/play-integrity/payload.js';
import { compareAppVersions } from './app-version.js';
import type { DeviceSignal } from './signals.js';

/** The platform a verdict describes. */
export type DevicePlatform = 'android' | 'ios' | 'unknown';

/**
 * How far a verdict can be believed: `attested` when at least one source was signed off the device (a verified
 * token, Play Integrity, App Attest); `self-reported` when only the app's own (unsigned) report exists; `none`.
 */
export type VerdictTrust = 'attested' | 'self-reported' | 'none';

/** One source's contribution to a verdict. */
export interface VerdictSource {
  /** `token:<provider>`, `play-integrity`, `app-attest`, or `self-reported`. */
  readonly provider: string;
  readonly trust: 'attested' | 'self-reported';
}

/** The normalised verdict every source maps onto; the policy engine only ever sees this shape. */
export interface DeviceVerdict {
  /** The main provider (the first attested source), or `self-reported` / `none`. */
  provider: string;
  /**
   * The platform the signed sources state; `unknown` when none does, or when they disagree (see `platforms`): no
   * platform's minimum app version or Android API level table is then applied.
   */
  platform: DevicePlatform;
  /**
   * Present only when signed sources disagree on the platform: each one stated, in source order. Such a verdict also
   * carries {@link PLATFORM_MISMATCH} in `failedProofs` (an invalid proof).
   */
  platforms?: Array<Exclude<DevicePlatform, 'unknown'>>;
  trust: VerdictTrust;
  app: {
    /** Package name / App ID. */
    id?: string;
    /**
     * Attested app version (Play `versionCode`, an App Attest bundle version, or a mapped token claim): with several
     * signed versions the lowest readable one (else the first).
     */
    version?: string | number;
    /**
     * Every distinct signed app version, in source order, present only when sources stated more than one (an
     * unreadable one included); the policy judges each, so the lowest decides `outdatedApp`.
     */
    versions?: Array<string | number>;
    /** App version the app reported about itself; may only make the app look older, never newer. */
    reportedVersion?: string;
    /** Whether a signed source recognised the app as genuine. */
    recognized?: boolean;
  };
  device: {
    /**
     * Attested device id (App Attest key id, or a mapped token claim): the first one a source named. Only attested
     * ids can be allowlisted.
     */
    id?: string;
    /**
     * Every attested device id, in source order (`ids[0]` is `id`), present only when the sources named more than
     * one distinct id (a token's device claim and an App Attest key id, say); with one id it is absent and `id` is
     * it, so read `ids ?? (id === undefined ? [] : [id])`. The policy denies if any is denylisted and skips itself
     * for an allowlisted device only when all are allowlisted.
     */
    ids?: string[];
    /** Self-reported device id; may only be matched against the denylist. */
    reportedId?: string;
    /** Device levels, lower ones implied by higher ones. */
    levels: DeviceLevel[];
    /** Observed signals. Self-reported sources can only add signals, never clear them. */
    signals: Partial<Record<DeviceSignal, true>>;
    /** What a verified Play Integrity verdict said about the device itself, when one was presented. */
    android?: AndroidIntegrity;
    /** What a verified App Attest assertion (and its key's attestation) said, when one was presented. */
    apple?: AppleFacts;
  };
  /** When the freshest attested source was issued (epoch ms), if known. */
  issuedAt?: number;
  /** Country of the request, when known from a trusted header or the resolver. */
  country?: string;
  /** IP reputation lists the client IP is on. */
  ipLists: string[];
  /** Sources that contributed, in order. */
  sources: VerdictSource[];
  /** Proofs that were sent and failed, as `<source>:<reason>` (never a token or a raw value). */
  failedProofs: string[];
}

/** The device facts of a verified Play Integrity verdict. */
export interface AndroidIntegrity {
  /** Levels of `deviceRecognitionVerdict`, lower ones implied by higher ones. */
  levels: DeviceLevel[];
  /** Levels of `legacyDeviceRecognitionVerdict` (the labels' pre-May-2025 meaning), when Google sent it. */
  legacyLevels?: DeviceLevel[];
  /** `deviceAttributes.sdkVersion` (Android API level, 33 = Android 13), when Google sent it. */
  sdkVersion?: number;
}

/** The facts of a verified App Attest assertion beyond the signature. */
export interface AppleFacts {
  /** The App Attest environment of the key (`development` or `production`). */
  environment: 'development' | 'production';
  /** iOS 27+: how the binary was distributed (`app-store`, `testflight`, `development`, `enterprise`, ...). */
  validationCategory?: string;
  /** iOS 27+: the distributed app's version (also the attested app version). */
  bundleVersion?: string;
  /** macOS keys: `full-security` (the access-control policy Apple says to trust) or `other`. */
  macAccessControl?: 'full-security' | 'other';
}

/** An empty verdict to be filled by the sources. */
export function emptyVerdict(): DeviceVerdict {
  return {
    provider: 'none',
    platform: 'unknown',
    trust: 'none',
    app: {},
    device: { levels: [], signals: {} },
    ipLists: [],
    sources: [],
    failedProofs: [],
  };
}

/** An attested source's contribution. */
export interface AttestedContribution {
  provider: string;
  platform?: DevicePlatform;
  appId?: string;
  appVersion?: string | number;
  recognized?: boolean;
  deviceId?: string;
  levels?: readonly DeviceLevel[];
  signals?: Iterable<DeviceSignal>;
  issuedAt?: number;
  android?: AndroidIntegrity;
  appleFacts?: AppleFacts;
}

/**
 * The `failedProofs` entry (and the `proofs=` part of a decision's `detail`) of signed sources that disagree on the
 * platform: an invalid proof (`invalidProof`), held to the strictest required level the policy sets.
 */
export const PLATFORM_MISMATCH = 'sources:platform_mismatch';

/**
 * Folds an attested source into the verdict. Signals are OR-ed; levels are united (each attested source vouches for
 * what it saw); `recognized` is AND-ed, so one source saying "not genuine" wins. Every device id is kept (`device.ids`).
 * Every signed app version is kept too (`app.versions`) and the lowest is `app.version`: the oldest build any signed
 * source saw is the one `minAppVersion` must judge. Sources that disagree on the platform are never settled by order
 * (proofs are verified in parallel): the platform becomes `unknown` and the verdict carries {@link PLATFORM_MISMATCH}.
 */
export function addAttested(verdict: DeviceVerdict, c: AttestedContribution): void {
  verdict.sources.push({ provider: c.provider, trust: 'attested' });
  if (verdict.trust !== 'attested') {
    verdict.trust = 'attested';
    verdict.provider = c.provider;
  }
  if (c.platform !== undefined && c.platform !== 'unknown') addPlatform(verdict, c.platform);
  if (c.appId !== undefined) verdict.app.id ??= c.appId;
  if (c.appVersion !== undefined) addAppVersion(verdict.app, c.appVersion);
  if (c.recognized !== undefined) verdict.app.recognized = (verdict.app.recognized ?? true) && c.recognized;
  if (c.deviceId !== undefined) addDeviceId(verdict.device, c.deviceId);
  if (c.levels) for (const level of c.levels) if (!verdict.device.levels.includes(level)) verdict.device.levels.push(level);
  if (c.signals) for (const s of c.signals) verdict.device.signals[s] = true;
  if (c.android !== undefined) verdict.device.android ??= c.android;
  if (c.appleFacts !== undefined) verdict.device.apple ??= c.appleFacts;
  if (c.issuedAt !== undefined) verdict.issuedAt = Math.max(verdict.issuedAt ?? 0, c.issuedAt);
}

/**
 * Keeps every attested id, not just the first: each was signed for this request, so a denylisted one must still be
 * seen when another source named the device first. The list is only built for a second id (one id: no allocation).
 */
function addDeviceId(device: DeviceVerdict['device'], id: string): void {
  if (device.id === undefined) device.id = id;
  else if (device.ids !== undefined) {
    if (!device.ids.includes(id)) device.ids.push(id);
  } else if (device.id !== id) device.ids = [device.id, id];
}

/**
 * Two signed sources naming different platforms cannot both describe this device: proofs from two devices were put
 * together, or a claim mapping reads the wrong claim. Picking either would judge the versions and levels against a
 * platform a signed source contradicts, so no platform is picked (`unknown`: with any minimum set the version is
 * `unknownAppVersion`) and the inconsistency is reported as an invalid proof (`invalidProof`, denied by default).
 */
function addPlatform(verdict: DeviceVerdict, platform: Exclude<DevicePlatform, 'unknown'>): void {
  if (verdict.platforms !== undefined) {
    if (!verdict.platforms.includes(platform)) verdict.platforms.push(platform);
  } else if (verdict.platform === 'unknown') {
    verdict.platform = platform;
  } else if (verdict.platform !== platform) {
    verdict.platforms = [verdict.platform, platform];
    verdict.platform = 'unknown';
    verdict.failedProofs.push(PLATFORM_MISMATCH);
  }
}

/**
 * Fail closed for `minAppVersion`: the lowest signed version wins, whichever source came first. A version that cannot
 * be read is kept in `versions` (the policy then reports `unknownAppVersion`) but never hides a readable one.
 */
function addAppVersion(app: DeviceVerdict['app'], version: string | number): void {
  const current = app.version;
  if (current === undefined) {
    app.version = version;
    return;
  }
  const all = app.versions ?? [current];
  if (all.some((v) => v === version || compareAppVersions(v, version) === 0)) return;
  all.push(version);
  app.versions = all;
  const cmp = compareAppVersions(version, current);
  if (cmp === undefined ? readable(version) && !readable(current) : cmp < 0) app.version = version;
}

function readable(version: string | number): boolean {
  return compareAppVersions(version, 0) !== undefined;
}

/** A self-reported (unsigned) contribution: it can only add signals and an older-looking version. */
export interface SelfReportedContribution {
  signals: Iterable<DeviceSignal>;
  appVersion?: string;
  deviceId?: string;
}

/**
 * Folds a self-reported source into the verdict. It never sets levels, recognition, an attested id or an attested
 * version, and never clears a signal: an unsigned report can only lower trust.
 */
export function addSelfReported(verdict: DeviceVerdict, c: SelfReportedContribution): void {
  verdict.sources.push({ provider: 'self-reported', trust: 'self-reported' });
  if (verdict.trust === 'none') {
    verdict.trust = 'self-reported';
    verdict.provider = 'self-reported';
  }
  for (const s of c.signals) verdict.device.signals[s] = true;
  if (c.appVersion !== undefined) verdict.app.reportedVersion = c.appVersion;
  if (c.deviceId !== undefined) verdict.device.reportedId = c.deviceId;
}
