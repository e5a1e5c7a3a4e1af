import { hash, timingSafeEqual } from 'node:crypto';

/**
 * The RFC 9530 `Content-Digest` field: a Structured Fields Dictionary (RFC 8941) of algorithm → byte sequence,
 * `sha-256=:<base64>:, sha-512=:<base64>:`. Parsed strictly, by a single left-to-right scan (no regex, no
 * backtracking), because the shield compares it with a body it recomputes and an ambiguous value must never pass.
 */

/** The algorithms the shield recomputes (RFC 9530's "Active" ones); any other key is syntax-checked, then ignored. */
export type ContentDigestAlgorithm = 'sha-256' | 'sha-512';

/** Longest field value accepted: a sha-256 and a sha-512 member take ~150 characters; more is refused unparsed. */
export const MAX_CONTENT_DIGEST_LENGTH = 1024;
/** Most dictionary members accepted. */
const MAX_MEMBERS = 8;

const DIGEST_BYTES: Readonly<Record<ContentDigestAlgorithm, number>> = { 'sha-256': 32, 'sha-512': 64 };
const NODE_HASH: Readonly<Record<ContentDigestAlgorithm, string>> = { 'sha-256': 'sha256', 'sha-512': 'sha512' };

/** A parsed field: the digests of the supported algorithms present, or why the value is refused. */
export type ParsedContentDigest =
  | { readonly ok: true; readonly digests: ReadonlyMap<ContentDigestAlgorithm, Buffer> }
  | { readonly ok: false; readonly reason: string };

const fail = (reason: string): ParsedContentDigest => ({ ok: false, reason });

const isLcAlpha = (c: number) => c >= 0x61 && c <= 0x7a;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
// sf-key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )
const isKeyStart = (c: number) => isLcAlpha(c) || c === 0x2a;
const isKeyChar = (c: number) => isKeyStart(c) || isDigit(c) || c === 0x5f || c === 0x2d || c === 0x2e;
// RFC 8941 byte sequences use the base64 alphabet with `=` padding.
const isBase64Char = (c: number) => isLcAlpha(c) || (c >= 0x41 && c <= 0x5a) || isDigit(c) || c === 0x2b || c === 0x2f;

/**
 * Parses a `Content-Digest` value (repeated field lines already joined with `, `). Refused: anything over
 * `MAX_CONTENT_DIGEST_LENGTH`; a member that is not `key=:base64:` (a bare key, a token, a string, parameters); base64
 * that is not canonical padded base64; a duplicate key (RFC 8941 would keep the last one, but two values for one
 * algorithm are ambiguous where a digest is concerned); a sha-256/sha-512 digest of the wrong length; an empty member;
 * a value with no supported algorithm. Unknown algorithms are syntax-checked and ignored.
 */
export function parseContentDigest(value: string): ParsedContentDigest {
  if (value.length > MAX_CONTENT_DIGEST_LENGTH) return fail('Content-Digest too long');
  const digests = new Map<ContentDigestAlgorithm, Buffer>();
  const seen = new Set<string>();
  const end = value.length;
  let i = 0;
  while (i < end && value.charCodeAt(i) === 0x20) i++; // leading SP (RFC 8941 discards it)
  if (i === end) return fail('Content-Digest empty');
  for (;;) {
    // key
    const keyStart = i;
    if (!isKeyStart(value.charCodeAt(i))) return fail('Content-Digest member without a valid key');
    i++;
    while (i < end && isKeyChar(value.charCodeAt(i))) i++;
    const key = value.slice(keyStart, i);
    if (seen.has(key)) return fail(`Content-Digest has "${key}" twice`);
    seen.add(key);
    if (seen.size > MAX_MEMBERS) return fail('Content-Digest has too many members');
    // "=:" base64 ":"
    if (value.charCodeAt(i) !== 0x3d || value.charCodeAt(i + 1) !== 0x3a) return fail(`Content-Digest "${key}" is not a byte sequence`);
    i += 2;
    const b64Start = i;
    while (i < end && isBase64Char(value.charCodeAt(i))) i++;
    const dataEnd = i;
    while (i < end && value.charCodeAt(i) === 0x3d && i - dataEnd < 2) i++;
    if (value.charCodeAt(i) !== 0x3a) return fail(`Content-Digest "${key}" is not valid base64 between colons`);
    const b64 = value.slice(b64Start, i);
    i++;
    if (b64.length % 4 !== 0) return fail(`Content-Digest "${key}" is not padded base64`);
    const bytes = Buffer.from(b64, 'base64');
    // Canonical only: the decoder ignores stray bits in the last character, so re-encoding must give the same text.
    if (bytes.toString('base64') !== b64) return fail(`Content-Digest "${key}" is not canonical base64`);
    if (key === 'sha-256' || key === 'sha-512') {
      if (bytes.length !== DIGEST_BYTES[key]) return fail(`Content-Digest "${key}" has the wrong length`);
      digests.set(key, bytes);
    }
    // Parameters (`;x=1`) and anything else after the value are refused: RFC 9530 defines none.
    while (i < end && (value.charCodeAt(i) === 0x20 || value.charCodeAt(i) === 0x09)) i++;
    if (i === end) break;
    if (value.charCodeAt(i) !== 0x2c) return fail(`Content-Digest "${key}" is followed by something other than a member`);
    i++;
    while (i < end && (value.charCodeAt(i) === 0x20 || value.charCodeAt(i) === 0x09)) i++;
    if (i === end) return fail('Content-Digest ends with a comma');
  }
  if (digests.size === 0) return fail('Content-Digest has no supported algorithm (sha-256, sha-512)');
  return { ok: true, digests };
}

/**
 * True when every supported digest presented is the digest of `body` (a client cannot pass by adding a correct
 * digest next to a wrong one). Each comparison takes constant time for its length.
 */
export function contentDigestMatches(digests: ReadonlyMap<ContentDigestAlgorithm, Buffer>, body: Buffer): boolean {
  let all = digests.size > 0;
  for (const [algorithm, presented] of digests) {
    const expected = hash(NODE_HASH[algorithm], body, 'buffer');
    // Lengths were checked by the parser; the comparison runs first, so every digest is compared even after a mismatch.
    all = timingSafeEqual(presented, expected) && all;
  }
  return all;
}
