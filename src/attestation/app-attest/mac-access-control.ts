import { bytesEqual, children, content, DerError, findExtension, readElement } from './der-reader.js';

/** DER content of OID 1.2.840.113635.100.8.6, the macOS key access-control policy (`aclBlob`). */
const ACL_OID = new Uint8Array([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x08, 0x06]);

/**
 * The only access-control value Apple says to trust: the key's policy on a Mac with System Integrity Protection and
 * Full Security. Any other value means the key lives under a weaker policy.
 */
const FULL_SECURITY_ACL = Buffer.from('MEAMAjExMDowCQwCb2uhAwEB/zAJDAJvYaEDAQH/MAsMBG9kZWyhAwEB/zAVDARvc2duoAYMBHJzZWMwBaYDAgEB', 'base64');

/** What the macOS access-control extension says: Apple's expected policy, or another one. */
export type MacAccessControl = 'full-security' | 'other';

/**
 * Reads the macOS access-control extension of an attestation leaf (absent on iOS, iPadOS and visionOS: undefined).
 * Its value is SEQUENCE { [1] { OCTET STRING } }, like the nonce; an unreadable one counts as `other`.
 */
export function readMacAccessControl(leafDer: Uint8Array): MacAccessControl | undefined {
  let value: Uint8Array | undefined;
  try {
    value = findExtension(leafDer, ACL_OID);
    if (value === undefined) return undefined;
    const seq = readElement(value, 0, value.length);
    const tagged = children(value, seq).find((el) => el.tagByte === 0xa1);
    if (tagged === undefined) return 'other';
    const octets = readElement(value, tagged.start, tagged.end);
    if (octets.tagByte !== 0x04) return 'other';
    return bytesEqual(content(value, octets), FULL_SECURITY_ACL) ? 'full-security' : 'other';
  } catch (error) {
    if (error instanceof DerError) return value === undefined ? undefined : 'other';
    throw error;
  }
}

/** The expected access-control blob (for tests and tooling). */
export const MAC_FULL_SECURITY_ACL: Uint8Array = FULL_SECURITY_ACL;
