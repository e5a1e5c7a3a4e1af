/**
 * One pass over a value records which syntax characters it contains as a bit mask. Detectors test their bits
 * first and skip values that cannot contain their attack (a URL has no quote, so the SQL tokenizer never runs on
 * it), which keeps the cost per ordinary value to this single loop.
 */

/** Bits of the character-class mask. */
export const CH = {
  quote: 1 << 0, // ' "
  backtick: 1 << 1,
  lt: 1 << 2,
  gt: 1 << 3,
  paren: 1 << 4, // ( )
  semicolon: 1 << 5,
  pipe: 1 << 6,
  amp: 1 << 7,
  dollar: 1 << 8,
  brace: 1 << 9, // { }
  backslash: 1 << 10,
  slash: 1 << 11,
  percent: 1 << 12,
  colon: 1 << 13,
  equals: 1 << 14,
  star: 1 << 15,
  hash: 1 << 16,
  at: 1 << 17,
  newline: 1 << 18, // \r \n
  nul: 1 << 19,
  dotDot: 1 << 20, // ..
  bracket: 1 << 21, // [ ]
  sqlComment: 1 << 22, // -- or /*
  bang: 1 << 23, // ! ~ ^
} as const;

/** Computes the mask of `s` (linear, no allocation). */
export function charMask(s: string): number {
  let mask = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) continue; // fast skip: lower-case letters are the bulk of text
    switch (c) {
      case 39:
      case 34:
        mask |= CH.quote;
        break;
      case 96:
        mask |= CH.backtick;
        break;
      case 60:
        mask |= CH.lt;
        break;
      case 62:
        mask |= CH.gt;
        break;
      case 40:
      case 41:
        mask |= CH.paren;
        break;
      case 59:
        mask |= CH.semicolon;
        break;
      case 124:
        mask |= CH.pipe;
        break;
      case 38:
        mask |= CH.amp;
        break;
      case 36:
        mask |= CH.dollar;
        break;
      case 123:
      case 125:
        mask |= CH.brace;
        break;
      case 92:
        mask |= CH.backslash;
        break;
      case 47:
        mask |= CH.slash;
        if (s.charCodeAt(i + 1) === 42) mask |= CH.sqlComment;
        break;
      case 37:
        mask |= CH.percent;
        break;
      case 58:
        mask |= CH.colon;
        break;
      case 61:
        mask |= CH.equals;
        break;
      case 42:
        mask |= CH.star;
        break;
      case 35:
        mask |= CH.hash;
        break;
      case 64:
        mask |= CH.at;
        break;
      case 10:
      case 13:
        mask |= CH.newline;
        break;
      case 0:
        mask |= CH.nul;
        break;
      case 46:
        if (s.charCodeAt(i + 1) === 46) mask |= CH.dotDot;
        break;
      case 91:
      case 93:
        mask |= CH.bracket;
        break;
      case 45:
        if (s.charCodeAt(i + 1) === 45) mask |= CH.sqlComment;
        break;
      case 33:
      case 126:
      case 94:
        mask |= CH.bang;
        break;
      default:
        break;
    }
  }
  return mask;
}
