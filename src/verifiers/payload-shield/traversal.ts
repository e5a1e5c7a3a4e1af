/**
 * Path traversal and local file inclusion: `../` and `..\` segments (after decoding, including overlong UTF-8 and
 * `....//` and `..././` filter bypasses), absolute paths into system locations (`/etc/passwd`, `/proc/self/environ`,
 * `/run/secrets/`, `C:\Windows\win.ini`), UNC paths to another host (`\\host\share`, `\\?\UNC\host\share`,
 * `file://host/share`), stream wrappers (`php://filter`, `file://`, `zip://`), `etc/passwd` relative to a working
 * directory of `/`, absolute paths cut by a NUL (`/var/x.log%00`), and any of these sent base64-encoded
 * (`Li4vLi4vZXRjL3Bhc3N3ZA==`, see base64-path.ts). `C:\Users\me\file.txt` passes.
 */
import { base64Path, BASE64_PATH_HINT, BASE64_PATH_HINT_STARTS } from './base64-path.js';
import { CH, lastCharacterTable } from './char-classes.js';
import { GATE } from './gate-words.js';
import { mayFollowWrapperScheme } from './wrapper-schemes.js';
import { SEVERITY, type Detector, type InspectedValue, type LocationKind, type RuleHit } from './types.js';

/** Rule ids of the traversal / LFI detector. */
export const TRAVERSAL_RULES = {
  dotDot: 'traversal-dot-dot-segment',
  systemPath: 'traversal-system-path',
  windowsPath: 'traversal-windows-system-path',
  wrapper: 'traversal-stream-wrapper',
  nulTruncatedPath: 'traversal-nul-truncated-path',
  base64Path: 'traversal-base64-path',
} as const;

// `..` as a whole segment (or `..;/` for Tomcat, `..%`/`..\0` for double-decoding servers), and `....//` and
// `..././` (filters that strip `../` once leave `../`). `/compare/a...b` and `wait.../` are not dot-dot segments. A
// run of dots is only entered at its first dot (`[^.]` before it), so 100 KB of dots is scanned once, not quadratically.
const DOT_DOT = /(?:^|[\/\\=])\.\.(?:[\/\\;%\0]|$)|(?:^|[^.])\.{3,}[\/\\]{2}|(?:^|[^.])\.{4,}[\/\\]|(?:^|[^.])\.{3}[\/\\]\.[\/\\]/;
// Unix locations whose files an API never receives as input (`/run/secrets/`: Docker and Kubernetes secret mounts).
// The delimiter before the path is one character (the class includes `/`), never a repeated group, so a run of
// slashes is scanned once.
const UNIX_SYSTEM_PATH =
  /(?:^|[^a-z0-9_.-])\/(?:etc\/+[a-z]|proc\/+(?:self|\d+|version|cmdline|mounts|net|sched_debug|cpuinfo|meminfo)|sys\/+(?:class|kernel|devices|firmware)|var\/+(?:log|www|lib|mail|spool|run|db|adm|cache|backups|opt|tmp|apache|nginx)|root\/|home\/+[^\/\s]+\/+\.|usr\/+(?:local|etc|lib|pkg|php|share|bin|sbin|apache|src)|opt\/+(?:lampp|xampp|bitnami|apache|tomcat|nginx)|bin\/|sbin\/|dev\/+(?:null|tcp|udp|fd|zero|random|stdin|stdout|shm)|boot\/|private\/+(?:etc|var|tmp)|applications\/+(?:xampp|mamp)|srv\/+www|run\/+secrets\/|windows\/|winnt\/|library\/+(?:webserver|preferences|logs)|volumes\/+[^\/\s]+\/+(?:usr|etc|library|applications|private))/;
// Dotfiles holding credentials or configuration.
const SENSITIVE_DOTFILE =
  /(?:^|[\/\\])\.(?:xauthority|profile|bashrc|bash_profile|bash_history|zsh_history|k?sh_history|ssh\b|htpasswd|htaccess|env\b|git\/|gitconfig|aws\/|npmrc|netrc|pgpass|mysql_history|viminfo|docker\/|kube\/|cshrc|login|logout|rhosts|forward|lesshst)/;
