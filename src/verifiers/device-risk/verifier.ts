import { AppAttestError } from '../../attestation/app-attest/errors.js';
import { createAppAttestRegistry, type AppAttestRegistry } from '../../attestation/app-attest/registry.js';
import { PlayIntegrityError } from '../../attestation/play-integrity/errors.js';
import { createPlayIntegrityVerifier, type PlayIntegrityVerifier } from '../../attestation/play-integrity/verifier.js';
import { deepFreeze } from '../../core/deep-freeze.js';
import { headerValue } from '../../core/request.js';
import { ENGLISH } from '../../core/zod-locale.js';
import type { Attestation, Verifier, VerifierContext, VerifierOutcome } from '../../core/verifier.js';
import { PASS } from '../../core/outcome.js';
import type { Store } from '../../stores/store.js';
import { createCountryLookup } from './country.js';
import { compileIpReputation } from './ip-reputation.js';
import { deviceRiskOptionsSchema, type DeviceRiskOptions } from './options.js';
import {
  compilePolicy,
  describeDecision,
  evaluatePolicy,
  type CompiledPolicy,
  type DeviceRouteOptions,
  type PolicyDecision,
  type PolicyOptions,
  type PolicyOverride,
} from './policy.js';
import { requestBinding, UnbindableRequestError, type BindingFormat, type RequestBinding } from './request-binding.js';
import type { PolicyAction } from './signals.js';
import { compileAssertionFreshness } from './assertion-freshness.js';
import { appAttestContribution } from './sources/app-attest.js';
import { playIntegrityContribution } from './sources/play-integrity.js';
import { parseSelfReportedSignals } from './sources/self-reported.js';
import { compileClaimMapping } from './sources/token-claims.js';
import { addAttested, addSelfReported, emptyVerdict, type AttestedContribution, type DeviceVerdict, type SelfReportedContribution } from './verdict.js';

/** Key of the device-risk result on `ctx.memo`. */
export const DEVICE_RISK_MEMO_KEY = 'device-risk';
/** Key under which verified proofs are kept, so a re-check does not re-spend an App Attest counter. */
const PROOFS_MEMO_KEY = 'device-risk:proofs';

/** What the verifier leaves on `ctx.memo.get('device-risk')`. */
export interface DeviceRiskMemo {
  readonly verdict: DeviceVerdict;
  readonly decision: PolicyDecision;
}

/** Default header names. */
export const DEVICE_HEADERS = {
  playIntegrity: 'x-play-integrity',
  appAttestAssertion: 'x-app-attest-assertion',
  appAttestKeyId: 'x-app-attest-key-id',
  appAttestChallenge: 'x-app-attest-challenge',
  appAttestTimestamp: 'x-app-attest-timestamp',
  bodyHash: 'x-shield-body-sha256',
  selfReported: 'x-device-signals',
  appVersion: 'x-app-version',
  deviceId: 'x-device-id',
} as const;

/**
 * The header names in effect: the defaults with `headers` over them, key by key. A name left undefined (an unset
 * environment variable) keeps its default: a spread would make it "no header", so the header stage, the body stage
 * and header masking could each read a different name.
 */
export function deviceHeaderNames(overrides: Partial<Record<keyof typeof DEVICE_HEADERS, string>> | undefined): Record<keyof typeof DEVICE_HEADERS, string> {
  const headers: Record<keyof typeof DEVICE_HEADERS, string> = { ...DEVICE_HEADERS };
  for (const key of Object.keys(DEVICE_HEADERS) as (keyof typeof DEVICE_HEADERS)[]) {
    const name = overrides?.[key];
    if (name !== undefined) headers[key] = name;
  }
  return headers;
}

/** An App Attest assertion is ~150 bytes of CBOR; base64 and headroom give this bound. */
const MAX_ASSERTION_HEADER = 2048;
const MAX_KEY_ID_HEADER = 64;
const MAX_REPORTED_VALUE = 128;

interface VerifiedProofs {
  contributions: AttestedContribution[];
  failed: string[];
}

