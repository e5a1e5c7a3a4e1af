import type { X509Certificate } from 'node:crypto';
import { isCidrOrAddress } from './cidr-trie.js';
import * as z from 'zod/mini';
import { headerNameSchema } from '../../core/schemas.js';
import { DEVICE_LEVELS } from '../../attestation/play-integrity/payload.js';
import type { PlayIntegrityDecoder } from '../../attestation/play-integrity/verifier.js';
import type { CountryResolver } from './country.js';
import { ACTIONS, DERIVED_CONDITIONS, DEVICE_SIGNALS } from './signals.js';

const fn = <T>(what: string) => z.custom<T>((v) => typeof v === 'function', `${what} must be a function`);

const CONDITION_NAMES: ReadonlySet<string> = new Set<string>([...DEVICE_SIGNALS, ...DERIVED_CONDITIONS]);
const LIST_NAME = /^[A-Za-z0-9_-]{1,32}$/;
const isCondition = (key: string): boolean =>
  CONDITION_NAMES.has(key) || (key.startsWith('ip:') && LIST_NAME.test(key.slice(3)));

const levelSchema = z.enum(DEVICE_LEVELS);
const actionSchema = z.enum(ACTIONS);
const signalSchema = z.enum(DEVICE_SIGNALS);
const conditionKey = z.string().check(z.refine(isCondition, {
  message: `must be a device signal (${DEVICE_SIGNALS.join(', ')}), a derived condition (${DERIVED_CONDITIONS.join(', ')}) or ip:<list>`,
}));
const versionSchema = z.union([z.number().check(z.int(), z.nonnegative()), z.string().check(z.regex(/^v?\d{1,9}(?:\.\d{1,9}){0,5}$/))]);
const headerName = headerNameSchema;
const cidr = z.string().check(z.refine(isCidrOrAddress, 'must be a CIDR or an IP address (IPv4 in four-part decimal)'));

const overrideShape = {
  /** Action per condition. */
  actions: z.optional(z.record(conditionKey, actionSchema)),
  /** Score weight per condition. */
  weights: z.optional(z.record(conditionKey, z.number().check(z.minimum(0), z.maximum(1000)))),
  /** Score thresholds. */
  thresholds: z.optional(z.strictObject({ stepUp: z.optional(z.number().check(z.minimum(0))), deny: z.optional(z.number().check(z.minimum(0))) })),
  /** Device level the attested sources must show. */
  requiredLevel: z.optional(z.union([levelSchema, z.literal('none')])),
  /** Required level by minimum Android API level (`{ 33: 'MEETS_STRONG_INTEGRITY' }`). */
  requiredLevelBySdk: z.optional(
    z.record(z.string().check(z.regex(/^[1-9]\d{0,2}$/, 'must be an Android API level')), z.union([levelSchema, z.literal('none')]))),
  /** Minimum app version per platform. */
  minAppVersion: z.optional(z.strictObject({ android: z.optional(versionSchema), ios: z.optional(versionSchema) })),
};

/** Schema of a market/sensitivity override. */
export const policyOverrideSchema = z.strictObject(overrideShape);

/** Schema of `RouteOptions.device` (without the `false` the route schema adds). */
export const deviceRouteOptionsSchema = z.strictObject({ ...overrideShape, sensitivity: z.optional(z.string().check(z.minLength(1), z.maxLength(64))) });

const policySchema = z.strictObject({
    ...overrideShape,
    markets: z.optional(z.record(z.string().check(z.regex(/^[A-Z][A-Z0-9]$/, 'must be an upper-case ISO country code')), policyOverrideSchema)),
    sensitivities: z.optional(z.record(z.string().check(z.minLength(1), z.maxLength(64)), policyOverrideSchema)),
    devices: z.optional(z.strictObject({ allow: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(256)))), deny: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(256)))) })),
  });

