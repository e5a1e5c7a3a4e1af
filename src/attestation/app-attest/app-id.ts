import { AppAttestError } from './errors.js';
import { bytesEqual, children, content, DerError, findExtension, readElement } from './der-reader.js';

/** DER content of OID 1.2.840.113635.100.8.5 (Apple's key description, which carries the App ID). */
const KEY_DESCRIPTION_OID = new Uint8Array([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x08, 0x05]);
/** Context tag of the App ID inside the key description. */
const APP_ID_TAG = 1204;

/** The App ID (`TEAMID.bundleId`) Apple certified in the leaf, or undefined when the leaf does not carry it. */
export function certifiedAppId(leafDer: Uint8Array): string | undefined {
  try {
    const value = findExtension(leafDer, KEY_DESCRIPTION_OID);
    if (value === undefined) return undefined;
    const seq = readElement(value, 0, value.length);
    for (const field of children(value, seq)) {
      if ((field.tagByte & 0xc0) !== 0x80 || field.tagNumber !== APP_ID_TAG) continue;
      const inner = readElement(value, field.start, field.end);
      if (inner.tagByte !== 0x04) return undefined;
      return Buffer.from(content(value, inner)).toString('utf8');
    }
    return undefined;
  } catch (error) {
    if (error instanceof DerError) return undefined;
    throw error;
  }
}

/**
 * Turns an rpIdHash mismatch into its precise reason. The rpIdHash alone cannot say which half of the App ID is
 * wrong, so when a trustworthy App ID is at hand (certified in the leaf, or recorded at registration) and it does
 * hash to the received rpIdHash, the halves are compared; otherwise the reason stays `app_id_mismatch`.
 */
export function appIdMismatch(
  rpIdHash: Uint8Array,
  knownAppId: string | undefined,
  teamId: string,
  bundleId: string,
  hash: (s: string) => Uint8Array,
): AppAttestError {
  if (knownAppId !== undefined && bytesEqual(hash(knownAppId), rpIdHash)) {
    const dot = knownAppId.indexOf('.');
    const knownTeam = dot < 0 ? knownAppId : knownAppId.slice(0, dot);
    const knownBundle = dot < 0 ? '' : knownAppId.slice(dot + 1);
    if (knownTeam !== teamId) return new AppAttestError('team_mismatch');
    if (knownBundle !== bundleId) return new AppAttestError('bundle_mismatch');
  }
  return new AppAttestError('app_id_mismatch');
}
