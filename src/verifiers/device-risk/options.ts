import type { X509Certificate } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
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
const conditionKey = z.string().refine(isCondition, {
  message: `must be a device signal (${DEVICE_SIGNALS.join(', ')}), a derived condition (${DERIVED_CONDITIONS.join(', ')}) or ip:<list>`,
});
const versionSchema = z.union([z.number().int().nonnegative(), z.string().regex(/^v?\d{1,9}(?:\.\d{1,9}){0,5}$/)]);
const headerName = headerNameSchema;
const cidr = z.string().refine((s) => ipaddr.isValidCIDR(s) || ipaddr.isValid(s), 'must be a CIDR or an IP address');

const overrideShape = {
  /** Action per condition. */
  actions: z.record(conditionKey, actionSchema).optional(),
  /** Score weight per condition. */
  weights: z.record(conditionKey, z.number().min(0).max(1000)).optional(),
  /** Score thresholds. */
  thresholds: z
    .object({ stepUp: z.number().min(0).optional(), deny: z.number().min(0).optional() })
    .strict()
    .optional(),
  /** Device level the attested sources must show. */
  requiredLevel: z.union([levelSchema, z.literal('none')]).optional(),
  /** Required level by minimum Android API level (`{ 33: 'MEETS_STRONG_INTEGRITY' }`). */
  requiredLevelBySdk: z
    .record(z.string().regex(/^[1-9]\d{0,2}$/, 'must be an Android API level'), z.union([levelSchema, z.literal('none')]))
    .optional(),
  /** Minimum app version per platform. */
  minAppVersion: z.object({ android: versionSchema.optional(), ios: versionSchema.optional() }).strict().optional(),
};

/** Schema of a market/sensitivity override. */
export const policyOverrideSchema = z.object(overrideShape).strict();

/** Schema of `RouteOptions.device` (without the `false` the route schema adds). */
export const deviceRouteOptionsSchema = z
  .object({ ...overrideShape, sensitivity: z.string().min(1).max(64).optional() })
  .strict();

const policySchema = z
  .object({
    ...overrideShape,
    markets: z.record(z.string().regex(/^[A-Z][A-Z0-9]$/, 'must be an upper-case ISO country code'), policyOverrideSchema).optional(),
    sensitivities: z.record(z.string().min(1).max(64), policyOverrideSchema).optional(),
    devices: z
      .object({ allow: z.array(z.string().min(1).max(256)).optional(), deny: z.array(z.string().min(1).max(256)).optional() })
      .strict()
      .optional(),
  })
  .strict();

