/**
 * Normalisation: undoes the encodings attackers stack to slip past pattern checks (double URL encoding, `%uXXXX`,
 * `\uXXXX`/`\xXX` escapes, HTML entities, overlong UTF-8). Every step is a single left-to-right pass and the number of
 * rounds is bounded, so the whole pipeline is linear in the input length.
 */

/** Rounds of decoding applied at most; three covers double and triple encoding without unbounded work. */
export const DEFAULT_DECODE_ROUNDS = 3;

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

function isContinuation(byte: number | undefined): byte is number {
  return byte !== undefined && (byte & 0xc0) === 0x80;
}

/**
 * Decodes UTF-8 bytes leniently: overlong forms (`C0 AE` for `.`) decode to their code point, as some old decoders
 * did (that is the attack), and bytes that start no valid sequence map to the Latin-1 character of the same value.
 */
export function decodeLenientUtf8(bytes: readonly number[]): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x80) {
      out += String.fromCharCode(b);
    } else if ((b === 0xc0 || b === 0xc1) && bytes[i + 1] !== undefined) {
      // C0/C1 only ever start overlong forms; old decoders took the low bits of the next byte even when it was
      // not a continuation byte (`%c0%2e` → `.`, `%c1%9c` → `\`). C0 before an ASCII byte from `@` on, whose low
      // bits would make a control character, is read as decoders that drop the invalid lead byte read it: the ASCII
      // byte (`%c0%5c` → `\`, the backslash of LFI lists' `%c0%2e%c0%2e%c0%5c`).
      const next = bytes[i + 1]!;
      out += String.fromCharCode(b === 0xc0 && next >= 0x40 && next < 0x80 ? next : ((b & 0x01) << 6) | (next & 0x3f));
      i += 1;
    } else if (b >= 0xc2 && b <= 0xdf && isContinuation(bytes[i + 1])) {
      out += String.fromCharCode(((b & 0x1f) << 6) | (bytes[i + 1]! & 0x3f));
      i += 1;
    } else if (b >= 0xe0 && b <= 0xef && isContinuation(bytes[i + 1]) && isContinuation(bytes[i + 2])) {
      const cp = ((b & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f);
      out += String.fromCharCode(cp);
      i += 2;
    } else if (
      b >= 0xf0 &&
      b <= 0xf7 &&
      isContinuation(bytes[i + 1]) &&
      isContinuation(bytes[i + 2]) &&
      isContinuation(bytes[i + 3])
    ) {
      const cp =
        ((b & 0x07) << 18) | ((bytes[i + 1]! & 0x3f) << 12) | ((bytes[i + 2]! & 0x3f) << 6) | (bytes[i + 3]! & 0x3f);
      out += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
      i += 3;
    } else {
      out += String.fromCharCode(b);
    }
  }
  return out;
}

/**
 * Percent-decodes `input` without ever throwing: `%XX` runs are decoded as lenient UTF-8, `%uXXXX` as a UTF-16 unit,
 * and anything malformed (`50% off`) stays as it is. With `plusAsSpace`, `+` becomes a space (form encoding).
 */
export function percentDecode(input: string, plusAsSpace = false): string {
  if (input.indexOf('%') === -1 && (!plusAsSpace || input.indexOf('+') === -1)) return input;
  let out = '';
  let bytes: number[] = [];
  const n = input.length;
  for (let i = 0; i < n; i++) {
    const c = input.charCodeAt(i);
    if (c === 37 /* % */) {
      if (i + 2 < n) {
        const h = hexValue(input.charCodeAt(i + 1));
        const l = hexValue(input.charCodeAt(i + 2));
        if (h >= 0 && l >= 0) {
          bytes.push(h * 16 + l);
          i += 2;
          continue;
        }
      }
      if (i + 5 < n && (input.charCodeAt(i + 1) | 0x20) === 117 /* u */) {
        const a = hexValue(input.charCodeAt(i + 2));
        const b = hexValue(input.charCodeAt(i + 3));
        const d = hexValue(input.charCodeAt(i + 4));
        const e = hexValue(input.charCodeAt(i + 5));
        if (a >= 0 && b >= 0 && d >= 0 && e >= 0) {
          if (bytes.length > 0) {
            out += decodeLenientUtf8(bytes);
            bytes = [];
          }
          out += String.fromCharCode((a << 12) | (b << 8) | (d << 4) | e);
          i += 5;
          continue;
        }
      }
    }
    if (bytes.length > 0) {
      out += decodeLenientUtf8(bytes);
      bytes = [];
    }
    out += c === 43 /* + */ && plusAsSpace ? ' ' : input[i];
  }
  if (bytes.length > 0) out += decodeLenientUtf8(bytes);
  return out;
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  amp: '&',
  colon: ':',
  tab: '\t',
  newline: '\n',
  lpar: '(',
  rpar: ')',
  sol: '/',
  bsol: '\\',
  equals: '=',
  num: '#',
  period: '.',
  comma: ',',
  semi: ';',
  excl: '!',
  grave: '`',
  plus: '+',
  lsqb: '[',
  rsqb: ']',
  lcub: '{',
  rcub: '}',
  lbrace: '{',
  rbrace: '}',
  lbrack: '[',
  rbrack: ']',
  quest: '?',
  lowbar: '_',
  hyphen: '-',
  dash: '-',
  commat: '@',
  hat: '^',
  circ: '^',
  midast: '*',
  verbar: '|',
  lparen: '(',
  rparen: ')',
  nbsp: ' ',
  percnt: '%',
  dollar: '$',
  ast: '*',
  vert: '|',
};

