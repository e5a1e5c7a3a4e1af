/**
 * Paths sent base64-encoded. Download and include endpoints that take their file name base64-encoded
 * (`?file=L3B1YmxpYy9hLnBkZg==`, `/public/a.pdf`) decode it before they open it, so `Li4vLi4vZXRjL3Bhc3N3ZA==`
 * (`../../etc/passwd`) and `L2V0Yy9wYXNzd2Q=` (`/etc/passwd`) reach the file system as the traversal rules read them
 * in clear. Only a value that is base64 from its first character to its last, and whose first four characters encode
 * `../`, `..\` or a system root (PREFIXES), is decoded: a base64 token or id passes untouched unless its text is a path
 * the traversal rules deny. Linear; nothing is allocated before the first four characters and the alphabet have
 * been checked.
 */

/** Shortest value read (six decoded bytes: `/etc/x`, `../../`). */
const MIN_LENGTH = 8;
/** Longest value read: a path, not a document. */
const MAX_LENGTH = 4096;

/**
 * How a value base64Path decodes begins: the base64 of `../`, `..\`, `..%` and of the system roots the traversal
 * rules know (`/etc`, `/proc`, `/var`, `/root`, `/home`, `/usr`, `/bin`, `/sys`, `/dev`, `/opt`, `/boot`, `/run`,
 * `/srv`, `/windows`, `/Windows`, `/library`). Every encoding of a text with that start begins with these four
 * characters, so a value beginning otherwise is never decoded.
 */
const PREFIXES: readonly string[] = [
  'Li4v', 'Li5c', 'Li4l', 'L2V0', 'L3By', 'L3Zh', 'L3Jv', 'L2hv', 'L3Vz', 'L2Jp', 'L3N5', 'L2Rl', 'L29w', 'L2Jv', 'L3J1', 'L3Ny', 'L3dp', 'L1dp', 'L2xp',
];

/**
 * The plain values the traversal detector claims for base64Path (see `PlainValueReading.hint`): those beginning with
 * one of PREFIXES. An anchored hint run on values beginning `li`, `l1`, `l2` or `l3` only, where words would be looked
 * for in every character of every value.
 */
export const BASE64_PATH_HINT = new RegExp(`^l(?:${PREFIXES.map((prefix) => prefix.slice(1).toLowerCase()).join('|')})`);

/** How BASE64_PATH_HINT's matches begin (see `PlainValueReading.hintStarts`). */
export const BASE64_PATH_HINT_STARTS: readonly string[] = [...new Set(PREFIXES.map((prefix) => prefix.slice(0, 2).toLowerCase()))];

/** PREFIXES' second to fourth characters as `c1 << 16 | c2 << 8 | c3` (all begin with `L`). */
const PREFIX_TAILS: ReadonlySet<number> = new Set(PREFIXES.map((p) => (p.charCodeAt(1) << 16) | (p.charCodeAt(2) << 8) | p.charCodeAt(3)));

/** The base64 alphabets (standard and URL-safe) but `=`. */
function isBase64Char(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 45 || c === 95;
}

/**
 * The lower-cased text `s` encodes when `s` is, whole, base64 that begins with one of PREFIXES (see the file's
 * TSDoc) and encodes printable ASCII (NUL allowed: `passwd\0`); undefined for anything else.
 */
export function base64Path(s: string): string | undefined {
  const n = s.length;
  if (n < MIN_LENGTH || n > MAX_LENGTH || s.charCodeAt(0) !== 76 /* L */) return undefined;
  if (!PREFIX_TAILS.has((s.charCodeAt(1) << 16) | (s.charCodeAt(2) << 8) | s.charCodeAt(3))) return undefined;
  let end = n;
  while (end > n - 2 && s.charCodeAt(end - 1) === 61 /* = */) end--;
  for (let i = 0; i < end; i++) if (!isBase64Char(s.charCodeAt(i))) return undefined;
  const text = Buffer.from(s, 'base64').toString('latin1');
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0 && (c < 32 || c > 126)) return undefined;
  }
  return text.toLowerCase();
}
