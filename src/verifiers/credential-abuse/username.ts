/**
 * The form of a username the counters are keyed by: spellings the account store takes for one account must share
 * one counter, or an attacker spreads guesses at one account over spellings each counted apart.
 */

/** How usernames are told apart (`caseSensitiveUsernames`, `accentSensitiveUsernames`). */
export interface UsernameFolding {
  /** Keep case (`Alice` and `alice` counted apart). */
  readonly caseSensitive: boolean;
  /** Keep diacritics (`álice` and `alice` counted apart). */
  readonly accentSensitive: boolean;
}

/** Characters of a raw username normalised; more is cut off first (after trimming). */
export const USERNAME_NORMALISED_LENGTH = 1024;

/** Combining marks (accents, cedillas, dakuten, vowel signs, ...), as NFKD leaves them after their base. */
const MARKS = /\p{M}+/gu;

/**
 * Latin letters that NFKD leaves whole while accent-insensitive collations (Unicode's DUCET, MySQL's
 * utf8mb4_0900_ai_ci) compare them with other spellings: a stroke or bar is an accent there (`łukasz` is `lukasz`,
 * `bjørn` is `bjorn`), and the sharp s and the ligatures are their two letters (`straße` is `strasse`, `æther` is
 * `aether`, `œuvre` is `oeuvre`).
 */
const FOLDED_LETTERS: Readonly<Record<string, string>> = {
  'Ø': 'O', 'ø': 'o', 'Ł': 'L', 'ł': 'l', 'Đ': 'D', 'đ': 'd', 'Ħ': 'H', 'ħ': 'h', 'Ŧ': 'T', 'ŧ': 't',
  'ß': 'ss', 'ẞ': 'SS', 'Æ': 'AE', 'æ': 'ae', 'Œ': 'OE', 'œ': 'oe',
};
const FOLDED_LETTER = /[ØøŁłĐđĦħŦŧßẞÆæŒœ]/g;

/**
 * The counter form of a raw username, or undefined when nothing is left. Trimmed, then cut to
 * {@link USERNAME_NORMALISED_LENGTH} characters before any normalising: a megabyte "username" costs no megabyte of
 * Unicode work, and padding cannot move the cut (cut first, `'  …  alice'` was counted under a prefix such as `'ali'`).
 *
 * Then, unless `accentSensitive`, diacritics are folded (NFKD, combining marks `\p{M}` dropped, stroked Latin letters
 * mapped to their base, the sharp s and the ligatures æ and œ to two letters, NFKC), as an accent-insensitive collation compares (`álice`, `àlice`, `ålice` and `alice`
 * are one account under MySQL's default utf8mb4_0900_ai_ci or SQL Server's `_AI` collations), and trimmed again (a
 * spacing accent such as `´` decomposes to a space and a mark). It errs toward counting more: the vowel signs of
 * Indic scripts are marks too, so names a collation tells apart may share a counter (and a success on one clears
 * the other's username + IP streak, the documented limit of any folding the store does not share). With
 * `accentSensitive`: NFKC alone. Last, unless `caseSensitive`, lower case.
 *
 * Output length: at most eighteen times the cut (U+FDFA decomposes to 18 characters; the two-letter foldings stay
 * within it), so a key digest over it is bounded too (see key-digest.ts).
 */
export function normaliseUsername(raw: string, folding: UsernameFolding): string | undefined {
  const trimmed = raw.trim();
  let username = trimmed.length > USERNAME_NORMALISED_LENGTH ? trimmed.slice(0, USERNAME_NORMALISED_LENGTH) : trimmed;
  if (folding.accentSensitive) {
    username = username.normalize('NFKC');
  } else {
    username = username
      .normalize('NFKD')
      .replace(MARKS, '')
      .replace(FOLDED_LETTER, (letter) => FOLDED_LETTERS[letter]!)
      .normalize('NFKC')
      .trim();
  }
  if (!folding.caseSensitive) username = username.toLowerCase();
  return username.length > 0 ? username : undefined;
}
