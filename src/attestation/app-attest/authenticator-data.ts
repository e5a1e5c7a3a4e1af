import { AppAttestError } from './errors.js';
import { readExtensions, type AppAttestExtensions } from './extensions.js';

/** The WebAuthn-style authenticator data App Attest puts in attestations and assertions. */
export interface AuthenticatorData {
  /** SHA-256 of the App ID (`TEAMID.bundleId`). */
  readonly rpIdHash: Uint8Array;
  readonly flags: number;
  /** Signature counter: 0 in an attestation, strictly increasing across assertions. */
  readonly counter: number;
  /** Present in attestations only: `appattestdevelop` or `appattest` followed by seven zero bytes. */
  readonly aaguid?: Uint8Array;
  /** Present in attestations only: the key identifier (SHA-256 of the public key). */
  readonly credentialId?: Uint8Array;
  /** Apple's extensions (iOS 27+: validation category, bundle version), when the ED flag is set. */
  readonly extensions?: AppAttestExtensions;
}

/** Minimum length: rpIdHash (32) + flags (1) + counter (4). */
const HEADER_LENGTH = 37;
/** Flag bit "attested credential data included". */
const FLAG_AT = 0x40;
/** Flag bit "extension data included". */
const FLAG_ED = 0x80;

/**
 * Parses authenticator data; throws `AppAttestError('malformed')` on any length inconsistency. Attested credential
 * data is read only when `withCredential` is set: Apple's assertions keep the AT flag set yet carry none.
 */
export function parseAuthenticatorData(data: Uint8Array, withCredential = false): AuthenticatorData {
  if (data.length < HEADER_LENGTH) throw new AppAttestError('malformed', 'authenticator data too short');
  const rpIdHash = data.subarray(0, 32);
  const flags = data[32]!;
  const counter = ((data[33]! << 24) >>> 0) + (data[34]! << 16) + (data[35]! << 8) + data[36]!;
  if (!withCredential || (flags & FLAG_AT) === 0) {
    // Assertions carry no credential data (even with AT set), so extensions follow the counter directly.
    if ((flags & FLAG_ED) === 0 || data.length === HEADER_LENGTH) return { rpIdHash, flags, counter };
    return { rpIdHash, flags, counter, extensions: readExtensions(data.subarray(HEADER_LENGTH), false) };
  }
  // aaguid (16) + credentialIdLength (2) must follow.
  if (data.length < HEADER_LENGTH + 18) throw new AppAttestError('malformed', 'attested credential data too short');
  const aaguid = data.subarray(37, 53);
  const idLength = (data[53]! << 8) + data[54]!;
  if (data.length < 55 + idLength) throw new AppAttestError('malformed', 'credential id exceeds authenticator data');
  const credentialId = data.subarray(55, 55 + idLength);
  if ((flags & FLAG_ED) === 0) return { rpIdHash, flags, counter, aaguid, credentialId };
  return { rpIdHash, flags, counter, aaguid, credentialId, extensions: readExtensions(data.subarray(55 + idLength), true) };
}
