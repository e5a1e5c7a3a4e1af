import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { decodeDigest } from '../../core/binding-digest.js';
import { ENGLISH } from '../../core/zod-locale.js';
import { jsonTextProblem, jsonValueTooDeep, parseStrictJson } from '../../core/strict-json.js';

/** A challenge as the service issues it: 32 random bytes, base64url. */
const challenge = z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/, 'must be a challenge the service issued'));
/**
 * An installation id the app chose for itself (not attested): a short opaque token. It becomes an Android token's
 * `sub`, so it may not take the `ios:` form of an attested iOS key's subject.
 */
const installationId = z.string().check(
  z.regex(/^[A-Za-z0-9._:-]{8,128}$/, 'must be 8-128 characters of [A-Za-z0-9._:-]'),
  z.refine((id) => !id.startsWith('ios:'), 'must not start with "ios:" (the subjects of attested iOS keys)'),
);
/** Base64 SHA-256 of the value the token should be bound to; normalised to padded base64. */
const binding = z.pipe(
  z.string().check(z.maxLength(64)),
  z.transform((value: string, ctx) => {
    const digest = decodeDigest(value, 'either');
    if (digest === undefined) {
      ctx.issues.push({ code: 'custom', message: 'must be a base64 SHA-256 digest', input: value });
      return z.NEVER;
    }
    return digest.toString('base64');
  }),
);
/** A pin-set version the app holds (checked against the service's `channel` options). */
const pinSetVersion = z.number().check(z.int(), z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER));
/** The client data of a token request: the exact JSON text the platform's signature covers (through its hash). */
const clientData = z.string().check(z.minLength(1), z.maxLength(1_024));
/** Base64 or base64url text of bounded length. */
const base64 = (max: number) => z.string().check(z.minLength(1), z.maxLength(max), z.regex(/^[A-Za-z0-9+/_-]+={0,2}$/, 'must be base64'));

/** `POST {prefix}/challenge`: an optional device hint used only to rate-limit per device. */
export const challengeRequest = z.strictObject({ installationId: z.optional(installationId), keyId: z.optional(base64(64)) });

/**
 * `POST {prefix}/android`. The app sets the Play Integrity `requestHash` (standard request) or `nonce` (classic) to
 * {@link clientDataHash} of `clientData`, so Google's signature covers every field the issued token carries.
 */
export const androidTokenRequest = z.strictObject({ integrityToken: z.string().check(z.minLength(1), z.maxLength(16_384)), clientData });

/** The JSON inside `clientData` of an Android token request. */
export const androidClientData = z.strictObject({
  challenge,
  installationId: z.optional(installationId),
  binding: z.optional(binding),
  pinSetVersion: z.optional(pinSetVersion),
});

/** `POST {prefix}/ios/register`. */
export const iosRegisterRequest = z.strictObject({ keyId: base64(64), attestation: base64(48_000), challenge });

/** `POST {prefix}/ios/token`. `clientData` is the exact text the app hashed for the assertion. */
export const iosTokenRequest = z.strictObject({ keyId: base64(64), assertion: base64(4_096), clientData });

/** The JSON inside `clientData` of an iOS token request. */
export const iosClientData = z.strictObject({ challenge, binding: z.optional(binding), pinSetVersion: z.optional(pinSetVersion) });

/** What an Android app sets as the Play Integrity request hash or nonce: base64url (unpadded) SHA-256 of the client data's UTF-8. */
export function clientDataHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}

/** Reads the JSON text of a request's `clientData` with its schema; wrong fields are named under `clientData.`. */
export function parseClientData<T extends z.ZodMiniType>(
  schema: T,
  text: string,
): { ok: true; value: z.output<T> } | { ok: false; fields: string[] } {
  // Read strictly, as the body is: a key twice (which `challenge` counts?) or deep nesting is not client data.
  const parsed = parseStrictJson(text);
  if (!parsed.ok) return { ok: false, fields: ['clientData'] };
  const data = parsed.value;
  // `{}` stands for a missing body in parseRequest; here `null` or a scalar is not client data at all.
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { ok: false, fields: ['clientData'] };
  const inner = parseRequest(schema, data);
  return inner.ok ? inner : { ok: false, fields: inner.fields.map((f) => `clientData.${f}`) };
}

/** Reads a body with a schema: the value, or the list of field paths that are wrong (never their values). */
export function parseRequest<T extends z.ZodMiniType>(
  schema: T,
  body: unknown,
): { ok: true; value: z.output<T> } | { ok: false; fields: string[] } {
  const result = schema.safeParse(body ?? {}, ENGLISH);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, fields: result.error.issues.map((i) => i.path.join('.') || '(body)') };
}

/**
 * Why a request body is refused before its schema is read, or undefined: objects and arrays nested deeper than
 * `MAX_JSON_NESTING` (64), or an object with the same key twice at any depth (`{"nonce":"a","nonce":"b"}`: a proxy
 * or WAF in front may read the first, `JSON.parse` keeps the last). Read from the bytes the body was parsed from;
 * a body a framework parser produced without keeping them (express.json() without `captureRawBody()`) is checked
 * for depth only, as its duplicate keys are already gone.
 */
export function bodyStructureProblem(request: { readonly body: unknown; readonly rawBody?: Buffer }): 'too_deep' | 'duplicate_key' | undefined {
  if (typeof request.body !== 'object' || request.body === null) return undefined; // a scalar has no keys or depth
  if (request.rawBody !== undefined) return jsonTextProblem(request.rawBody.toString('utf8'));
  return jsonValueTooDeep(request.body) ? 'too_deep' : undefined;
}