/** Schema of the shield config key `device` (the device-risk verifier). */
export const deviceRiskOptionsSchema = z.strictObject({
    /** This verifier's mode (a route's `verifiers['device-risk']` overrides it). */
    mode: z.optional(z.enum(['enforce', 'monitor'])),
    /** Pass instead of 503 when the verifier cannot decide (store down, decoder unreachable). Default false. */
    failOpen: z.optional(z.boolean()),
    timeoutMs: z.optional(z.number().check(z.int(), z.positive(), z.maximum(60_000))),
    /** Header names (lower-case). */
    headers: z.optional(z.partial(z.strictObject({
        playIntegrity: headerName,
        appAttestAssertion: headerName,
        appAttestKeyId: headerName,
        appAttestChallenge: headerName,
        appAttestTimestamp: headerName,
        bodyHash: headerName,
        selfReported: headerName,
        appVersion: headerName,
        deviceId: headerName,
      }))),
    /**
     * The canonical request a per-request proof is bound to (see `requestBinding`). `versions`: accepted forms, in
     * the order tried; `v1` (no query string, no credential) only when listed. `headers`: headers bound by `v2`.
     */
    binding: z._default(z.strictObject({
        versions: z._default(z.array(z.enum(['v2', 'v1'])).check(z.minLength(1), z.maxLength(2)), ['v2']),
        headers: z._default(z.array(headerName).check(z.maxLength(16)), ['authorization']),
      }), { versions: ['v2'], headers: ['authorization'] }),
    /** Google Play Integrity (local keys or an injected decoder). */
    playIntegrity: z.optional(z.strictObject({
        packageName: z.string().check(z.minLength(1), z.maxLength(256)),
        decryptionKey: z.optional(z.string().check(z.minLength(1))),
        verificationKey: z.optional(z.string().check(z.minLength(1))),
        /** Google's decodeIntegrityToken; a 4xx rejection (not 408/429) fails the proof, others are "cannot decide". */
        decoder: z.optional(fn<PlayIntegrityDecoder>('playIntegrity.decoder')),
        certificateDigests: z.optional(z.array(z.string().check(z.minLength(1)))),
        maxAgeMs: z.optional(z.number().check(z.int(), z.positive(), z.maximum(86_400_000))),
        clockSkewMs: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(600_000))),
        /** Accept Google's test verdicts (`testingDetails.isTestingResponse`). Default false. */
        allowTestResponses: z._default(z.boolean(), false),
        /** Accept each token once (kept in the store for maxAge + skew). Default true. */
        replay: z._default(z.boolean(), true),
      }).check(z.refine((p) => p.decoder !== undefined || (p.decryptionKey !== undefined && p.verificationKey !== undefined), {
        message: 'needs decryptionKey and verificationKey, or a decoder',
      }))),
    /** Apple App Attest (assertions against keys registered in the store). */
    appAttest: z.optional(z.strictObject({
        teamId: z.string().check(z.regex(/^[A-Z0-9]{10}$/, 'must be a 10-character Apple Team ID')),
        bundleId: z.string().check(z.minLength(1), z.maxLength(256)),
        environment: z.enum(['development', 'production']),
        trustAnchor: z.optional(
          z.union([z.string().check(z.minLength(1)), z.custom<X509Certificate>((v) => typeof v === 'object' && v !== null && 'fingerprint256' in v)])),
        keyPrefix: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
        keyTtlMs: z.optional(z.number().check(z.int(), z.positive())),
        /** The level a verified assertion vouches for. Default MEETS_DEVICE_INTEGRITY. */
        level: z._default(levelSchema, 'MEETS_DEVICE_INTEGRITY'),
        /** A key registered more recently than this marks the device `newDevice`. Default 24 h. */
        newDeviceWindowMs: z._default(z.number().check(z.int(), z.minimum(0)), 86_400_000),
        /**
         * Challenge mode: each assertion signs a one-time server challenge (sent in the challenge header and
         * appended to the client data), consumed once. Default off (counter-only).
         */
        challenge: z._default(
          z.union([
            z.boolean(),
            z.strictObject({ keyPrefix: z.optional(z.string().check(z.minLength(1), z.maxLength(64))), ttlMs: z.optional(z.number().check(z.int(), z.positive(), z.maximum(86_400_000))) }),
          ]), false),
        /** Without a challenge: each assertion signs a timestamp (epoch ms) that must be at most this old. */
        maxAgeMs: z.optional(z.number().check(z.int(), z.positive(), z.maximum(86_400_000))),
        /** Tolerated clock difference for signed timestamps in the future. Default 30 000 ms. */
        clockSkewMs: z._default(z.number().check(z.int(), z.minimum(0), z.maximum(600_000)), 30_000),
      }).check(z.refine((a) => a.challenge === false || a.maxAgeMs === undefined, {
        message: 'challenge and maxAgeMs are alternatives: a challenge lives only as long as its ttlMs',
      }))),
    /** How the verified attestation token's claims map onto the verdict. */
    tokenClaims: z.optional(z.strictObject({
        signals: z.optional(
          z.record(
            z.string().check(z.minLength(1), z.maxLength(128)),
            z.union([signalSchema, z.strictObject({ signal: signalSchema, equals: z.union([z.string(), z.number(), z.boolean()]) })]),
          )),
        deviceId: z.optional(z.string().check(z.minLength(1))),
        appVersion: z.optional(z.string().check(z.minLength(1))),
        appId: z.optional(z.string().check(z.minLength(1))),
        platform: z.optional(z.string().check(z.minLength(1))),
        levels: z.optional(z.string().check(z.minLength(1))),
        level: z.optional(levelSchema),
      })),
    /** Read the app's self-reported (unsigned) signals, version and device id. They can only lower trust. Default true. */
    selfReported: z._default(z.boolean(), true),
    /** Country from a trusted CDN header or a resolver. */
    country: z.optional(z.strictObject({
        headers: z.optional(z.array(headerName)),
        resolver: z.optional(fn<CountryResolver>('country.resolver')),
      })),
    /** CIDR reputation lists. */
    ipReputation: z.optional(z.strictObject({
        allow: z.optional(z.array(cidr)),
        lists: z.optional(
          z.array(
            z.strictObject({
                name: z.string().check(z.regex(LIST_NAME, 'letters, digits, _ and - only')),
                cidrs: z.optional(z.array(cidr)),
                file: z.optional(z.string().check(z.minLength(1))),
                action: z.optional(actionSchema),
                weight: z.optional(z.number().check(z.minimum(0), z.maximum(1000))),
              }),
          )),
      })),
    /** The policy. */
    policy: z.optional(policySchema),
  });

/** Device-risk options as users write them (shield config key `device`). */
export type DeviceRiskOptions = z.input<typeof deviceRiskOptionsSchema>;
/** Device-risk options after validation and defaults. */
export type ResolvedDeviceRiskOptions = z.output<typeof deviceRiskOptionsSchema>;
