import { playIntegrityContribution } from '../../verifiers/device-risk/sources/play-integrity.js';
import { isUnexpectedDistribution, type AppAttestExtensions } from '../app-attest/extensions.js';
import type { StoredAppAttestKey } from '../app-attest/registry.js';
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

/** A verified App Attest assertion with its stored key, as the registry returns it. */
export interface CheckedAppAttestAssertion {
  keyId: string;
  key: StoredAppAttestKey;
  extensions?: AppAttestExtensions;
}

/**
 * The verdict of a verified App Attest assertion: the key id is the attested device identity, the iOS 27+ bundle
 * version (from `facts.extensions`) the attested app version, as the device verifier takes it, and Apple's
 * distribution and macOS access-control facts are kept for the service's policy.
 */
export function iosVerdict(
  keyIdBase64: string,
  appId: string,
  environment: 'development' | 'production',
  level: DeviceLevel,
  facts: { extensions?: AppAttestExtensions; macAccessControl?: StoredAppAttestKey['macAccessControl'] } = {},
): IssuedDeviceVerdict {
  const { validationCategory, bundleVersion } = facts.extensions ?? {};
  const macAccessControl = facts.macAccessControl;
  const apple = {
    ...(validationCategory !== undefined ? { validationCategory } : {}),
    ...(macAccessControl !== undefined ? { macAccessControl } : {}),
  };
  return {
    platform: 'ios',
    app: { id: appId, ...(bundleVersion !== undefined ? { version: bundleVersion } : {}) },
    device: { id: Buffer.from(keyIdBase64, 'base64').toString('base64url'), levels: impliedLevels([level]), signals: [] },
    environment,
    ...(Object.keys(apple).length > 0 ? { apple } : {}),
  };
}

/** Apple facts the device verifier denies by default, named as its policy conditions (`ios.allow` takes these). */
export type AppleCondition = 'unexpectedDistribution' | 'macAccessControlWeak';

/** The `onEvent` reason of a refusal for each condition (snake case, like the service's other reasons). */
const REFUSAL_REASONS: Readonly<Record<AppleCondition, string>> = {
  unexpectedDistribution: 'unexpected_distribution',
  macAccessControlWeak: 'mac_access_control_weak',
};

/**
 * Why the service must refuse a verified assertion, or undefined. The conditions are decided exactly as the
 * device-risk policy decides them for an assertion it verifies itself: a service token cannot carry these facts
 * (they are not signals), so a shield reading it would never deny them; the service refuses instead, unless
 * `allow` names the condition. Checked in the order the device verifier reports them.
 */
export function appleRefusal(checked: CheckedAppAttestAssertion, allow: readonly AppleCondition[] | undefined): string | undefined {
  const category = checked.extensions?.validationCategory;
  const found: AppleCondition[] = [];
  if (isUnexpectedDistribution(category, checked.key.environment)) found.push('unexpectedDistribution');
  if (checked.key.macAccessControl === 'other') found.push('macAccessControlWeak');
  const refused = found.find((condition) => !(allow ?? []).includes(condition));
  return refused === undefined ? undefined : REFUSAL_REASONS[refused];
}