/** Schema of the shield config key `device` (the device-risk verifier). */
export const deviceRiskOptionsSchema = z
  .object({
    /** This verifier's mode (a route's `verifiers['device-risk']` overrides it). */
    mode: z.enum(['enforce', 'monitor']).optional(),
    /** Pass instead of 503 when the verifier cannot decide (store down, decoder unreachable). Default false. */
    failOpen: z.boolean().optional(),
    timeoutMs: z.number().int().positive().max(60_000).optional(),
    /** Header names (lower-case). */
    headers: z
      .object({
        playIntegrity: headerName,
        appAttestAssertion: headerName,
        appAttestKeyId: headerName,
        appAttestChallenge: headerName,
        appAttestTimestamp: headerName,
        bodyHash: headerName,
        selfReported: headerName,
        appVersion: headerName,
        deviceId: headerName,
      })
      .partial()
      .strict()
      .optional(),
    /**
     * The canonical request a per-request proof is bound to (see `requestBinding`). `versions`: accepted forms, in
     * the order tried; `v1` (no query string, no credential) only when listed. `headers`: headers bound by `v2`.
     */
    binding: z
      .object({
        versions: z.array(z.enum(['v2', 'v1'])).min(1).max(2).default(['v2']),
        headers: z.array(headerName).max(16).default(['authorization']),
      })
      .strict()
      .default({ versions: ['v2'], headers: ['authorization'] }),
    /** Google Play Integrity (local keys or an injected decoder). */
    playIntegrity: z
      .object({
        packageName: z.string().min(1).max(256),
        decryptionKey: z.string().min(1).optional(),
        verificationKey: z.string().min(1).optional(),
        decoder: fn<PlayIntegrityDecoder>('playIntegrity.decoder').optional(),
        certificateDigests: z.array(z.string().min(1)).optional(),
        maxAgeMs: z.number().int().positive().max(86_400_000).optional(),
        clockSkewMs: z.number().int().min(0).max(600_000).optional(),
        /** Accept Google's test verdicts (`testingDetails.isTestingResponse`). Default false. */
        allowTestResponses: z.boolean().default(false),
        /** Accept each token once (kept in the store for maxAge + skew). Default true. */
        replay: z.boolean().default(true),
      })
      .strict()
      .refine((p) => p.decoder !== undefined || (p.decryptionKey !== undefined && p.verificationKey !== undefined), {
        message: 'needs decryptionKey and verificationKey, or a decoder',
      })
      .optional(),
    /** Apple App Attest (assertions against keys registered in the store). */
    appAttest: z
      .object({
        teamId: z.string().regex(/^[A-Z0-9]{10}$/, 'must be a 10-character Apple Team ID'),
        bundleId: z.string().min(1).max(256),
        environment: z.enum(['development', 'production']),
        trustAnchor: z
          .union([z.string().min(1), z.custom<X509Certificate>((v) => typeof v === 'object' && v !== null && 'fingerprint256' in v)])
          .optional(),
        keyPrefix: z.string().min(1).max(64).optional(),
        keyTtlMs: z.number().int().positive().optional(),
        /** The level a verified assertion vouches for. Default MEETS_DEVICE_INTEGRITY. */
        level: levelSchema.default('MEETS_DEVICE_INTEGRITY'),
        /** A key registered more recently than this marks the device `newDevice`. Default 24 h. */
        newDeviceWindowMs: z.number().int().min(0).default(86_400_000),
        /**
         * Challenge mode: each assertion signs a one-time server challenge (sent in the challenge header and
         * appended to the client data), consumed once. Default off (counter-only).
         */
        challenge: z
          .union([
            z.boolean(),
            z
              .object({ keyPrefix: z.string().min(1).max(64).optional(), ttlMs: z.number().int().positive().max(86_400_000).optional() })
              .strict(),
          ])
          .default(false),
        /** Without a challenge: each assertion signs a timestamp (epoch ms) that must be at most this old. */
        maxAgeMs: z.number().int().positive().max(86_400_000).optional(),
        /** Tolerated clock difference for signed timestamps in the future. Default 30 000 ms. */
        clockSkewMs: z.number().int().min(0).max(600_000).default(30_000),
      })
      .strict()
      .refine((a) => a.challenge === false || a.maxAgeMs === undefined, {
        message: 'challenge and maxAgeMs are alternatives: a challenge lives only as long as its ttlMs',
      })
      .optional(),
    /** How the verified attestation token's claims map onto the verdict. */
    tokenClaims: z
      .object({
        signals: z
          .record(
            z.string().min(1).max(128),
            z.union([signalSchema, z.object({ signal: signalSchema, equals: z.union([z.string(), z.number(), z.boolean()]) }).strict()]),
          )
          .optional(),
        deviceId: z.string().min(1).optional(),
        appVersion: z.string().min(1).optional(),
        appId: z.string().min(1).optional(),
        platform: z.string().min(1).optional(),
        levels: z.string().min(1).optional(),
        level: levelSchema.optional(),
      })
      .strict()
      .optional(),
    /** Read the app's self-reported (unsigned) signals, version and device id. They can only lower trust. Default true. */
    selfReported: z.boolean().default(true),
    /** Country from a trusted CDN header or a resolver. */
    country: z
      .object({
        headers: z.array(headerName).optional(),
        resolver: fn<CountryResolver>('country.resolver').optional(),
      })
      .strict()
      .optional(),
    /** CIDR reputation lists. */
    ipReputation: z
      .object({
        allow: z.array(cidr).optional(),
        lists: z
          .array(
            z
              .object({
                name: z.string().regex(LIST_NAME, 'letters, digits, _ and - only'),
                cidrs: z.array(cidr).optional(),
                file: z.string().min(1).optional(),
                action: actionSchema.optional(),
                weight: z.number().min(0).max(1000).optional(),
              })
              .strict(),
          )
          .optional(),
      })
      .strict()
      .optional(),
    /** The policy. */
    policy: policySchema.optional(),
  })
  .strict();

/** Device-risk options as users write them (shield config key `device`). */
export type DeviceRiskOptions = z.input<typeof deviceRiskOptionsSchema>;
/** Device-risk options after validation and defaults. */
export type ResolvedDeviceRiskOptions = z.output<typeof deviceRiskOptionsSchema>;
