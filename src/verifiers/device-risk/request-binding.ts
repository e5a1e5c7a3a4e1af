import { createHash } from 'node:crypto';
import { headerValue, type ShieldRequest } from '../../core/request.js';

/**
 * How a request is described for its device proof. App Attest assertions and Play Integrity tokens are bound to
 * SHA-256 of a canonical string the app builds from the request it is about to send:
 *
 * `v2` (default) covers the whole request the API acts on:
 *
 *     "v2" "\n" METHOD "\n" PATH "\n" QUERY "\n" (NAME ":" VALUE "\n")* BODY_SHA256
 *
 * - METHOD upper-case; PATH exactly as sent (percent-encoded, no query string);
 * - QUERY the raw query string after `?`, exactly as sent (percent-encoded, no `?`; empty when there is none);
 * - one `NAME:VALUE` line per bound header, in the configured order (default: `authorization` only), NAME
 *   lower-case, VALUE as sent (empty when the header is absent), so a proof made on Alice's session does not
 *   cover Mallory's;
 * - BODY_SHA256 the value of the body-hash header (base64url SHA-256 of the raw body; empty without a body).
 *
 * `v1` (legacy, accepted only when configured): `METHOD "\n" PATH "\n" BODY_SHA256`. It covers neither the query
 * string nor the caller's credential.
 *
 * The digest is the App Attest `clientDataHash`, and its base64url form the Play Integrity `nonce` (classic) or
 * `requestHash` (standard). The body-hash header is only bound here; checking it against the body is the body
 * stage's job (see docs/device.md).
 */
export interface RequestBinding {
  readonly version: BindingVersion;
  /** The canonical string (what the app hashes as App Attest client data). */
  readonly clientData: string;
  /** SHA-256 of `clientData`. */
  readonly digest: Buffer;
  /** base64url of `digest` (unpadded): the expected Play Integrity nonce / requestHash. */
  readonly digestBase64Url: string;
}

/** Canonical-string versions. */
export type BindingVersion = 'v1' | 'v2';

/** Which canonical form to build; `headers` (lower-case) apply to `v2` only. */
export interface BindingFormat {
  readonly version: BindingVersion;
  readonly headers?: readonly string[];
}

/** Default format: `v2` binding the `authorization` header. */
export const DEFAULT_BINDING_FORMAT: BindingFormat = Object.freeze({ version: 'v2', headers: Object.freeze(['authorization']) });

/** Thrown when the request's raw query string is not known (a custom integration passed a parsed object). */
export class UnbindableRequestError extends Error {
  override readonly name = 'UnbindableRequestError';
}

/** Builds the binding of `request` in `format`; `bodyHashHeader` is a lower-case header name. */
export function requestBinding(
  request: ShieldRequest,
  bodyHashHeader: string,
  format: BindingFormat = DEFAULT_BINDING_FORMAT,
): RequestBinding {
  const bodyHash = headerValue(request, bodyHashHeader) ?? '';
  const method = request.method.toUpperCase();
  // The path the client sent and signed, also when a URL rewrite before the shield routes another one.
  const path = request.sentPath ?? request.path;
  let clientData: string;
  if (format.version === 'v1') {
    clientData = `${method}\n${path}\n${bodyHash}`;
  } else {
    clientData = `v2\n${method}\n${path}\n${rawQuery(request)}\n`;
    for (const name of format.headers ?? []) clientData += `${name}:${headerValue(request, name) ?? ''}\n`;
    clientData += bodyHash;
  }
  const digest = createHash('sha256').update(clientData, 'utf8').digest();
  return { version: format.version, clientData, digest, digestBase64Url: digest.toString('base64url') };
}

/** The raw query string; a parsed query object cannot be hashed the way the app did, unless it is empty. */
function rawQuery(request: ShieldRequest): string {
  const query = request.query;
  if (query === undefined || typeof query === 'string') return query ?? '';
  if (Object.keys(query).length === 0) return '';
  throw new UnbindableRequestError('the raw query string is unavailable');
}
