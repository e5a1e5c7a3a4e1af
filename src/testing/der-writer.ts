/**
 * A minimal DER writer for test certificates only (never used to parse anything): Node cannot issue X.509
 * certificates, and the simulated App Attest CA needs a root, an intermediate and leaves carrying Apple's extensions.
 */
/** A DER element: tag byte(s), definite length, content. */
export function tlv(tag: number | number[], body: Uint8Array | Uint8Array[]): Buffer {
  const content = Array.isArray(body) ? Buffer.concat(body) : Buffer.from(body);
  const tagBytes = Buffer.from(Array.isArray(tag) ? tag : [tag]);
  return Buffer.concat([tagBytes, encodeLength(content.length), content]);
}

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** SEQUENCE. */
export const seq = (...items: Uint8Array[]): Buffer => tlv(0x30, items);
/** SET. */
export const set = (...items: Uint8Array[]): Buffer => tlv(0x31, items);
/** OCTET STRING. */
export const octets = (b: Uint8Array): Buffer => tlv(0x04, b);
/** BOOLEAN. */
export const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));
/** UTF8String. */
export const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
/** Context-specific constructed tag `[n]` (EXPLICIT). */
export const explicit = (n: number, ...items: Uint8Array[]): Buffer => tlv(0xa0 + n, items);

/** A positive INTEGER from a non-negative number or big-endian bytes. */
export function integer(value: number | Uint8Array): Buffer {
  let bytes: number[];
  if (typeof value === 'number') {
    bytes = [];
    for (let n = value; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    if (bytes.length === 0) bytes = [0];
  } else {
    bytes = [...value];
  }
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
}

/** OBJECT IDENTIFIER from dotted notation. */
export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [parts[0]! * 40 + parts[1]!];
  for (const part of parts.slice(2)) {
    const digits: number[] = [];
    let n = part;
    do {
      digits.unshift(n & 0x7f);
      n = Math.floor(n / 128);
    } while (n > 0);
    for (let i = 0; i < digits.length - 1; i++) digits[i]! |= 0x80;
    out.push(...digits);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime before 2050, GeneralizedTime after, as RFC 5280 requires. */
export function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}
