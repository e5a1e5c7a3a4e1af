/**
 * A tiny, bounded DER reader: just enough to walk an X.509 certificate to its extensions. Every read is checked
 * against the enclosing element's end, lengths are limited to 4 bytes and indefinite lengths are refused, so a
 * hostile certificate can neither read out of bounds nor loop.
 */

/** One DER element: its full tag (class + constructed bit + number, high-tag-number form folded in) and content. */
export interface DerElement {
  /** First identifier octet (class, constructed bit, low tag number or 0x1f). */
  readonly tagByte: number;
  /** Tag number (high-tag-number form decoded). */
  readonly tagNumber: number;
  /** Offset of the first content byte. */
  readonly start: number;
  /** Offset one past the last content byte. */
  readonly end: number;
}

/** Thrown on any structural problem; callers translate it into their own failure reason. */
export class DerError extends Error {
  override readonly name = 'DerError';
}

/** The identifier and length octets of one element: what the DER and BER readers share. */
export interface ElementHeader {
  readonly tagByte: number;
  readonly tagNumber: number;
  /** Offset of the first content byte. */
  readonly contentStart: number;
  /** Content length, or -1 for BER's indefinite form (only when `allowIndefinite`). */
  readonly length: number;
}

/**
 * Reads the tag and length of the element at `offset` (bounded by `limit`). Lengths are limited to 4 bytes; the
 * indefinite form is refused unless `allowIndefinite` (BER), and the content is not checked against `limit` here.
 */
export function readHeader(buf: Uint8Array, offset: number, limit: number, allowIndefinite: boolean): ElementHeader {
  if (offset + 2 > limit) throw new DerError('truncated');
  let pos = offset;
  const tagByte = buf[pos++]!;
  let tagNumber = tagByte & 0x1f;
  if (tagNumber === 0x1f) {
    // High-tag-number form: base-128 digits; four are plenty for any tag Apple uses (1204, 1400, ...).
    tagNumber = 0;
    for (let i = 0; ; i++) {
      if (i === 4 || pos >= limit) throw new DerError('tag too long');
      const b = buf[pos++]!;
      tagNumber = tagNumber * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  if (pos >= limit) throw new DerError('truncated');
  let length = buf[pos++]!;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) {
      if (!allowIndefinite) throw new DerError('indefinite length');
      return { tagByte, tagNumber, contentStart: pos, length: -1 };
    }
    if (count > 4 || pos + count > limit) throw new DerError('length too long');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[pos++]!;
  }
  return { tagByte, tagNumber, contentStart: pos, length };
}

/** Reads the element starting at `offset`, which must end at or before `limit`. */
export function readElement(buf: Uint8Array, offset: number, limit: number): DerElement {
  if (limit > buf.length) throw new DerError('truncated');
  const { tagByte, tagNumber, contentStart, length } = readHeader(buf, offset, limit, false);
  const end = contentStart + length;
  if (end > limit) throw new DerError('element exceeds its parent');
  return { tagByte, tagNumber, start: contentStart, end };
}

/** The children of a constructed element, in order. */
export function children(buf: Uint8Array, parent: DerElement): DerElement[] {
  const out: DerElement[] = [];
  let pos = parent.start;
  while (pos < parent.end) {
    const child = readElement(buf, pos, parent.end);
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** The element's content bytes (a view, not a copy). */
export function content(buf: Uint8Array, el: DerElement): Uint8Array {
  return buf.subarray(el.start, el.end);
}

const TAG_SEQUENCE = 0x30;
const TAG_EXTENSIONS = 0xa3; // [3] EXPLICIT in TBSCertificate
const TAG_OID = 0x06;
const TAG_BOOLEAN = 0x01;
const TAG_OCTET_STRING = 0x04;

/**
 * The DER value (the content of the extnValue OCTET STRING) of the extension with `oid` (DER-encoded OID content
 * bytes), or undefined when the certificate has no such extension.
 */
export function findExtension(certDer: Uint8Array, oid: Uint8Array): Uint8Array | undefined {
  const cert = readElement(certDer, 0, certDer.length);
  if (cert.tagByte !== TAG_SEQUENCE) throw new DerError('certificate is not a sequence');
  const tbs = readElement(certDer, cert.start, cert.end);
  if (tbs.tagByte !== TAG_SEQUENCE) throw new DerError('tbsCertificate is not a sequence');
  for (const field of children(certDer, tbs)) {
    if (field.tagByte !== TAG_EXTENSIONS) continue;
    const list = readElement(certDer, field.start, field.end);
    if (list.tagByte !== TAG_SEQUENCE) throw new DerError('extensions is not a sequence');
    for (const ext of children(certDer, list)) {
      if (ext.tagByte !== TAG_SEQUENCE) throw new DerError('extension is not a sequence');
      const parts = children(certDer, ext);
      const id = parts[0];
      if (id === undefined || id.tagByte !== TAG_OID) throw new DerError('extension without oid');
      if (!bytesEqual(content(certDer, id), oid)) continue;
      let valueIndex = 1;
      if (parts[1]?.tagByte === TAG_BOOLEAN) valueIndex = 2;
      const value = parts[valueIndex];
      if (value === undefined || value.tagByte !== TAG_OCTET_STRING) throw new DerError('extension without value');
      return content(certDer, value);
    }
  }
  return undefined;
}

/** Constant-length-independent equality for short public byte strings (OIDs, hashes that are not secrets). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