// `etc/passwd` with nothing before it but dots and separators (`etc/passwd`, `./etc/passwd`, `.\\./.\\./etc/shadow`,
// `etc%c0%afpasswd`): read from a working directory of `/`, as in most containers, it is `/etc/passwd`. Only the
// account and host files LFI lists probe, and only as the whole value. Anchored; the prefix class cannot match `e`.
/** `etc/passwd` after only dots and separators (exported for the linear-pattern test). */
export const RELATIVE_ETC = /^[.\/\\]*etc[\/\\]+(?:passwd|shadow|group|gshadow|hosts|hostname|issue|motd|master\.passwd|sudoers|crontab|fstab|resolv\.conf)(?:$|\0)/;
// An absolute path cut by a NUL (`/var/mysql.log%00`, `/usr/ports/net/pure-ftpd/%00`, `c:\x.ini%00`): the NUL ends the
// string the C library opens, dropping what the application appends (`.php`, `.png`). No client sends one in a
// path. Anchored; one bounded run of path characters.
/** An absolute path cut by a NUL (exported for the linear-pattern test). */
export const NUL_TRUNCATED_PATH = /^(?:[a-z]:)?[\/\\][a-z0-9_.~ \/\\-]{1,255}\0/;
const WINDOWS_SYSTEM_PATH =
  /(?:^|[^a-z0-9_.-])(?:[a-z]:)?[\\\/](?:windows|winnt|boot\.ini|inetpub|xampp|wamp|program files[^\\\/]*[\\\/]+(?:apache|mysql|php|filezilla|xampp)|apache[\w.-]*[\\\/]|php\d?[\\\/]|mysql[\\\/]|system32|autoexec\.bat|config\.sys|documents and settings|appserv|filezilla|users[\\\/]+[^\\\/]+[\\\/]+ntuser\.dat|sysprep|unattend)/;