// Bounded repetitions and no nesting: this pattern cannot backtrack catastrophically.
const ENTITY_PATTERN = /&(?:#[xX]0{0,16}([0-9a-fA-F]{1,6})|#0{0,16}(\d{1,7})|([a-zA-Z]{2,8}));?/g;

function codePointToString(cp: number): string {
  return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
}

function decodeEntity(whole: string, hex: string | undefined, dec: string | undefined, name: string | undefined): string {
  if (hex !== undefined) return codePointToString(parseInt(hex, 16));
  if (dec !== undefined) return codePointToString(parseInt(dec, 10));
  return NAMED_ENTITIES[(name ?? '').toLowerCase()] ?? whole;
}

/** Decodes numeric (with or without `;`, with zero padding) and the named HTML entities attackers use. */
export function decodeHtmlEntities(input: string): string {
  // Every entity starts with `&` and then `#` or a letter: prose's `&` (`dog & cat`) skips the replace and its callback.
  for (let at = input.indexOf('&'); at !== -1; at = input.indexOf('&', at + 1)) {
    const c = input.charCodeAt(at + 1);
    const letter = c | 0x20; // A-Z to a-z
    if (c === 35 /* # */ || (letter >= 97 && letter <= 122)) return input.replace(ENTITY_PATTERN, decodeEntity);
  }
  return input;
}

/** One escape where the sticky search is set: `\u{X}`, `\uXXXX`, `\xXX` or three octal digits (`\145`). */
const JS_ESCAPE_AT = /\\(?:u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|([0-3][0-7]{2}))/y;

/**
 * Decodes JavaScript/JSON-style `\uXXXX`, `\u{X}`, `\xXX` and three-digit octal (`\145`) escapes left in a string.
 * Only the last backslash of a run can start an escape. After an even run (each backslash escaped by the one before
 * it) digits are text, not an octal escape: the host of `http:\\127.0.0.1\` (two backslashes) and a UNC path's
 * `\\server\2019` keep their digits. `\u`/`\x` after an even run still decode (a double-escaped `\\u003c` reads as a
 * backslash and `<`). One `indexOf` per run and one match per escape: linear.
 */
export function decodeJsEscapes(input: string): string {
  let at = input.indexOf('\\');
  if (at === -1) return input;
  let out = '';
  let copied = 0;
  while (at !== -1) {
    let last = at;
    while (input.charCodeAt(last + 1) === 92) last++;
    JS_ESCAPE_AT.lastIndex = last;
    const m = JS_ESCAPE_AT.exec(input);
    if (m !== null && (m[4] === undefined || (last - at) % 2 === 0)) {
      out += input.slice(copied, last);
      out += m[4] !== undefined ? String.fromCharCode(parseInt(m[4], 8)) : codePointToString(parseInt(m[1] ?? m[2] ?? m[3]!, 16));
      copied = JS_ESCAPE_AT.lastIndex;
      at = input.indexOf('\\', copied);
    } else {
      at = input.indexOf('\\', last + 1);
    }
  }
  return copied === 0 ? input : out + input.slice(copied);
}

/**
 * Applies URL, HTML-entity and JS-escape decoding repeatedly until the string stops changing or `maxRounds` is
 * reached. Returns the input itself (same reference) when nothing was encoded, which is the common case.
 */
export function normalise(input: string, maxRounds = DEFAULT_DECODE_ROUNDS): string {
  let current = input;
  for (let round = 0; round < maxRounds; round++) {
    let next = current;
    if (next.indexOf('%') !== -1) next = percentDecode(next);
    if (next.indexOf('&') !== -1) next = decodeHtmlEntities(next);
    if (next.indexOf('\\') !== -1) next = decodeJsEscapes(next);
    if (next === current) break;
    current = next;
  }
  return current;
}
