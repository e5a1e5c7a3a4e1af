/**
 * The vocabulary of the device-risk engine: normalised device/app signals, the conditions the policy can act on,
 * and the actions it can take.
 */

/** Normalised signals every source maps onto. `true` means "observed". */
export const DEVICE_SIGNALS = [
  'rooted',
  'jailbroken',
  'emulator',
  'virtualDevice',
  'debugger',
  'hooked',
  'tampered',
  'unofficialStore',
  'mitm',
  'unrecognizedApp',
  'unlicensed',
  'playProtectRisk',
  'riskyApps',
  'highActivity',
  'newDevice',
  'developerMode',
  'deviceBindingChanged',
  'passcodeNotSet',
] as const;

/** A normalised device or app signal. */
export type DeviceSignal = (typeof DEVICE_SIGNALS)[number];

/**
 * Conditions the policy derives from the whole verdict rather than from one signal:
 * - `noAttestation`: no signed source (token claims, Play Integrity, App Attest) vouched for this request.
 * - `invalidProof`: a Play Integrity token or App Attest assertion was sent and failed verification, or signed
 *   sources disagree on the platform (`sources:platform_mismatch`).
 * - `integrityBelowRequired`: the attested device levels miss the level the route/market requires.
 * - `outdatedApp`: the app version is below the minimum for its platform.
 * - `unknownAppVersion`: a minimum version applies but no version is known.
 * - `deviceDenied`: the device id is on the denylist.
 * - `deviceIntegrityFailed`: a verified Play Integrity verdict carries no physical-device label (an empty
 *   `deviceRecognitionVerdict`, which Google says shows signs of attack or a non-genuine device, or only
 *   `MEETS_VIRTUAL_INTEGRITY`).
 * - `basicIntegrityOnly`: a verified Play Integrity verdict reaches `MEETS_BASIC_INTEGRITY` but not
 *   `MEETS_DEVICE_INTEGRITY` (typically a rooted device or an unlocked bootloader).
 * - `unexpectedDistribution`: an iOS 27+ App Attest assertion says the binary came from neither the App Store nor
 *   TestFlight (a development build only passes with a `development` environment key).
 * - `macAccessControlWeak`: a macOS App Attest key whose access-control policy is not the one Apple says to trust
 *   (System Integrity Protection and Full Security).
 */
export const DERIVED_CONDITIONS = [
  'noAttestation',
  'invalidProof',
  'integrityBelowRequired',
  'outdatedApp',
  'unknownAppVersion',
  'deviceDenied',
  'deviceIntegrityFailed',
  'basicIntegrityOnly',
  'unexpectedDistribution',
  'macAccessControlWeak',
] as const;

/** A condition derived from the whole verdict. */
export type DerivedCondition = (typeof DERIVED_CONDITIONS)[number];

/** What the policy can act on: a signal, a derived condition, or an IP list hit (`ip:<list name>`). */
export type Condition = DeviceSignal | DerivedCondition | `ip:${string}`;

/**
 * Actions, mildest first: `allow` ignores the condition (no score either), `monitor` records it and counts its
 * weight, `step-up` denies with `device_step_up` (the app can ask for more proof), `deny` denies with
 * `device_untrusted`.
 */
export const ACTIONS = ['allow', 'monitor', 'step-up', 'deny'] as const;

/** A policy action. */
export type PolicyAction = (typeof ACTIONS)[number];

/** Rank of each action, so the strictest of several can be taken with `Math.max`. */
export const ACTION_RANK: Readonly<Record<PolicyAction, number>> = { allow: 0, monitor: 1, 'step-up': 2, deny: 3 };

/** Set membership for untrusted strings (self-reported names, claim-mapping targets). */
export const SIGNAL_SET: ReadonlySet<string> = new Set(DEVICE_SIGNALS);
