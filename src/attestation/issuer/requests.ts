import { z } from 'zod';
import { decodeDigest } from '../../core/binding-digest.js';

/** A challenge as the service issues it: 32 random bytes, base64url. */
const challenge = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a challenge the service issued');
/** An installation id the app chose for itself (not attested): a short opaque token. */
const installationId = z.string().regex(/^[A-Za-z0-9._:-]{8,128}$/, 'must be 8-128 characters of [A-Za-z0-9._:-]');
/** Base64 SHA-256 of the value the token should be bound to; normalised to padded base64. */
const binding = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    const digest = decodeDigest(value, 'either');
    if (digest === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be a base64 SHA-256 digest' });
      return z.NEVER;
    }
    return digest.toString('base64');
  });
/** Base64 or base64url text of bounded length. */
const base64 = (max: number) => z.string().min(1).max(max).regex(/^[A-Za-z0-9+/_-]+={0,2}$/, 'must be base64');

/** `POST {prefix}/challenge`: an optional device hint used only to rate-limit per device. */
export const challengeRequest = z.object({ installationId: installationId.optional(), keyId: base64(64).optional() }).strict();

/** `POST {prefix}/android`. */
export const androidRequest = z
  .object({
    integrityToken: z.string().min(1).max(16_384),
    challenge,
    installationId: installationId.optional(),
    binding: binding.optional(),
    pinSetVersion: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();

/** `POST {prefix}/ios/register`. */
export const iosRegisterRequest = z
  .object({ keyId: base64(64), attestation: base64(48_000), challenge })
  .strict();

/** `POST {prefix}/ios/token`. `clientData` is the exact text the app hashed for the assertion. */
export const iosTokenRequest = z
  .object({ keyId: base64(64), assertion: base64(4_096), clientData: z.string().min(1).max(1_024) })
  .strict();

/** The JSON inside `clientData` of an iOS token request. */
export const iosClientData = z
  .object({ challenge, binding: binding.optional(), pinSetVersion: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional() })
  .strict();

/** Reads a body with a schema: the value, or the list of field paths that are wrong (never their values). */
export function parseRequest<T extends z.ZodType>(
  schema: T,
  body: unknown,
): { ok: true; value: z.output<T> } | { ok: false; fields: string[] } {
  const result = schema.safeParse(body ?? {});
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, fields: result.error.issues.map((i) => i.path.join('.') || '(body)') };
}