const WINDOWS_FILES = /(?:^|[\\\/])(?:win\.ini|system\.ini|boot\.ini|php\.ini|my\.ini|my\.cnf|httpd\.conf|web\.config|\.htaccess|\.htpasswd|wp-config\.php|sam|ntuser\.dat|access[._]log|error[._]log)(?:$|[\0?#;])/;
// A value that is a UNC path, `\\host\share` (or a `file:` URL of one): opening it makes a Windows host connect to
// `host` over SMB and send its NTLM credentials, whatever the host is (`\\attacker.example\x`, `\\10.0.0.5\c$`).
// Anchored at the start, bounded runs: one attempt per value. `\\?\` and `\\.\` (local device paths) start no host,
// except as `\\?\UNC\host\share` and `\\.\UNC\host\share`, the long-path spellings of a UNC path (the optional
// group starts with `?` or `.`, which no host starts with: it is decided by one character). A UNC path after words
// ("map \\fileserver\public") is prose.
const UNC_PATH = /^\s*(?:file:[\/\\]{0,4})?\\\\(?:[?.]\\unc\\)?[a-z0-9_-][a-z0-9_.-]{0,252}(?:@[a-z0-9@]{1,32})?[\\\/][^\\\/\s]/;
// A value that is a `file:` URL with a host, `file://evil.example/share/x` (or `file:////host/share`): Windows opens
// it as the UNC path `\\evil.example\share\x`, with the same SMB connection and NTLM leak as UNC_PATH. `file:///x`
// has no host (the third slash starts the path, and no host starts with `/`), `file://c:/x` is a drive (the host
// must be followed by a separator), and `file://localhost/...` and `file://127.0.0.1/...`, with or without a port
// (`file://localhost:80/etc/passwd`), are the local machine (the SSRF detector reads them as an internal host).
// Anchored, bounded runs of classes that never overlap their neighbours.
const FILE_URL_HOST = /^\s*file:[\/\\]{2}(?:[\/\\]{2,3})?(?!(?:localhost|127\.0\.0\.1)(?::\d{1,5})?[\/\\])[a-z0-9_-][a-z0-9_.-]{0,252}(?::\d{1,5})?[\\\/][^\\\/\s]/;
/** Stream wrappers that read files or run code (`zip://`, `phar://`, `expect://`); exported for the gate's test. */
export const STREAM_WRAPPER = /(?:^|[\s"'=(])(?:php|zip|phar|expect|glob|data|compress\.zlib|compress\.bzip2|zlib|rar|ogg|ssh2\.\w+|jar|netdoc):\/\//;
/** PHP's own wrappers and `data:` base64 documents; exported for the gate's test. */
export const PHP_WRAPPER = /\bphp:\/\/(?:filter|input|fd|memory|temp|stdin)|^data:[^,]{0,60}base64,|\bexpect:\/\//;

/** UNIX_SYSTEM_PATH searching from a `lastIndex` (`unixSystemPath` resumes after a URL's path). */
const UNIX_SYSTEM_PATH_FROM = new RegExp(UNIX_SYSTEM_PATH.source, 'g');

/**
 * The first UNIX_SYSTEM_PATH match of `s` that is not a `//` in the path of a URL with a host
 * (`https://example.com/docs//bin/readme` names a resource of example.com, no local root). Other matches in such a
 * URL still count (`https://x.example//bin/a=/etc/passwd`). Each URL is walked once (a later `//` inside the URL
 * found last is known to be in it), so the search stays linear.
 */
function unixSystemPath(s: string): RegExpExecArray | null {
  let match = UNIX_SYSTEM_PATH.exec(s);
  let urlEnd = -1;
  // A match whose first character is `/` is a `//` run (or a value that starts with the path: no URL before it).
  while (match !== null && s.charCodeAt(match.index) === 47) {
    if (match.index >= urlEnd) {
      urlEnd = urlPathEnd(s, match.index);
      if (urlEnd === -1) break;
    }
    UNIX_SYSTEM_PATH_FROM.lastIndex = match.index + 1;
    match = UNIX_SYSTEM_PATH_FROM.exec(s);
  }
  return match;
}

/** Characters of a URL up to its query (RFC 3986 path and authority characters but the shell's `;&$'()`). */
function isUrlPathChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 47 || c === 46 || c === 45 || c === 95 || c === 126 || c === 37 || c === 58 || c === 64 || c === 43 || c === 44 || c === 61 || c === 33 || c === 42;
}

/** Characters of a URL scheme after its first letter (`+`, `-`, `.`, letters, digits). */
function isSchemeChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46;
}

/** How far back from a `//` `urlPathEnd` looks for its URL's `scheme://`; a longer URL reads as no URL (fail closed). */
const MAX_URL_LOOKBACK = 2048;

/**
 * The end of the URL whose path holds the `/` at `at`, or -1 when there is none: a `scheme://host` (any scheme but
 * `file`, whose URLs are local paths, and a host that is not empty: `http:///etc/passwd` has none) before `at` in
 * one run of URL characters, and `at` past the host. A `?` or `#` ends the run: `?file=//etc/passwd` is a value the
 * application may open, not the URL's path.
 */
function urlPathEnd(s: string, at: number): number {
  let from = at;
  while (from > 0 && at - from < MAX_URL_LOOKBACK && isUrlPathChar(s.charCodeAt(from - 1))) from--;
  const sep = s.indexOf('://', from);
  if (sep === -1 || sep >= at) return -1;
  let scheme = sep;
  while (scheme > from && isSchemeChar(s.charCodeAt(scheme - 1))) scheme--;
  const first = s.charCodeAt(scheme);
  if (scheme === sep || first < 97 || first > 122 || s.startsWith('file:', scheme)) return -1;
  const hostEnd = s.indexOf('/', sep + 3);
  if (hostEnd === sep + 3 || hostEnd > at) return -1;
  let end = at + 1;
  while (end < s.length && isUrlPathChar(s.charCodeAt(end))) end++;
  return end;
}

/**
 * True when a system-path match is a probe rather than a path mentioned in a sentence. As the value, at its start,
 * or after a single word that ends the value (`cat /etc/passwd`, `file=/etc/passwd%00`) it is a probe; after two or
 * more words ("it lives in /usr/local/bin"), or with words after it, it is prose.
 */
function isProbe(match: RegExpExecArray | null, s: string): boolean {
  if (match === null) return false;
  // The value is lower-cased; words start with a letter: shell punctuation (`;`, `|`, `&&`) before a command is not prose.
  let wordsBefore = 0;
  let inToken = false;
  for (let i = 0; i < match.index; i++) {
    const c = s.charCodeAt(i);
    const space = isSpace(c);
    if (!space && !inToken && c >= 97 && c <= 122) wordsBefore++;
    inToken = !space;
  }
  if (wordsBefore === 0) return true;
  if (wordsBefore > 1) return false;
  let i = match.index + match[0].length;
  while (i < s.length && !isSpace(s.charCodeAt(i))) i++; // the rest of the path
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i >= s.length; // one word, then the path ends the value: a command line
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** How each WINDOWS_FILES name ends (`win.ini`, `my.cnf`, `httpd.conf`, `web.config`, `ntuser.dat`, `access.log`...). */
const WINDOWS_FILE_ENDINGS: readonly string[] = ['ini', 'cnf', 'conf', 'config', 'htaccess', 'htpasswd', 'php', 'sam', 'dat', 'log'];

/** The last letters of WINDOWS_FILE_ENDINGS: most values end otherwise and skip the `endsWith` calls. */
const WINDOWS_FILE_LAST_LETTERS = lastCharacterTable(WINDOWS_FILE_ENDINGS);

/**
 * A necessary condition for WINDOWS_FILES: its file name is followed by the end of the value or by one of `\0?#;`,
 * so the value ends like one of the names or contains one of those characters (`mask`: the value's classes; folding
 * separators adds none of these).
 */
function mayEndInWindowsFile(s: string, mask: number): boolean {
  if ((mask & (CH.hash | CH.semicolon | CH.nul)) !== 0 || s.indexOf('?') !== -1) return true;
  if (WINDOWS_FILE_LAST_LETTERS[s.charCodeAt(s.length - 1)] !== 1) return false;
  for (const ending of WINDOWS_FILE_ENDINGS) if (s.endsWith(ending)) return true;
  return false;
}

/** A critical traversal hit (module-level: no closure allocated per value). */
function hit(ruleId: string): RuleHit {
  return { ruleId, category: 'traversal', severity: SEVERITY.critical };
}

const HOMOGLYPH_OR_HEX = /[\uff0e\u2024\ufe52\u2215\u2044\uff0f\uefc8\uf025\u2216\uff3c\ufe68]|0x2[ef]|0x5c|\.\.(?:2f|5c)/;

/** Folds separator look-alikes (fullwidth dot, division slash, set minus), `0x2e`-style hex and bare `2f`/`5c`. */
export function foldSeparators(input: string): string {
  let s = input;
  if (/[\u2000-\uffff]/.test(s)) {
    s = s.replace(/[\uff0e\u2024\ufe52]/g, '.').replace(/[\u2215\u2044\uff0f\uefc8\uf025]/g, '/').replace(/[\u2216\uff3c\ufe68]/g, '\\');
  }
  if (s.indexOf('0x') !== -1) s = s.replace(/0x2e/g, '.').replace(/0x2f/g, '/').replace(/0x5c/g, '\\');
  if (/\.\.(?:2f|5c)/.test(s)) s = s.replace(/2f/g, '/').replace(/5c/g, '\\');
  return s;
}

/** True for `/` and `\`. */
function isSeparator(c: number): boolean {
  return c === 47 || c === 92;
}

/**
 * Drops `.` segments (`/./`, `\.\`, `/%2e/`) so `/./etc/passwd`, `/etc/./passwd` and `c:\.\windows` meet the
 * system-path patterns as the OS resolves them. One pass, linear; the separator before a dropped segment is kept.
 */
export function dropDotSegments(s: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    if (!isSeparator(s.charCodeAt(i))) continue;
    let j = i + 1;
    // `.` or `%2e`, then a separator or the end: a segment naming the current directory.
    for (;;) {
      const dot = s.charCodeAt(j) === 46 ? 1 : s.startsWith('%2e', j) ? 3 : 0;
      if (dot === 0 || !(j + dot >= s.length || isSeparator(s.charCodeAt(j + dot)))) break;
      j += dot + 1;
    }
    if (j === i + 1) continue;
    out += s.slice(from, i + 1);
    from = Math.min(j, s.length);
    i = from - 1;
  }
  return from === 0 ? s : out + s.slice(from);
}

/** Every class bit and gate bit: what `pathRule` is given for a decoded text it has no scan of (its gates then pass). */
const ALL_BITS = -1;

/**
 * The traversal rule `s` (a lower-cased value, `mask` and `gates` its classes and gate words, or ALL_BITS) fires, or
 * undefined.
 */
function pathRule(input: string, mask: number, gates: number, kind: LocationKind): string | undefined {
  let s = input;
  if (s.length < 3) return undefined;
  // Separators may be spelled as Unicode look-alikes or hex (`%uff0e%uff0e%u2215`, `0x2e0x2e0x2f`). HOMOGLYPH_OR_HEX
  // needs a non-ASCII character, `0x` or `..`: most values skip its search, and it runs at most once.
  const spelled = ((mask & (CH.nonAscii | CH.dotDot)) !== 0 || (gates & GATE['0x']) !== 0) && HOMOGLYPH_OR_HEX.test(s);
  // Without a separator, plain or spelled, there is no path to traverse.
  if ((mask & (CH.slash | CH.backslash | CH.dotDot)) === 0 && !spelled) return undefined;
  if (spelled) s = foldSeparators(s);
  const slash = s.indexOf('/') !== -1;
  if (s.indexOf('..') !== -1 && DOT_DOT.test(s)) {
    // In the URL path, `..` is normalised by the router; a dot-dot that survived decoding is still an attack.
    return TRAVERSAL_RULES.dotDot;
  }
  if (kind === 'path') return undefined; // the URL path itself is made of slashes
  // Both wrapper patterns need `://` after a wrapper scheme, or (PHP_WRAPPER's `data:`) a value starting `data:`.
  const wrapper = s.indexOf('://') !== -1 && mayFollowWrapperScheme(s);
  if (wrapper && STREAM_WRAPPER.test(s)) return TRAVERSAL_RULES.wrapper;
  if ((wrapper || s.startsWith('data:')) && PHP_WRAPPER.test(s)) return TRAVERSAL_RULES.wrapper;
  // Only values with a backslash can hold the `\\` of a UNC path.
  if ((mask & CH.backslash) !== 0 && UNC_PATH.test(s)) return TRAVERSAL_RULES.windowsPath;
  // Only a value with `file:` near its start can be a file URL to a host.
  if ((mask & CH.colon) !== 0 && s.indexOf('file:') !== -1 && FILE_URL_HOST.test(s)) return TRAVERSAL_RULES.windowsPath;
  // `.` segments change no path the OS opens; only values with one pay for the copy.
  if (s.indexOf('/.') !== -1 || s.indexOf('\\.') !== -1 || s.indexOf('%2e') !== -1) s = dropDotSegments(s);
  // A system path is an LFI probe when it is the value (`/etc/passwd`, `file=/etc/passwd%00`), not when it is a
  // word in a sentence ("the binary lives in /usr/local/bin"): prose before the path clears it.
  if (slash && isProbe(unixSystemPath(s), s)) return TRAVERSAL_RULES.systemPath;
  // A dotfile starts the value or follows a separator.
  if ((s.charCodeAt(0) === 46 || s.indexOf('/.') !== -1 || s.indexOf('\\.') !== -1) && SENSITIVE_DOTFILE.test(s)) return TRAVERSAL_RULES.systemPath;
  if (isProbe(WINDOWS_SYSTEM_PATH.exec(s), s)) return TRAVERSAL_RULES.windowsPath;
  if (mayEndInWindowsFile(s, mask) && WINDOWS_FILES.test(s)) return TRAVERSAL_RULES.windowsPath;
  // `etc/passwd` after nothing but dots and separators: one attempt, at the start.
  const first = s.charCodeAt(0);
  if ((first === 46 || first === 47 || first === 92 || first === 101) && RELATIVE_ETC.test(s)) return TRAVERSAL_RULES.systemPath;
  // A NUL after an absolute path: only values with a NUL.
  if ((mask & CH.nul) !== 0 && NUL_TRUNCATED_PATH.test(s)) return TRAVERSAL_RULES.nulTruncatedPath;
  return undefined;
}

/** Creates the traversal / LFI detector. */
export function createTraversalDetector(): Detector {
  return {
    category: 'traversal',
    // Separators spelled as Unicode look-alikes or hex (`0x2e0x2e0x2f`) leave no syntax character; nor does a
    // base64-encoded path without `/` or `=` (`Li4vLi4vZXRjL3Bhc3N3ZA`).
    readsPlainValues: { words: ['0x'], hint: BASE64_PATH_HINT, hintStarts: BASE64_PATH_HINT_STARTS },
    detect(value: InspectedValue): RuleHit | undefined {
      const rule = pathRule(value.lower, value.mask, value.gates, value.kind);
      if (rule !== undefined) return hit(rule);
      // A path sent base64-encoded (`L2V0Yy9wYXNzd2Q=`): its text, read by the same rules (without a scan of it).
      if (value.role === 'value' && value.decoded.charCodeAt(0) === 76 /* L */) {
        const text = base64Path(value.decoded);
        if (text !== undefined && pathRule(text, ALL_BITS, ALL_BITS, value.kind) !== undefined) return hit(TRAVERSAL_RULES.base64Path);
      }
      return undefined;
    },
  };
}