/**
 * Creates the device-risk verifier (stage `headers`). It builds one normalised verdict from the verified token's
 * claims, a Play Integrity token, an App Attest assertion and the app's self-reported signals, adds the country and
 * IP reputation, and judges it with the policy merged for the route and market. Denials are 403 `device_untrusted`
 * or `device_step_up`; the reasons go to `detail` (never a token or raw header value).
 */
export function createDeviceRiskVerifier(options: DeviceRiskOptions, deps: { store: Store }): Verifier {
  const o = deviceRiskOptionsSchema.parse(options, ENGLISH);
  const headers = deviceHeaderNames(o.headers);

  const play: PlayIntegrityVerifier | undefined = o.playIntegrity
    ? createPlayIntegrityVerifier({
        packageName: o.playIntegrity.packageName,
        decryptionKey: o.playIntegrity.decryptionKey,
        verificationKey: o.playIntegrity.verificationKey,
        decoder: o.playIntegrity.decoder,
        certificateDigests: o.playIntegrity.certificateDigests,
        maxAgeMs: o.playIntegrity.maxAgeMs,
        clockSkewMs: o.playIntegrity.clockSkewMs,
        allowTestResponses: o.playIntegrity.allowTestResponses,
        // Recognition and levels become signals judged by the policy, per route and market, not hard failures here.
        requirements: { appRecognized: false, deviceLevel: 'none' },
        replay: o.playIntegrity.replay ? { store: deps.store, keyPrefix: 'device:pi:' } : undefined,
      })
    : undefined;
  const registry: AppAttestRegistry | undefined = o.appAttest
    ? createAppAttestRegistry({
        store: deps.store,
        teamId: o.appAttest.teamId,
        bundleId: o.appAttest.bundleId,
        environment: o.appAttest.environment,
        trustAnchor: o.appAttest.trustAnchor,
        keyPrefix: o.appAttest.keyPrefix,
        keyTtlMs: o.appAttest.keyTtlMs,
      })
    : undefined;
  const freshness = o.appAttest
    ? compileAssertionFreshness(o.appAttest, deps.store, { challenge: headers.appAttestChallenge, timestamp: headers.appAttestTimestamp })
    : undefined;
  const appAttestLevel = o.appAttest?.level ?? 'MEETS_DEVICE_INTEGRITY';
  const newDeviceWindowMs = o.appAttest?.newDeviceWindowMs ?? 86_400_000;
  // Formats in the order tried; the first is the one apps are told to use.
  const bindingFormats: BindingFormat[] = [...new Set(o.binding.versions)].map((version) =>
    version === 'v2' ? { version, headers: o.binding.headers } : { version },
  );
  const claims = compileClaimMapping(o.tokenClaims);
  const countryOf = createCountryLookup(o.country);
  const reputation = compileIpReputation(o.ipReputation);
  const listDefaults = {
    actions: new Map<string, PolicyAction>([...reputation.lists].map(([n, l]) => [`ip:${n}`, l.action])),
    weights: new Map<string, number>([...reputation.lists].map(([n, l]) => [`ip:${n}`, l.weight])),
  };
  const policy: PolicyOptions = o.policy ?? {};
  /**
   * The problem with a layer's `ip:<name>` conditions that name no configured list, else undefined: such a key is
   * never hit, so a typo (`ip:Tor` for the list `tor`) silently left the list under its own, milder, action.
   */
  function unknownIpList(layer: PolicyOverride | undefined, where: string): string | undefined {
    for (const key of [...Object.keys(layer?.actions ?? {}), ...Object.keys(layer?.weights ?? {})]) {
      if (key.startsWith('ip:') && !reputation.lists.has(key.slice(3))) {
        return `${where} names the IP list "${key.slice(3)}", which device.ipReputation.lists does not define`;
      }
    }
    return undefined;
  }
  const layerProblem = [
    unknownIpList(policy, 'device.policy'),
    ...Object.entries(policy.markets ?? {}).map(([k, layer]) => unknownIpList(layer, `device.policy.markets.${k}`)),
    ...Object.entries(policy.sensitivities ?? {}).map(([k, layer]) => unknownIpList(layer, `device.policy.sensitivities.${k}`)),
  ].find((problem) => problem !== undefined);
  if (layerProblem !== undefined) throw new TypeError(layerProblem);
  // Markets with no country source would never apply: every device judged by the base policy, silently.
  if (Object.keys(policy.markets ?? {}).length > 0 && !(o.country?.headers?.length || o.country?.resolver)) {
    throw new TypeError(
      "device.policy.markets needs a country source: device.country.headers (the header your CDN sets, e.g. ['cf-ipcountry']) or device.country.resolver",
    );
  }
  // Validate the base policy (and every market) now, so a configuration error shows at startup.
  for (const market of [undefined, ...Object.keys(policy.markets ?? {})]) compilePolicy(policy, listDefaults, market, undefined);
  for (const name of Object.keys(policy.sensitivities ?? {})) compilePolicy(policy, listDefaults, undefined, { sensitivity: name });

  /** The problem with a route's `sensitivity` when the policy does not define it, else undefined. */
  function unknownSensitivity(device: DeviceRouteOptions | undefined): string | undefined {
    const name = device?.sensitivity;
    if (name === undefined || (policy.sensitivities !== undefined && Object.hasOwn(policy.sensitivities, name))) return undefined;
    return `device.sensitivity "${name}" is not one of device.policy.sensitivities (${Object.keys(policy.sensitivities ?? {}).join(', ') || 'none defined'})`;
  }

  // Compiled policies per (route options object, market). The maps are bounded: markets are two-character codes.
  const globalPolicies = new Map<string, CompiledPolicy>();
  const routePolicies = new WeakMap<DeviceRouteOptions, Map<string, CompiledPolicy>>();
  function policyFor(route: DeviceRouteOptions | undefined, market: string | undefined): CompiledPolicy {
    let byMarket = route === undefined ? globalPolicies : routePolicies.get(route);
    if (byMarket === undefined) {
      byMarket = new Map();
      routePolicies.set(route!, byMarket);
    }
    const key = market ?? '';
    let compiled = byMarket.get(key);
    if (compiled === undefined) {
      compiled = compilePolicy(policy, listDefaults, market, route);
      byMarket.set(key, compiled);
    }
    return compiled;
  }

  async function verifyProofs(ctx: VerifierContext, token: string | undefined, assertion: string | undefined): Promise<VerifiedProofs> {
    const proofs: VerifiedProofs = { contributions: [], failed: [] };
    let bindings: RequestBinding[];
    try {
      bindings = bindingFormats.map((format) => requestBinding(ctx.request, headers.bodyHash, format));
    } catch (error) {
      if (!(error instanceof UnbindableRequestError)) throw error;
      // The proof covers a query string we cannot see as the app hashed it: it cannot be matched to this request.
      if (token !== undefined && play !== undefined) proofs.failed.push('play-integrity:query_unavailable');
      if (assertion !== undefined && registry !== undefined) proofs.failed.push('app-attest:query_unavailable');
      return proofs;
    }
    const expected = bindings.length === 1 ? bindings[0]!.digestBase64Url : bindings.map((b) => b.digestBase64Url);
    const tasks: Promise<void>[] = [];
    if (token !== undefined && play !== undefined) {
      tasks.push(
        play
          .verify(token, { nonce: expected, requestHash: expected, now: ctx.now })
          .then(
            (result) => void proofs.contributions.push(playIntegrityContribution(result)),
            (error: unknown) => {
              if (!(error instanceof PlayIntegrityError)) throw error;
              proofs.failed.push(`play-integrity:${error.reason}`);
            },
          ),
      );
    }
    if (assertion !== undefined && registry !== undefined) {
      const keyId = headerValue(ctx.request, headers.appAttestKeyId);
      if (keyId === undefined || keyId.length > MAX_KEY_ID_HEADER || assertion.length > MAX_ASSERTION_HEADER) {
        proofs.failed.push('app-attest:malformed');
      } else {
        const fresh = freshness!.check(ctx.request, ctx.now, bindings);
        if ('failure' in fresh) {
          proofs.failed.push(`app-attest:${fresh.failure}`);
        } else {
          tasks.push(
            registry
              .verifyAssertion({
                keyId,
                assertion,
                clientDataHash: fresh.hashes[0]!,
                ...(fresh.hashes.length > 1 ? { alternativeClientDataHashes: fresh.hashes.slice(1) } : {}),
              })
              .then(
                async (result) => {
                  // Spent only once a signature over it verified, so a forged request cannot burn the app's challenge.
                  if (fresh.challenge !== undefined && !(await freshness!.consume(fresh.challenge))) {
                    proofs.failed.push('app-attest:challenge_invalid');
                    return;
                  }
                  proofs.contributions.push(appAttestContribution(result, { level: appAttestLevel, newDeviceWindowMs, now: ctx.now }));
                },
                (error: unknown) => {
                  if (!(error instanceof AppAttestError)) throw error;
                  proofs.failed.push(`app-attest:${error.reason}`);
                },
              ),
          );
        }
      }
    }
    await Promise.all(tasks);
    return proofs;
  }

  /**
   * Judgements of verdicts that come from a verified token's claims alone (no proof, no self-reported header, no
   * country, on no IP list), by attestation and compiled policy. Such a judgement depends on nothing else, and the
   * token verifier hands every request with a token it has seen the same frozen attestation object, so requests with
   * that token share one frozen verdict and decision instead of building them anew (about twenty objects). Entries
   * go when the token cache drops the attestation; a route policy adds one per attestation (route options are few).
   */
  const claimsOnly = new WeakMap<Attestation, Map<CompiledPolicy, Judged>>();

  function judge(ctx: VerifierContext, proofs: VerifiedProofs | undefined, route: DeviceRouteOptions | undefined): VerifierOutcome {
    const request = ctx.request;
    const country = countryOf(request, ctx.ip, ctx.fromTrustedProxy === true);
    const ipLists = reputation.lookup(ctx.ip);
    const reported = o.selfReported ? selfReportedOf(request) : undefined;
    const attestation = ctx.attestation;
    const policy = policyFor(route, country);
    // Frozen: the token verifier's (an attestation a custom module set and may still change is judged each time).
    const shared = attestation !== undefined && Object.isFrozen(attestation) && Object.isFrozen(attestation.claims);
    if (shared && proofs === undefined && reported === undefined && country === undefined && ipLists.length === 0) {
      let byPolicy = claimsOnly.get(attestation);
      if (byPolicy === undefined) {
        byPolicy = new Map();
        claimsOnly.set(attestation, byPolicy);
      }
      let judged = byPolicy.get(policy);
      if (judged === undefined) {
        judged = deepFreeze(judgement(policy, verdictOf(attestation, undefined, undefined, country, ipLists)));
        byPolicy.set(policy, judged);
      }
      ctx.memo.set(DEVICE_RISK_MEMO_KEY, judged.memo);
      return judged.outcome;
    }
    const judged = judgement(policy, verdictOf(attestation, proofs, reported, country, ipLists));
    ctx.memo.set(DEVICE_RISK_MEMO_KEY, judged.memo);
    return judged.outcome;
  }

  /** The normalised verdict of one request's sources. */
  function verdictOf(
    attestation: Attestation | undefined,
    proofs: VerifiedProofs | undefined,
    reported: SelfReportedContribution | undefined,
    country: string | undefined,
    ipLists: string[],
  ): DeviceVerdict {
    const verdict = emptyVerdict();
    if (attestation) addAttested(verdict, claims(attestation));
    if (proofs) {
      for (const c of proofs.contributions) addAttested(verdict, c);
      verdict.failedProofs.push(...proofs.failed);
    }
    if (reported) addSelfReported(verdict, reported);
    if (country !== undefined) verdict.country = country;
    verdict.ipLists = ipLists;
    return verdict;
  }

  /** What the app reported about itself in the unsigned headers, undefined when it reported nothing. */
  function selfReportedOf(request: VerifierContext['request']): SelfReportedContribution | undefined {
    const signals = parseSelfReportedSignals(headerValue(request, headers.selfReported));
    const appVersion = bounded(headerValue(request, headers.appVersion));
    const deviceId = bounded(headerValue(request, headers.deviceId));
    return signals.length > 0 || appVersion !== undefined || deviceId !== undefined ? { signals, appVersion, deviceId } : undefined;
  }

  return {
    name: 'device-risk',
    stage: 'headers',
    ...(o.mode !== undefined ? { mode: o.mode } : {}),
    ...(o.failOpen !== undefined ? { failOpen: o.failOpen } : {}),
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    appliesTo(route) {
      return (route as { device?: unknown }).device !== false;
    },
    checkRouteOptions(route) {
      const device = (route as { device?: DeviceRouteOptions | false }).device || undefined;
      return unknownSensitivity(device) ?? unknownIpList(device, 'device');
    },
    verify(ctx) {
      const routeOptions = (ctx.route as { device?: DeviceRouteOptions | false }).device;
      if (routeOptions === false) return { outcome: 'skip' };
      const route = routeOptions ?? undefined;
      // Route options the shield could not check when they were declared (a Fastify route declared before the plugin,
      // a direct `shield.check`): a configuration mistake denies, never an error that `failOpen` would pass.
      if (route?.sensitivity !== undefined && unknownSensitivity(route) !== undefined) {
        return { outcome: 'deny', code: 'device_untrusted', detail: 'route sensitivity not defined in device.policy.sensitivities' };
      }
      const cached = ctx.memo.get(PROOFS_MEMO_KEY) as VerifiedProofs | undefined;
      if (cached !== undefined) return judge(ctx, cached, route);
      const token = play ? headerValue(ctx.request, headers.playIntegrity) : undefined;
      const assertion = registry ? headerValue(ctx.request, headers.appAttestAssertion) : undefined;
      // No proof to verify: stay synchronous (no promise on the hot path).
      if (token === undefined && assertion === undefined) return judge(ctx, undefined, route);
      return verifyProofs(ctx, token, assertion).then((proofs) => {
        ctx.memo.set(PROOFS_MEMO_KEY, proofs);
        return judge(ctx, proofs, route);
      });
    },
  };
}

