import type { Attestation } from '../../../core/verifier.js';
import { impliedLevels, type DeviceLevel } from '../../../attestation/play-integrity/payload.js';
import { SIGNAL_SET, type DeviceSignal } from '../signals.js';
import type { AttestedContribution, DevicePlatform } from '../verdict.js';

/** How one claim maps onto a signal: the signal is set when the claim is `true` (or equals `equals`). */
export type ClaimSignalRule = DeviceSignal | { signal: DeviceSignal; equals: string | number | boolean };

/**
 * How the claims of a verified attestation token map onto the normalised verdict. Claim names may be dotted paths
 * into nested claims (`dev.rooted`).
 */
export interface TokenClaimMapping {
  /** Claim → signal. */
  signals?: Readonly<Record<string, ClaimSignalRule>>;
  /** Claim holding a stable device id (allowlists/denylists). */
  deviceId?: string;
  /** Claim holding the app version. */
  appVersion?: string;
  /** Claim holding the app id / package name. */
  appId?: string;
  /** Claim holding `android` or `ios`. */
  platform?: string;
  /** Claim holding Play-style device levels (a string or an array). */
  levels?: string;
  /**
   * The level a verified token vouches for by itself (for providers that only issue tokens to devices that passed
   * their checks). Default: none.
   */
  level?: DeviceLevel;
}

type Path = readonly string[];

/** Builds a function mapping a verified token's claims to a verdict contribution; paths are split once, here. */
export function compileClaimMapping(mapping: TokenClaimMapping = {}): (a: Attestation) => AttestedContribution {
  const rules: Array<{ path: Path; signal: DeviceSignal; equals?: string | number | boolean }> = [];
  for (const [claim, rule] of Object.entries(mapping.signals ?? {})) {
    const signal = typeof rule === 'string' ? rule : rule.signal;
    if (!SIGNAL_SET.has(signal)) throw new TypeError(`unknown device signal "${signal}" for claim "${claim}"`);
    rules.push({ path: claim.split('.'), signal, ...(typeof rule === 'object' ? { equals: rule.equals } : {}) });
  }
  const path = (p: string | undefined): Path | undefined => (p === undefined ? undefined : p.split('.'));
  const deviceId = path(mapping.deviceId);
  const appVersion = path(mapping.appVersion);
  const appId = path(mapping.appId);
  const platform = path(mapping.platform);
  const levels = path(mapping.levels);
  const grantedLevels = mapping.level ? impliedLevels([mapping.level]) : [];

  return (attestation) => {
    const claims = attestation.claims;
    const signals: DeviceSignal[] = [];
    for (const rule of rules) {
      const value = read(claims, rule.path);
      const hit =
        rule.equals === undefined
          ? value === true || value === 'true' || value === 1
          : value === rule.equals || (Array.isArray(value) && value.includes(rule.equals));
      if (hit) signals.push(rule.signal);
    }
    const levelValue = levels ? read(claims, levels) : undefined;
    const claimedLevels = impliedLevels(
      Array.isArray(levelValue) ? levelValue.filter((l): l is string => typeof l === 'string') : typeof levelValue === 'string' ? [levelValue] : [],
    );
    return {
      provider: `token:${attestation.provider}`,
      platform: platform ? toPlatform(read(claims, platform)) : 'unknown',
      appId: appId ? toText(read(claims, appId)) : undefined,
      appVersion: appVersion ? toVersion(read(claims, appVersion)) : undefined,
      deviceId: deviceId ? toText(read(claims, deviceId)) : undefined,
      levels: [...grantedLevels, ...claimedLevels],
      signals,
    };
  };
}

function read(claims: Readonly<Record<string, unknown>>, path: Path): unknown {
  let value: unknown = claims;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function toPlatform(value: unknown): DevicePlatform {
  if (typeof value !== 'string') return 'unknown';
  const v = value.trim().toLowerCase();
  return v === 'android' ? 'android' : v === 'ios' ? 'ios' : 'unknown';
}

function toText(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= 256 ? value : undefined;
}

function toVersion(value: unknown): string | number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return toText(value);
}
