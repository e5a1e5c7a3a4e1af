import { isUnexpectedDistribution } from '../../attestation/app-attest/extensions.js';
import { meetsLevel, type DeviceLevel } from '../../attestation/play-integrity/payload.js';
import { compareAppVersions } from './app-version.js';
import { ACTION_RANK, ACTIONS, type Condition, type PolicyAction } from './signals.js';
import { PLATFORM_MISMATCH, type DeviceVerdict } from './verdict.js';

/** Score thresholds: a total score at or above `stepUp` steps up, at or above `deny` denies. */
export interface PolicyThresholds {
  stepUp?: number;
  deny?: number;
}

/** Minimum app version per platform (Android: usually the Play `versionCode`; iOS: the marketing version). */
export interface MinAppVersion {
  android?: string | number;
  ios?: string | number;
}

/**
 * Settings a market, a sensitivity or a route can override. Omitted keys keep the layer below, key by key inside the
 * nested objects; a key set to `undefined` counts as omitted.
 */
export interface PolicyOverride {
  /** Action per condition. */
  actions?: Partial<Record<Condition, PolicyAction>>;
  /** Score weight per condition. */
  weights?: Partial<Record<Condition, number>>;
  thresholds?: PolicyThresholds;
  /** Device level the attested sources must show (`none`: no requirement). */
  requiredLevel?: DeviceLevel | 'none';
  /**
   * Required level by Android API level, keyed by the lowest `sdkVersion` an entry applies to (`{ 33: ... }` for
   * Android 13+, where Google's labels mean more since May 2025). Used for Android verdicts that carry
   * `deviceAttributes.sdkVersion`; the highest key not above it wins; `requiredLevel` applies otherwise. A verdict
   * whose signed sources disagree on the platform (`sources:platform_mismatch`) is held to the strictest of
   * `requiredLevel` and every entry, whatever its `sdkVersion`. A layer
   * that sets `requiredLevel` replaces the levels of the layers below, their tables included (only its own
   * `requiredLevelBySdk`, if any, applies); a layer setting only `requiredLevelBySdk` merges into the inherited table.
   */
  requiredLevelBySdk?: Readonly<Record<number, DeviceLevel | 'none'>>;
  minAppVersion?: MinAppVersion;
}

/** The whole policy: a base layer, market and sensitivity layers, and device lists. */
export interface PolicyOptions extends PolicyOverride {
  /** Overrides per country (ISO 3166-1 alpha-2, upper-case). */
  markets?: Readonly<Record<string, PolicyOverride>>;
  /** Named route sensitivities (`payments`, `browsing`) that routes refer to. */
  sensitivities?: Readonly<Record<string, PolicyOverride>>;
  /**
   * Device ids: `allow` (QA devices, attested ids only) skips the policy; `deny` always denies, `allow` included.
   * With several attested ids (a token's claim and an App Attest key id), any one denylisted denies and all must be
   * allowlisted. An id that decodes from base64 or base64url to exactly 32 bytes (an App Attest key id) matches by
   * its bytes, whichever spelling the list or the request uses; other ids (Android installation ids, ...) match
   * exactly.
   */
  devices?: { allow?: readonly string[]; deny?: readonly string[] };
}

/** Per-route device options: a named sensitivity plus inline overrides (applied last). */
export interface DeviceRouteOptions extends PolicyOverride {
  sensitivity?: string;
}

/**
 * Defaults. Strong tamper evidence denies; environment signals are monitored and scored so that combinations
 * (emulator + debugger + new device) step up while each alone passes. Signals known to misfire are allowed:
 * `deviceBindingChanged` fires on every reinstall or backup restore, `passcodeNotSet` and `developerMode` describe
 * many honest users.
 */