/** A verdict judged: what the Decision exposes (`decision.device`) and the verifier's outcome. */
interface Judged {
  readonly memo: DeviceRiskMemo;
  readonly outcome: VerifierOutcome;
}

function judgement(policy: CompiledPolicy, verdict: DeviceVerdict): Judged {
  const decision = evaluatePolicy(policy, verdict);
  return { memo: { verdict, decision }, outcome: toOutcome(decision, verdict) };
}

function toOutcome(decision: PolicyDecision, verdict: DeviceVerdict): VerifierOutcome {
  if (decision.action === 'allow' && decision.reasons.length === 0) return PASS;
  let detail = describeDecision(decision);
  if (verdict.failedProofs.length > 0) detail += ` proofs=${verdict.failedProofs.join(',')}`;
  if (verdict.country !== undefined) detail += ` country=${verdict.country}`;
  if (decision.action === 'deny') return { outcome: 'deny', code: 'device_untrusted', detail };
  if (decision.action === 'step-up') return { outcome: 'deny', code: 'device_step_up', detail };
  return { outcome: 'pass', detail };
}

/** Self-reported free-text values are kept only when short and printable; they never reach `detail`. */
function bounded(value: string | undefined): string | undefined {
  if (value === undefined || value.length === 0 || value.length > MAX_REPORTED_VALUE) return undefined;
  return /^[\x21-\x7e]+$/.test(value) ? value : undefined;
}
