/**
 * Binding material (the header values a token is bound to) that already matched a token's digest, remembered so a
 * repeat request with the same token is recognised without hashing again. Compared as the digest sees it: the UTF-8
 * bytes (`hash('sha256', string)` encodes UTF-8 too, so two strings are the same material exactly when they hash
 * alike), in time that depends only on the lengths.
 */
const UTF8 = new TextEncoder();

/** Material longer than this (bytes) is never compared here: the caller hashes it, as for an unknown value. */
const SCRATCH_BYTES = 8192;

/**
 * The presented material's bytes, encoded into this one buffer (no allocation per request) and wiped after the
 * comparison, so every byte past the material is zero: compared four at a time against remembered bytes that are
 * zero-padded alike. Safe to share: the comparison is synchronous and calls nothing that could re-enter it.
 */
const scratch = new Uint8Array(SCRATCH_BYTES);
const scratchWords = new Uint32Array(scratch.buffer);

/** Remembered material: its byte length, and its bytes zero-padded to whole 32-bit words. */
export interface RememberedMaterial {
  readonly length: number;
  readonly words: Uint32Array;
}

/**
 * What to remember of material whose digest matched; `undefined` for material over `SCRATCH_BYTES`, which
 * `sameMaterial` never finds the same (keeping it would hold a copy that is never read).
 */
export function rememberMaterial(material: string): RememberedMaterial | undefined {
  const bytes = UTF8.encode(material);
  if (bytes.length > SCRATCH_BYTES) return undefined;
  const padded = new Uint8Array((bytes.length + 3) & ~3);
  padded.set(bytes);
  return { length: bytes.length, words: new Uint32Array(padded.buffer) };
}

/**
 * True when `material` is the remembered material. A token thief probing header values must not learn, from how fast
 * a request is answered, how much of the remembered value a guess shares: every word is compared (a length
 * difference is answered at once; the hash it replaces leaks the length just as much). Encoding into a buffer and
 * comparing words costs less than a `charCodeAt` loop over both strings (a third of a cached token-only check's
 * instructions with a 75-character Authorization value).
 */
export function sameMaterial(remembered: RememberedMaterial, material: string): boolean {
  const { read, written } = UTF8.encodeInto(material, scratch);
  let diff = read === material.length && written === remembered.length ? 0 : 1;
  if (diff === 0) {
    const words = remembered.words;
    for (let i = 0; i < words.length; i++) diff |= (scratchWords[i] as number) ^ (words[i] as number);
  }
  // Also what keeps the bytes past the next material zero (see `scratch`).
  scratch.fill(0, 0, written);
  return diff === 0;
}