export const DEFAULT_ACTIONS: Readonly<Record<string, PolicyAction>> = {
  rooted: 'monitor',
  jailbroken: 'monitor',
  emulator: 'monitor',
  virtualDevice: 'monitor',
  debugger: 'monitor',
  hooked: 'deny',
  tampered: 'deny',
  unofficialStore: 'monitor',
  mitm: 'monitor',
  unrecognizedApp: 'deny',
  unlicensed: 'monitor',
  playProtectRisk: 'monitor',
  riskyApps: 'monitor',
  highActivity: 'monitor',
  newDevice: 'monitor',
  developerMode: 'allow',
  deviceBindingChanged: 'allow',
  passcodeNotSet: 'allow',
  noAttestation: 'deny',
  invalidProof: 'deny',
  integrityBelowRequired: 'deny',
  outdatedApp: 'deny',
  unknownAppVersion: 'allow',
  deviceDenied: 'deny',
  deviceIntegrityFailed: 'deny',
  basicIntegrityOnly: 'monitor',
  unexpectedDistribution: 'deny',
  macAccessControlWeak: 'deny',
};

/** Default score weights (see {@link DEFAULT_ACTIONS}). */
export const DEFAULT_WEIGHTS: Readonly<Record<string, number>> = {
  rooted: 30,
  jailbroken: 30,
  emulator: 30,
  virtualDevice: 20,
  debugger: 20,
  hooked: 40,
  tampered: 50,
  unofficialStore: 15,
  mitm: 30,
  unrecognizedApp: 50,
  unlicensed: 10,
  playProtectRisk: 20,
  riskyApps: 15,
  highActivity: 20,
  newDevice: 10,
  developerMode: 5,
  deviceBindingChanged: 5,
  passcodeNotSet: 0,
  noAttestation: 0,
  invalidProof: 50,
  integrityBelowRequired: 0,
  outdatedApp: 0,
  unknownAppVersion: 0,
  deviceDenied: 100,
  deviceIntegrityFailed: 50,
  basicIntegrityOnly: 30,
  unexpectedDistribution: 50,
  macAccessControlWeak: 50,
};

/** Default thresholds. */
export const DEFAULT_THRESHOLDS: Required<PolicyThresholds> = { stepUp: 60, deny: 90 };

/** A policy with every layer merged for one (route, market): evaluation does lookups only. */
export interface CompiledPolicy {
  readonly actions: ReadonlyMap<string, number>;
  readonly weights: ReadonlyMap<string, number>;
  readonly stepUp: number;
  readonly deny: number;
  readonly requiredLevel: DeviceLevel | 'none';
  /** `requiredLevelBySdk` as [minimum sdk, level] pairs, highest sdk first. */
  readonly requiredLevelBySdk: ReadonlyArray<readonly [number, DeviceLevel | 'none']>;
  readonly minAppVersion: MinAppVersion;
  readonly allowDevices: ReadonlySet<string>;
  readonly denyDevices: ReadonlySet<string>;
}

/** One condition that counted. */
export interface PolicyReason {
  readonly condition: Condition | 'deviceAllowed';
  readonly action: PolicyAction;
  readonly weight: number;
}

/** The policy's conclusion. */
export interface PolicyDecision {
  readonly action: PolicyAction;
  readonly score: number;
  readonly reasons: readonly PolicyReason[];
}

/** Extra defaults from the IP lists' own `action`/`weight`. */
export interface ListDefaults {
  readonly actions: ReadonlyMap<string, PolicyAction>;
  readonly weights: ReadonlyMap<string, number>;
}

const PLATFORMS = ['android', 'ios'] as const;

/**
 * Merges base → market → sensitivity → route; within a layer, keys left undefined keep the layer below. Throws for
 * an unknown sensitivity name (a configuration error, which the verifier reports as "cannot decide": fail closed).
 */
