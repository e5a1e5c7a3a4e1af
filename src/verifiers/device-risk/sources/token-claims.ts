import type { Attestation } from '../../../core/verifier.js';
import { impliedLevels, type DeviceLevel } from '../../../attestation/play-integrity/payload.js';
import { SIGNAL_SET, type DeviceSignal } from '../signals.js';
import type { AttestedContribution, DevicePlatform } from '../verdict.js';

/**
 * How one claim maps onto a signal: the signal is set unless the claim is absent or says "not observed" (`false`,
 * `"false"`, `0`, `"0"`, `null`, `[]`); with `equals`, when the claim (or an element of it) has that value, scalars
 * compared by their spelling, case-insensitively.
 */
export type ClaimSignalRule = DeviceSignal | { signal: DeviceSignal; equals: string | number | boolean };

/**
 * How the claims of a verified attestation token map onto the normalised verdict. Claim names may be dotted paths
 * into nested claims (`dev.rooted`).
 */
export interface TokenClaimMapping {
  /** Claim → signal. */
  signals?: Readonly<Record<string, ClaimSignalRule>>;
  /**
   * Claim holding a stable device id (allowlists/denylists): a string, or a safe integer read as its decimal string
   * (`42` is `"42"`). Other numbers are not read: a fraction is no id, and an integer beyond 2^53 was already rounded
   * when the token was parsed, so two devices could share its spelling.
   */
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
    rules.push({ path: splitPath(claim), signal, ...(typeof rule === 'object' ? { equals: rule.equals } : {}) });
  }
  const path = (p: string | undefined): Path | undefined => (p === undefined ? undefined : splitPath(p));
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
      const hit = rule.equals === undefined ? observed(value) : equalsClaim(value, rule.equals);
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
      deviceId: deviceId ? toDeviceId(read(claims, deviceId)) : undefined,
      levels: [...grantedLevels, ...claimedLevels],
      signals,
    };
  };
}

/** Spellings of "not observed"; anything else a signed claim holds is observed. */
const CLEAN = new Set(['false', '0']);

/**
 * Fail closed: a signed claim of a type or spelling we did not expect (`"True"`, `"yes"`, `2`, `["magisk"]`, an
 * object) counts as observed. Reading only `true`/`"true"`/`1` as observed turned every other value into "clean".
 */
function observed(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0) return false;
  if (typeof value === 'string') return !CLEAN.has(value.trim().toLowerCase());
  return !(Array.isArray(value) && value.length === 0);
}

/** A scalar's comparable spelling: `false` and `"FALSE"` alike, `"Frida"` and `"frida"` alike. */
function spelling(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim().toLowerCase();
  return typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)) ? String(value) : undefined;
}

/**
 * Whether the claim, or an element of it, has the rule's value. Compared by spelling so that a provider writing
 * `"false"` or `"FRIDA"` does not slip past `equals: false` or `equals: 'frida'` (a miss there means "clean").
 */
function equalsClaim(value: unknown, equals: string | number | boolean): boolean {
  const wanted = spelling(equals);
  const same = (v: unknown): boolean => v === equals || (wanted !== undefined && spelling(v) === wanted);
  return same(value) || (Array.isArray(value) && value.some(same));
}

/**
 * A dotted claim path. An empty segment (`dev..rooted`, `.did`) can never be read from a token, so its mapping would
 * silently never apply (a rooted device always "clean"): refused when the mapping is compiled, at startup.
 */
function splitPath(claim: string): Path {
  const segments = claim.split('.');
  if (segments.includes('')) throw new TypeError(`token claim path "${claim}" has an empty segment`);
  return segments;
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

/**
 * Fail closed: a provider that signs its device id as a JSON number (`did: 42`) names the device as surely as one that
 * signs `"42"`; ignoring it let a denylisted device through and left per-device checks without an id. Only exact
 * integers are read (see `TokenClaimMapping.deviceId`).
 */
function toDeviceId(value: unknown): string | undefined {
  return typeof value === 'number' ? (Number.isSafeInteger(value) ? String(value) : undefined) : toText(value);
}

function toVersion(value: unknown): string | number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return toText(value);
}
