/** Character classes of the SQL tokenizer (sql-tokenizer.ts) and of the readers that must lex as it does. */

export function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0 || c === 160 || c === 0x2028 || c === 0x2029;
}

export function isWordStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 || c > 127;
}

export function isWordChar(c: number): boolean {
  return isWordStart(c) || (c >= 48 && c <= 57);
}

/** The index of the first character at or after `i` that is not white space (`s.length` when there is none). */
export function skipSpaces(s: string, i: number): number {
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i;
}

/** An ASCII digit (`\d` without the `u` flag). */
export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The end of the number starting at `i` (a digit, or `.` before one). */
export function numberEnd(s: string, i: number): number {
  const n = s.length;
  const c = s.charCodeAt(i);
  let j = i + 1;
  if (c === 48 && (s.charCodeAt(j) === 120 || s.charCodeAt(j) === 98)) j++; // 0x / 0b
  while (j < n && (isWordChar(s.charCodeAt(j)) || s.charCodeAt(j) === 46)) {
    const d = s.charCodeAt(j);
    // 1e5, 0x1f, 1.5 stay one number; `1union` splits at the first letter that is not hex/exponent.
    if (!isDigit(d) && d !== 46 && !(d >= 97 && d <= 102) && d !== 120) break;
    j++;
  }
  return j;
}