export function compilePolicy(
  policy: PolicyOptions,
  lists: ListDefaults,
  market: string | undefined,
  route: DeviceRouteOptions | undefined,
): CompiledPolicy {
  const layers: PolicyOverride[] = [policy];
  if (market !== undefined && policy.markets && Object.hasOwn(policy.markets, market)) layers.push(policy.markets[market]!);
  if (route?.sensitivity !== undefined) {
    const sensitivity = policy.sensitivities && Object.hasOwn(policy.sensitivities, route.sensitivity)
      ? policy.sensitivities[route.sensitivity]
      : undefined;
    if (sensitivity === undefined) throw new Error(`device: unknown route sensitivity "${route.sensitivity}"`);
    layers.push(sensitivity);
  }
  if (route) layers.push(route);

  const actions = new Map<string, number>();
  const weights = new Map<string, number>();
  for (const [k, v] of Object.entries(DEFAULT_ACTIONS)) actions.set(k, ACTION_RANK[v]);
  for (const [k, v] of Object.entries(DEFAULT_WEIGHTS)) weights.set(k, v);
  for (const [k, v] of lists.actions) actions.set(k, ACTION_RANK[v]);
  for (const [k, v] of lists.weights) weights.set(k, v);
  let stepUp = DEFAULT_THRESHOLDS.stepUp;
  let deny = DEFAULT_THRESHOLDS.deny;
  let requiredLevel: DeviceLevel | 'none' = 'none';
  const minAppVersion: { android?: string | number; ios?: string | number } = {};
  let bySdk = new Map<number, DeviceLevel | 'none'>();
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer.actions ?? {})) if (v !== undefined) actions.set(k, ACTION_RANK[v]);
    for (const [k, v] of Object.entries(layer.weights ?? {})) if (v !== undefined) weights.set(k, v);
    stepUp = layer.thresholds?.stepUp ?? stepUp;
    deny = layer.thresholds?.deny ?? deny;
    // A layer's `requiredLevel` replaces the levels below it, by-SDK ones included: else a base table would lower a
    // stricter sensitivity or route level on every device reporting its sdkVersion.
    if (layer.requiredLevel !== undefined) {
      requiredLevel = layer.requiredLevel;
      bySdk = new Map();
    }
    // Key by key, an undefined value (`android: process.env.MIN_ANDROID` unset) keeping the layer below: a spread
    // would copy it over and erase a stricter inherited minimum.
    for (const [sdk, level] of Object.entries(layer.requiredLevelBySdk ?? {})) if (level !== undefined) bySdk.set(Number(sdk), level);
    for (const platform of PLATFORMS) {
      const min = layer.minAppVersion?.[platform];
      if (min !== undefined) minAppVersion[platform] = min;
    }
  }
  return {
    actions,
    weights,
    stepUp,
    deny,
    requiredLevel,
    requiredLevelBySdk: [...bySdk].sort((a, b) => b[0] - a[0]),
    minAppVersion,
    allowDevices: new Set((policy.devices?.allow ?? []).map(canonicalDeviceId)),
    denyDevices: new Set((policy.devices?.deny ?? []).map(canonicalDeviceId)),
  };
}

/** Bits of {@link deviceListing}. */
const ALLOWED = 1;
const DENIED = 2;

/**
 * Judges a verdict: every present condition contributes its action and (unless allowed) its weight; the result is
 * the strictest of the individual actions and the score's threshold action.
 */
