import { DerError, readHeader } from './der-reader.js';

/**
 * A bounded BER reader for Apple's PKCS#7 receipts, which use indefinite lengths and chunked (constructed) OCTET
 * STRINGs where DER would not. Every element is checked against its parent's end, nesting and element counts are
 * capped, and lengths are limited to 4 bytes, so a hostile receipt can neither read out of bounds nor loop.
 * Structural errors throw {@link DerError}.
 */
export interface BerNode {
  /** First identifier octet (class, constructed bit, low tag number or 0x1f). */
  readonly tagByte: number;
  /** Tag number (high-tag-number form decoded). */
  readonly tagNumber: number;
  readonly constructed: boolean;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content byte. */
  readonly contentStart: number;
  /** Offset one past the last content byte (before an end-of-contents marker). */
  readonly contentEnd: number;
  /** Offset one past the whole element (after an end-of-contents marker). */
  readonly end: number;
  /** Whether the length was definite (DER-compatible). */
  readonly definite: boolean;
  /** Children of a constructed element. */
  readonly children: readonly BerNode[];
}

const MAX_DEPTH = 24;
const MAX_NODES = 20_000;

/** Parses the single BER element at the start of `buf` (trailing bytes are an error). */
export function parseBer(buf: Uint8Array): BerNode {
  const budget = { nodes: 0 };
  const node = parseElement(buf, 0, buf.length, 0, budget);
  if (node.end !== buf.length) throw new DerError('trailing bytes after the element');
  return node;
}

function parseElement(buf: Uint8Array, offset: number, limit: number, depth: number, budget: { nodes: number }): BerNode {
  if (depth > MAX_DEPTH) throw new DerError('nested too deeply');
  if (++budget.nodes > MAX_NODES) throw new DerError('too many elements');
  const { tagByte, tagNumber, contentStart, length } = readHeader(buf, offset, limit, true);
  const constructed = (tagByte & 0x20) !== 0;
  let pos = contentStart;
  if (length === -1) {
    // Indefinite length: children up to an end-of-contents marker (00 00). Only constructed elements may use it.
    if (!constructed) throw new DerError('indefinite length on a primitive');
    const children: BerNode[] = [];
    for (;;) {
      if (pos + 2 > limit) throw new DerError('missing end-of-contents');
      if (buf[pos] === 0 && buf[pos + 1] === 0) break;
      const child = parseElement(buf, pos, limit, depth + 1, budget);
      children.push(child);
      pos = child.end;
    }
    return { tagByte, tagNumber, constructed, start: offset, contentStart: children[0]?.start ?? pos, contentEnd: pos, end: pos + 2, definite: false, children };
  }
  const end = pos + length;
  if (end > limit) throw new DerError('element exceeds its parent');
  const children: BerNode[] = [];
  if (constructed) {
    for (let p = pos; p < end; ) {
      const child = parseElement(buf, p, end, depth + 1, budget);
      children.push(child);
      p = child.end;
    }
  }
  return { tagByte, tagNumber, constructed, start: offset, contentStart: pos, contentEnd: end, end, definite: true, children };
}

/** The bytes of an OCTET STRING, joining the chunks of a constructed one. */
export function octetString(buf: Uint8Array, node: BerNode): Buffer {
  if ((node.tagByte & 0xdf) !== 0x04) throw new DerError('not an OCTET STRING');
  if (!node.constructed) return Buffer.from(buf.subarray(node.contentStart, node.contentEnd));
  return Buffer.concat(node.children.map((c) => octetString(buf, c)));
}

/** The element's own bytes, which are its DER encoding when it and everything inside has definite lengths. */
export function derBytes(buf: Uint8Array, node: BerNode): Buffer {
  if (!allDefinite(node)) throw new DerError('element is not DER (indefinite length)');
  return Buffer.from(buf.subarray(node.start, node.end));
}

function allDefinite(node: BerNode): boolean {
  return node.definite && node.children.every(allDefinite);
}

/** A non-negative INTEGER up to 2^53 (receipt field types and versions). */
export function smallInteger(buf: Uint8Array, node: BerNode): number {
  if (node.tagByte !== 0x02 || node.contentEnd - node.contentStart < 1 || node.contentEnd - node.contentStart > 7) {
    throw new DerError('not a small INTEGER');
  }
  if (buf[node.contentStart]! & 0x80) throw new DerError('negative INTEGER');
  let n = 0;
  for (let i = node.contentStart; i < node.contentEnd; i++) n = n * 256 + buf[i]!;
  return n;
}
