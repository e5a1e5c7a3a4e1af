/**
 * The arguments of the public `issueToken()`, checked before anything is signed: a custom evidence flow calls it
 * with values the service's routes did not produce (a NaN pin-set version was signed as `psv: null`).
 */
import * as z from 'zod/mini';
import { decodeDigest } from '../../core/binding-digest.js';
import { ENGLISH } from '../../core/zod-locale.js';
import { DEVICE_SIGNALS } from '../../verifiers/device-risk/signals.js';
import { DEVICE_LEVELS } from '../play-integrity/payload.js';

/** The verdict fields the token's claims are built from; other fields (`apple`) are the policy's and pass as they are. */
const verdictSchema = z.looseObject({
  platform: z.enum(['android', 'ios']),
  app: z.looseObject({ id: z.string(), version: z.optional(z.union([z.number(), z.string()])) }),
  device: z.looseObject({
    id: z.optional(z.string().check(z.minLength(1))),
    levels: z.array(z.enum(DEVICE_LEVELS)),
    signals: z.array(z.enum(DEVICE_SIGNALS)),
  }),
  environment: z.optional(z.enum(['development', 'production'])),
});

/** Longest `sub` the service signs (its own subjects are at most 128 characters). */
const MAX_SUBJECT_LENGTH = 256;

/**
 * Throws a TypeError naming the first bad argument (never its value); returns the binding as canonical padded
 * base64 (the spelling the routes sign), or undefined.
 */
export function checkIssueArguments(verdict: unknown, subject: unknown, binding: unknown, pinSetVersion: unknown): string | undefined {
  const parsed = verdictSchema.safeParse(verdict, ENGLISH);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TypeError(`issueToken: ${['verdict', ...issue.path.map(String)].join('.')}: ${issue.message}`);
  }
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH) {
    throw new TypeError(`issueToken: subject must be a string of 1 to ${MAX_SUBJECT_LENGTH} characters`);
  }
  if (pinSetVersion !== undefined && !(Number.isSafeInteger(pinSetVersion) && (pinSetVersion as number) >= 0)) {
    throw new TypeError('issueToken: pinSetVersion must be a non-negative integer (or undefined)');
  }
  if (binding === undefined) return undefined;
  const digest = typeof binding === 'string' ? decodeDigest(binding, 'either') : undefined;
  if (digest === undefined) throw new TypeError('issueToken: binding must be a base64 SHA-256 digest (or undefined)');
  return digest.toString('base64');
}