export function evaluatePolicy(policy: CompiledPolicy, verdict: DeviceVerdict): PolicyDecision {
  const listed = policy.allowDevices.size > 0 || policy.denyDevices.size > 0 ? deviceListing(policy, verdict.device) : 0;
  // `deny` always denies: an id on both lists is not let through by `allow`.
  if (listed === ALLOWED && verdict.trust === 'attested' && verdict.failedProofs.length === 0) {
    return { action: 'allow', score: 0, reasons: [{ condition: 'deviceAllowed', action: 'allow', weight: 0 }] };
  }
  const reasons: PolicyReason[] = [];
  let rank = 0;
  let score = 0;
  const hit = (condition: Condition): void => {
    const action = policy.actions.get(condition) ?? ACTION_RANK.monitor;
    if (action === ACTION_RANK.allow) return;
    const weight = policy.weights.get(condition) ?? 0;
    score += weight;
    if (action > rank) rank = action;
    reasons.push({ condition, action: ACTIONS[action]!, weight });
  };

  const reportedId = verdict.device.reportedId;
  if (
    (listed & DENIED) !== 0 ||
    (reportedId !== undefined && policy.denyDevices.size > 0 && policy.denyDevices.has(canonicalDeviceId(reportedId)))
  ) {
    hit('deviceDenied');
  }
  if (verdict.failedProofs.length > 0) hit('invalidProof');
  if (verdict.trust !== 'attested') hit('noAttestation');
  const android = verdict.device.android;
  if (android !== undefined) {
    // MEETS_BASIC_INTEGRITY is implied by every physical label, so its absence means none was given.
    if (!android.levels.includes('MEETS_BASIC_INTEGRITY')) hit('deviceIntegrityFailed');
    else if (!android.levels.includes('MEETS_DEVICE_INTEGRITY')) hit('basicIntegrityOnly');
  }
  const apple = verdict.device.apple;
  if (apple !== undefined) {
    const category = apple.validationCategory;
    if (isUnexpectedDistribution(category, apple.environment)) hit('unexpectedDistribution');
    if (apple.macAccessControl === 'other') hit('macAccessControlWeak');
  }
  if (!meetsLevel(verdict.device.levels, requiredLevelFor(policy, verdict))) hit('integrityBelowRequired');
  checkVersion(policy, verdict, hit);
  for (const signal of Object.keys(verdict.device.signals) as Condition[]) hit(signal);
  for (const list of verdict.ipLists) hit(`ip:${list}`);

  if (score >= policy.deny) rank = ACTION_RANK.deny;
  else if (score >= policy.stepUp && rank < ACTION_RANK['step-up']) rank = ACTION_RANK['step-up'];
  return { action: ACTIONS[rank]!, score, reasons };
}

/**
 * How the attested ids stand on the device lists: {@link DENIED} when any is denylisted, {@link ALLOWED} when there
 * is one and all are allowlisted (a device pairing an allowlisted id with an unlisted one is not the listed device).
 * Ids are put in their compared form only here, when there is a list; one id allocates nothing.
 */
function deviceListing(policy: CompiledPolicy, device: DeviceVerdict['device']): number {
  const ids = device.ids;
  // No id at all is on no list (an empty `ids` must not pass the AND below as "all allowlisted").
  if (device.id === undefined && (ids === undefined || ids.length === 0)) return 0;
  // Allowed: AND over the ids; denied: OR. No closure or array, so the usual single id allocates nothing.
  let all = ALLOWED | DENIED;
  let any = 0;
  if (device.id !== undefined) {
    const bits = idListing(policy, device.id);
    all &= bits;
    any |= bits;
  }
  // `ids` repeats `id` when built by addAttested; checked whole in case a caller filled the verdict otherwise.
  if (ids !== undefined) {
    for (const raw of ids) {
      const bits = idListing(policy, raw);
      all &= bits;
      any |= bits;
    }
  }
  return (all & ALLOWED) | (any & DENIED);
}

function idListing(policy: CompiledPolicy, raw: string): number {
  const id = canonicalDeviceId(raw);
  return (policy.allowDevices.has(id) ? ALLOWED : 0) | (policy.denyDevices.has(id) ? DENIED : 0);
}

/** An App Attest key id (32 bytes) as base64 (43 characters) or base64url, padded or not. */
const KEY_ID_SPELLING = /^(?:[A-Za-z0-9+/]{43}|[A-Za-z0-9_-]{43})=?$/;

/**
 * The form device lists compare: an App Attest key id is standard padded base64 on the assertion path but base64url
 * in the attestation service's tokens, so a 32-byte id compares by its bytes; other ids stay as they are.
 */
function canonicalDeviceId(id: string): string {
  // Node's base64 decoder reads both alphabets; re-encoding also drops unused trailing bits, another spelling.
  return KEY_ID_SPELLING.test(id) ? Buffer.from(id, 'base64').toString('base64') : id;
}

