import { DEVICE_SIGNALS, type DeviceSignal } from '../../verifiers/device-risk/signals.js';
import type { TokenClaimMapping } from '../../verifiers/device-risk/sources/token-claims.js';
import type { AppAttestValidationCategory } from '../app-attest/extensions.js';
import type { MacAccessControl } from '../app-attest/mac-access-control.js';
import type { DeviceLevel } from '../play-integrity/payload.js';

/** The normalised device verdict the service puts in a token (the `plat`, `app` and `dev` claims). */
export interface IssuedDeviceVerdict {
  platform: 'android' | 'ios';
  app: {
    /** Package name (Android) or `TEAMID.bundleId` (iOS), as the platform attested it. */
    id: string;
    /**
     * Attested app version: Play's `versionCode` (a number) on Android; on iOS the bundle version (text) that iOS 27+
     * attests in each assertion, absent on earlier iOS versions, which attest none. The token's `app.ver`.
     */
    version?: number | string;
  };
  device: {
    /** Attested device identity: the App Attest key id (base64url). Absent on Android (Play attests none). */
    id?: string;
    /** Device integrity levels, lower levels implied by higher ones. */
    levels: DeviceLevel[];
    /** Risk signals the platform reported (e.g. `unlicensed`, `playProtectRisk`). */
    signals: DeviceSignal[];
  };
  /** App Attest environment (iOS). */
  environment?: 'development' | 'production';
  /**
   * What Apple reported beyond the key (iOS), when it did: how the binary was distributed (iOS 27+ assertions) and a
   * macOS key's access-control policy. For the service's `policy` only: the token does not carry them, and evidence
   * the device verifier would deny for them is refused before the policy runs unless `ios.allow` names the condition.
   */
  apple?: { validationCategory?: AppAttestValidationCategory; macAccessControl?: MacAccessControl };
}

/** The claims of a token the service issues, besides the registered ones (`iss`, `aud`, `sub`, `iat`, `exp`, `jti`). */
export interface IssuedTokenClaims {
  plat: 'android' | 'ios';
  app: { id: string; ver?: number | string };
  dev: { id?: string; levels: DeviceLevel[] } & Partial<Record<DeviceSignal, true>>;
  env?: 'development' | 'production';
  /** Base64 SHA-256 of the value the client bound the token to (its Authorization header), when it asked. */
  pay?: string;
  /** The version of the signed pin set the app holds (the `channel` verifier's default claim), when it said. */
  psv?: number;
}

/** Turns a verdict into token claims. */
export function verdictClaims(verdict: IssuedDeviceVerdict, binding: string | undefined, pinSetVersion?: number): IssuedTokenClaims {
  const dev: IssuedTokenClaims['dev'] = { levels: verdict.device.levels };
  if (verdict.device.id !== undefined) dev.id = verdict.device.id;
  for (const signal of verdict.device.signals) dev[signal] = true;
  return {
    plat: verdict.platform,
    app: verdict.app.version === undefined ? { id: verdict.app.id } : { id: verdict.app.id, ver: verdict.app.version },
    dev,
    ...(verdict.environment ? { env: verdict.environment } : {}),
    ...(binding !== undefined ? { pay: binding } : {}),
    ...(pinSetVersion !== undefined ? { psv: pinSetVersion } : {}),
  };
}

/**
 * The device-risk verifier's `tokenClaims` mapping for tokens this service issues:
 * `device: { tokenClaims: ATTESTATION_SERVICE_CLAIMS }` makes the shield's device policy read the verdict the
 * service attested (platform, app id and version, device levels and signals, App Attest key id).
 */
export const ATTESTATION_SERVICE_CLAIMS: TokenClaimMapping = Object.freeze({
  platform: 'plat',
  appId: 'app.id',
  appVersion: 'app.ver',
  deviceId: 'dev.id',
  levels: 'dev.levels',
  signals: Object.freeze(Object.fromEntries(DEVICE_SIGNALS.map((s) => [`dev.${s}`, s]))),
});
