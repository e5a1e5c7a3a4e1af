import { createHash } from 'node:crypto';
import { headerValue, type ShieldRequest } from '../../core/request.js';

/**
 * The canonical description of a request that App Attest assertions and Play Integrity tokens are bound to:
 *
 *     METHOD "\n" PATH "\n" BODY_SHA256
 *
 * METHOD is upper-case, PATH is the path exactly as sent (percent-encoded, no query string), BODY_SHA256 is the
 * value of the body-hash header (base64url SHA-256 of the raw body; empty when the request has no body or the
 * header is absent). The app builds the same string, hashes it with SHA-256 and uses the digest as the App Attest
 * `clientDataHash`, and its base64url form as the Play Integrity `nonce` (classic) or `requestHash` (standard).
 *
 * The body-hash header is only bound here; checking it against the body is the body stage's job (see the README).
 */
export interface RequestBinding {
  /** The canonical string (what the app hashes as App Attest client data). */
  readonly clientData: string;
  /** SHA-256 of `clientData`. */
  readonly digest: Buffer;
  /** base64url of `digest` (unpadded): the expected Play Integrity nonce / requestHash. */
  readonly digestBase64Url: string;
}

/** Builds the binding of `request`; `bodyHashHeader` is a lower-case header name. */
export function requestBinding(request: ShieldRequest, bodyHashHeader: string): RequestBinding {
  const bodyHash = headerValue(request, bodyHashHeader) ?? '';
  const clientData = `${request.method.toUpperCase()}\n${request.path}\n${bodyHash}`;
  const digest = createHash('sha256').update(clientData, 'utf8').digest();
  return { clientData, digest, digestBase64Url: digest.toString('base64url') };
}