/**
 * The required level for this verdict: by Android API level when the verdict states one, else the flat one.
 *
 * Signed sources that disagree on the platform ({@link PLATFORM_MISMATCH}) leave it `unknown`, yet a Play Integrity
 * verdict among them may still carry an `sdkVersion`: neither the flat level nor the table's entry for it can be
 * trusted to be the one that applies (the flat level may be the laxer one, as in `requiredLevel:
 * 'MEETS_BASIC_INTEGRITY', requiredLevelBySdk: { 33: 'MEETS_STRONG_INTEGRITY' }`, or a table entry may be, under a
 * stricter flat level). Such
 * an invalid proof is held to the strictest level this policy (this route and market, layers merged) demands of any
 * device: the highest of `requiredLevel` and every `requiredLevelBySdk` entry. It fails closed whatever
 * `invalidProof` is set to (`monitor` does not turn the integrity requirement off).
 */
function requiredLevelFor(policy: CompiledPolicy, verdict: DeviceVerdict): DeviceLevel | 'none' {
  if (verdict.platforms !== undefined || (verdict.failedProofs.length > 0 && verdict.failedProofs.includes(PLATFORM_MISMATCH))) {
    return strictestLevel(policy);
  }
  const sdk = verdict.platform === 'android' ? verdict.device.android?.sdkVersion : undefined;
  if (sdk !== undefined) for (const [min, level] of policy.requiredLevelBySdk) if (sdk >= min) return level;
  return policy.requiredLevel;
}

/** How much a required level demands: each level's devices meet every level ranked below it. */
const STRICTNESS: Readonly<Record<DeviceLevel | 'none', number>> = {
  none: 0,
  MEETS_VIRTUAL_INTEGRITY: 1,
  MEETS_BASIC_INTEGRITY: 2,
  MEETS_DEVICE_INTEGRITY: 3,
  MEETS_STRONG_INTEGRITY: 4,
};

/** The strictest of the flat level and every by-SDK level (see {@link requiredLevelFor}). */
function strictestLevel(policy: CompiledPolicy): DeviceLevel | 'none' {
  let strictest = policy.requiredLevel;
  for (const [, level] of policy.requiredLevelBySdk) if (STRICTNESS[level] > STRICTNESS[strictest]) strictest = level;
  return strictest;
}

function checkVersion(policy: CompiledPolicy, verdict: DeviceVerdict, hit: (c: Condition) => void): void {
  const platform = verdict.platform;
  // A platform no source states (no claim mapped, or a value that is neither), or one signed sources disagree on,
  // cannot be held to its minimum, and is no way around one: with any minimum set, its version is unknown.
  if (platform === 'unknown') {
    if (policy.minAppVersion.android !== undefined || policy.minAppVersion.ios !== undefined) hit('unknownAppVersion');
    return;
  }
  const min = policy.minAppVersion[platform];
  if (min === undefined) return;
  // Every signed version is judged (`versions` when sources stated several), so the lowest decides.
  const signed = verdict.app.versions ?? (verdict.app.version === undefined ? [] : [verdict.app.version]);
  const reported = verdict.app.reportedVersion;
  const known = reported === undefined ? signed : [...signed, reported];
  if (known.length === 0) return hit('unknownAppVersion');
  // Any source saying "older than the minimum" wins, whatever the others say (one that cannot be read included): a
  // self-reported version can only make the app look older.
  let unreadable = false;
  for (const version of known) {
    const cmp = compareAppVersions(version, min);
    if (cmp === undefined) unreadable = true;
    else if (cmp < 0) return hit('outdatedApp');
  }
  // ...and never newer: alone (no signed version), it cannot show the app is recent enough.
  if (unreadable || signed.length === 0) hit('unknownAppVersion');
}

/** Names the decision for logs (`deny score=70 rooted:monitor/30 hooked:deny/40`); never holds a raw value. */
export function describeDecision(decision: PolicyDecision): string {
  const parts = decision.reasons.map((r) => `${r.condition}:${r.action}/${r.weight}`);
  return `${decision.action} score=${decision.score}${parts.length ? ` ${parts.join(' ')}` : ''}`;
}
