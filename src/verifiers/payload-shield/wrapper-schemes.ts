/**
 * The stream-wrapper schemes the traversal and PHP detectors look for (`php://filter`, `phar://`, `zip://`,
 * `expect://`...): a gate in front of their wrapper patterns, which otherwise run on every URL a document carries.
 */
import { lastCharacterTable } from './char-classes.js';

/** How every wrapper scheme of those patterns ends (`compress.zlib` as `zlib`, `compress.bzip2` as `bzip2`). */
const WRAPPER_SCHEME_ENDINGS: readonly string[] = ['php', 'zip', 'phar', 'expect', 'glob', 'data', 'zlib', 'bzip2', 'rar', 'ogg', 'jar', 'netdoc'];

/** The endings' last letters, asked of the character before each `://` first. */
const LAST_LETTERS = lastCharacterTable(WRAPPER_SCHEME_ENDINGS);

/**
 * A necessary condition for the wrapper patterns (`s` lower-cased): some `://` in `s` follows one of the wrapper
 * schemes' endings, or `s` holds `ssh2.` (the `ssh2.*` wrappers end in any word). `http://` and `https://` follow
 * none of them.
 */
export function mayFollowWrapperScheme(s: string): boolean {
  for (let k = s.indexOf('://'); k !== -1; k = s.indexOf('://', k + 3)) {
    // The character before `://` first: `https://` ends in none of the endings' last letters.
    if (LAST_LETTERS[s.charCodeAt(k - 1)] !== 1) continue;
    for (const ending of WRAPPER_SCHEME_ENDINGS) if (s.startsWith(ending, k - ending.length)) return true;
  }
  return s.indexOf('ssh2.') !== -1;
}
