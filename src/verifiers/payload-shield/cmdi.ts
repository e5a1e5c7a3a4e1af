/**
 * OS command injection: a shell separator or substitution (`;`, `|`, `&`, `&&`, `||`, newline, backticks, `$(`)
 * followed by a command an attacker runs to probe or take over a host (`id`, `cat /etc/passwd`, `ping -n 30`,
 * `powershell`, `nc -e`), also spelled with backslashes (`w\ho\am\i`) or wildcards (`/???/??t`), and shell-only syntax
 * (`${IFS}`, `$(...)` with a command), and ssh and git options that run a command (`-oProxyCommand=`,
 * `--upload-pack=`, the `ext::` transport). `Tom & Jerry` passes: a separator alone is not enough, the next word must be a command used as
 * one.
 */
import ipaddr from 'ipaddr.js';
import { CH } from './char-classes.js';
import { skipSpaces } from './sql-chars.js';
import { AMBIGUOUS_COMMANDS, COMMANDS, UNAMBIGUOUS } from './cmdi-commands.js';
import { COMMAND_WORD_STARTS, COMMAND_WORD_START, GIT_COMMAND_OPTION, GLOB_PATH, globCommandPath, GTFOBINS, mayMatchGtfobins, mayRunWindowsCommand, runsGitExtCommand, SSH_COMMAND_OPTION, starGlobCommandPath, startsWithCommandWord, UNIX_COMMAND_LINE, WINDOWS_COMMAND } from './cmdi-command-line.js';
import { SEVERITY, type Detector, type InspectedValue, type RuleHit } from './types.js';

/** Rule ids of the command injection detector. */
export const CMDI_RULES = {
  chainedCommand: 'cmdi-chained-command',
  substitution: 'cmdi-command-substitution',
  shellSyntax: 'cmdi-shell-syntax',
  execCall: 'cmdi-exec-call',
  bareCommand: 'cmdi-bare-command',
  windowsCommand: 'cmdi-windows-command',
  commandLine: 'cmdi-command-line',
  shellSpawn: 'cmdi-shell-spawn',
} as const;

// `exec('whoami')`, `system("ls")`, `child_process.execSync('id')`: a process-spawning call with a command in it.
const EXEC_CALL = /\b(?:exec|execsync|system|passthru|shell_exec|popen|proc_open|spawn|spawnsync|execfile|pcntl_exec|os\.system|subprocess\.\w+|runtime\.getruntime\(\)\.exec)\s*\(\s*['"`]\s*([\w\/.-]{1,40})/;
// A value that is itself a command line: `ls -la /etc`, `dir C:\`, `cat /etc/passwd`.
const BARE_COMMAND = /^\s*(?:ls|dir|cat|id|whoami|uname|ifconfig|ipconfig|netstat|ping|curl|wget|nc|ncat|bash|sh|powershell|cmd(?:\.exe)?|nslookup|systeminfo|tasklist|net|sleep)(?:\s+(?:-{1,2}[a-z]|\/[a-z]|[a-z]:\\)|\s*$)/;

/** The classes of every character `isSepAt` starts a separator at. */
const SEPARATOR_CLASSES = CH.semicolon | CH.pipe | CH.amp | CH.backtick | CH.newline | CH.backslash;

/** A separator, or a literal `\\n`/`\\r` escape that a later layer may turn into one. */
function isSepAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (isSep(c)) return 1;
  if (c === 92 && (s.charCodeAt(i + 1) === 110 || s.charCodeAt(i + 1) === 114)) return 2;
  return 0;
}

function isSep(c: number): boolean {
  // ; | & ` \n \r ( $(  and the start of the value
  return c === 59 || c === 124 || c === 38 || c === 96 || c === 10 || c === 13;
}

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
}

function wordEnd(s: string, start: number): number {
  let i = start;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 46 || c === 95 || c === 45) i++;
    else break;
  }
  return i;
}

/** What follows a command name looks like shell usage: end, another separator, a flag, a path, a variable. */
function shellArgsFollow(s: string, at: number): boolean {
  let i = at;
  if (i >= s.length) return true;
  const c0 = s.charCodeAt(i);
  if (isSep(c0) || c0 === 0 || c0 === 62 /* > */ || c0 === 60 /* < */ || c0 === 36 /* $ */ || c0 === 39 || c0 === 34) return true;
  if (c0 === 44 /* , (brace expansion {cat,/etc/passwd}) */) return true;
  while (i < s.length && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  if (i >= s.length) return true;
  const c = s.charCodeAt(i);
  // -flag, /path, ./x, \\unc, $VAR, digits (ping -n 30 / sleep 5), quotes, separators, redirections
  return (
    c === 45 || c === 47 || c === 92 || c === 36 || c === 46 || c === 39 || c === 34 || c === 96 || c === 62 ||
    c === 60 || c === 126 || isSep(c) || (c >= 48 && c <= 57) || c === 37 /* %VAR% */
  );
}

/** The separator character just before `start` (skipping spaces and `{`/`(` the caller skipped too). */
function sep0(s: string, start: number): number {
  let k = start - 1;
  while (k > 0 && (s.charCodeAt(k) === 32 || s.charCodeAt(k) === 9)) k--;
  return s.charCodeAt(k);
}

/** Checks a command word starting at `start` (after a separator and optional spaces/path). */
function commandAt(s: string, start: number): boolean {
  let i = start;
  let group = false;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 40) group = true; // `;(id)`: a subshell group
    else if (c !== 32 && c !== 9 && c !== 123 /* { */) break;
  }
  // /usr/bin/id, /bin/sh, c:\windows\system32\cmd.exe: keep the last path segment
  let nameStart = i;
  let j = i;
  let backslash = false;
  while (j < s.length && j - i < 80) {
    const c = s.charCodeAt(j);
    if (c === 47 || c === 92) {
      nameStart = j + 1;
      if (c === 92) backslash = true;
    } else if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 46 || c === 95 || c === 45 || c === 58)) break;
    j++;
  }
  let end = wordEnd(s, nameStart);
  let name = s.slice(nameStart, end);
  if (!COMMANDS.has(name)) {
    // `/???/??t`, `/*/c?t`: a command path spelled with wildcards, which the shell expands to /bin/cat.
    if (s.charCodeAt(i) === 47 && ((globCommandPath(s, i) & GLOB_PATH.wildcard) !== 0 || starGlobCommandPath(s, i))) return true;
    // `w\ho\am\i`: the shell drops a backslash before an ordinary character, so the word runs `whoami`. Read as
    // such only after a separator or in a substitution (here), never in a bare value (`C:\Users\ho\am`).
    end = backslash ? escapedWordEnd(s, i) : -1;
    if (end === -1) return false;
    name = s.slice(i, end).replace(BACKSLASHES, '');
    if (!COMMANDS.has(name)) return false;
    nameStart = i;
  }
  const fromPath = nameStart > i;
  if (fromPath) return true; // /usr/bin/id after a separator
  // Markdown inline code (`` `id` ``, `` `type` ``): one ambiguous word between backticks is prose about code;
  // not glued to a separator or a word (`x;` + `` `id` ``, `` a`id`b ``), nor the whole value.
  if (s.charCodeAt(start - 1) === 96 && s.charCodeAt(end) === 96 && AMBIGUOUS_COMMANDS.has(name) && isInlineCode(s, start - 1, end)) return false;
  if (UNAMBIGUOUS.has(name)) return true;
  // `A&W`, `AT&T`, `B&Q`: a single `&` between letters is a name, not a background job.
  if (s.charCodeAt(start - 1) === 38 && isWordChar(s.charCodeAt(start - 2)) && s.charCodeAt(start - 3) !== 38) return false;
  // After a line break, a word that ends the text is a line of prose (`...valid in\nRuby`), not a command.
  // A backtick substitution needs its closing backtick; a Markdown code fence (```ruby) is not one.
  if (sep0(s, start) === 96) {
    if (s.startsWith('```', start - 3) || s.indexOf('`', end) === -1) return false;
  }
  // Lines of prose start with words too (`\nRuby 2.3+`): after a line break, only flags, paths, variables,
  // redirections or another separator make the word a command.
  const sep = s.charCodeAt(start - 1);
  if (sep === 10 || sep === 13) {
    // `8.8.8.8\nid`, `8.8.8.8\nsleep 5`: an IP address alone on the first line, then a command alone on the last
    // (a delay with its number), is how a value breaks out of `ping <value>` (a shell runs each line). Prose is
    // neither: a second line of words (`8.8.8.8\nAt 10:30`), a host or file name first (`readme.md\nType "A"`).
    if (start <= 64 && isAddressLine(s.slice(0, start - 1)) && COMMAND_ALONE.test(s.slice(end))) {
      if (s.slice(end).trim() === '' || DELAYS.has(name)) return true;
    }
    if (end >= s.trimEnd().length) return false;
    return /^[ \t]+(?:-{1,2}[a-z]|\/|\$|[<>|;&])/.test(s.slice(end, end + 4));
  }
  return shellArgsFollow(s, end) || closesSubstitution(s, start, end) || (group && closesGroup(s, end));
}

const BACKSLASHES = /\\/g;

/**
 * The end of a word at `start` whose letters are escaped by backslashes inside it (`w\ho\am\i`, `c\at`), -1 when
 * it has none inside (`\users`, a path segment, is read as one). At most 80 characters, like the path above.
 */
function escapedWordEnd(s: string, start: number): number {
  let j = start;
  let inside = false;
  while (j < s.length && j - start < 80) {
    const c = s.charCodeAt(j);
    if (isWordChar(c) || c === 46 || c === 95 || c === 45) j++;
    else if (c === 92 && isWordChar(s.charCodeAt(j + 1))) {
      if (j > start) inside = true;
      j += 2;
    } else break;
  }
  return inside ? j : -1;
}

/**
 * `;(id)`, `| ((ls)) > x`: the `)` of a subshell group right after the command word ends the command as the end of
 * the value does, when only more `)`, the end, a separator or a redirection follow (`; (at) home` is prose: a
 * shell refuses a word after a group).
 */
function closesGroup(s: string, end: number): boolean {
  let j = end;
  while (s.charCodeAt(j) === 32 || s.charCodeAt(j) === 9) j++;
  if (s.charCodeAt(j) !== 41) return false;
  while (s.charCodeAt(j) === 41 || s.charCodeAt(j) === 32 || s.charCodeAt(j) === 9) j++;
  const c = s.charCodeAt(j);
  return j >= s.length || isSep(c) || c === 62 /* > */ || c === 60 /* < */ || c === 35 /* # */;
}

/** A method call (`.val(`): after `$(id)` it is jQuery, `$(id).val()` a syntax error to a shell. */
const METHOD_CALL = /\.[a-z_$][\w$]{0,40}\(/y;

/** `$(id)`, `$( pwd )`: the command word alone inside `$(...)`, with nothing to follow it but the `)`. */
function closesSubstitution(s: string, start: number, end: number): boolean {
  let j = end;
  while (s.charCodeAt(j) === 32 || s.charCodeAt(j) === 9) j++;
  if (s.charCodeAt(j) !== 41) return false;
  let k = start - 1;
  while (s.charCodeAt(k) === 32 || s.charCodeAt(k) === 9) k--;
  if (s.charCodeAt(k) !== 40 || s.charCodeAt(k - 1) !== 36) return false;
  METHOD_CALL.lastIndex = j + 1;
  return !METHOD_CALL.test(s);
}

/**
 * True when the backticks at `open` and `close` read as Markdown inline code in prose: neither the whole value nor
 * glued to what comes before (a shell separator `;|&` or a letter or digit: `x;` + `` `id` ``, `` foo`hostname`.x ``).
 */
function isInlineCode(s: string, open: number, close: number): boolean {
  if (open === 0) return close !== s.trimEnd().length - 1;
  return !gluedBefore(s.charCodeAt(open - 1));
}

/** A character that makes a backtick right after it shell syntax, not Markdown: `;`, `|`, `&`, a letter or a digit. */
function gluedBefore(c: number): boolean {
  return c === 59 || c === 124 || c === 38 || isWordChar(c);
}

/** The rest of a value after a command word that stands alone on the last line: at most a number, then the end. */
const COMMAND_ALONE = /^(?:[ \t]+\d{1,6})?[ \t]*\r?\n?$/;
/** Commands whose number argument is the whole point of a blind probe. */
const DELAYS = new Set(['sleep', 'ping', 'timeout']);

/** True for a first line that is only an IP address (dotted-quad IPv4 or IPv6), as `ping <value>` takes. */
function isAddressLine(line: string): boolean {
  const text = line.trim();
  if (text.length === 0 || text.length > 45) return false;
  return ipaddr.IPv4.isValidFourPartDecimal(text) || (text.indexOf(':') !== -1 && ipaddr.IPv6.isValid(text));
}

const SUBSTITUTION = /\$\(\s*[a-z\/.]|`\s*[a-z\/.][^`]{0,200}`|\$\{ifs\}|\$ifs\b|\$\{(?:path|home|shell|pwd|user):|%(?:comspec|systemroot|windir|programfiles)%|\$\{[a-z_]+:-?[^}]{0,30}\}/;

const PROSE_WORD = /[a-z]{2,}/g;
/** Each word right after `$(` or a backtick (global: every substitution is read, not only the first). */
const SUBSTITUTED_WORD = /(?:\$\(|`)\s*([\w\/.-]{1,40})/g;
const SHELL_VARIABLE = /\$\{?ifs\}?|%(?:comspec|systemroot|windir)%/;

/**
 * Markdown prose with code in it (`I ran \`ls -la ~/Library\` and...`, a \`\`\`bash fence in a support chat): the
 * text outside the code spans is at least three words of prose, and the value does not start with shell syntax.
 * Returns the text with the code spans blanked, or undefined when the value is not such prose.
 */
function proseWithoutCode(s: string): string | undefined {
  const first = s.trimStart().charCodeAt(0);
  if (isSep(first) && first !== 96) return undefined;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const open = s.indexOf('`', i);
    if (open === -1) {
      out += s.slice(i);
      break;
    }
    out += s.slice(i, open);
    let ticks = 1;
    while (s.charCodeAt(open + ticks) === 96) ticks++;
    const close = s.indexOf('`'.repeat(ticks), open + ticks);
    if (close === -1) return undefined; // an unclosed backtick is not Markdown
    // A span glued to a separator or a word (`x;` + `` `id` ``, `` foo`hostname`.example ``) is shell, not Markdown.
    out += ticks === 1 && open > 0 && gluedBefore(s.charCodeAt(open - 1)) ? s.slice(open, close + 1) : ' ';
    i = close + ticks;
  }
  PROSE_WORD.lastIndex = 0;
  let words = 0;
  while (PROSE_WORD.exec(out) !== null && words < 3) words++;
  return words >= 3 ? out : undefined;
}

/**
 * True when a `$(`/backtick substitution of `s` runs a command: `$(id)`, `$(cat /etc/passwd)`, or a known command
 * with a word argument before the closing `)`/backtick (`$(cat flag.txt)`, `` `dig evil.example` ``). A value whose
 * substitution syntax has no word after it (`${IFS}`, `%comspec%`) counts too, as before.
 */
function anySubstitutedCommand(s: string): boolean {
  SUBSTITUTED_WORD.lastIndex = 0;
  let m: RegExpExecArray | null;
  let seen = 0;
  // Every one: harmless ones first (`$(x)` 40 times) must not hide a command after them. Each reads a bounded span
  // (`commandAt`: its word; `commandWithArgument`: MAX_SUBSTITUTION_SPAN), so the loop stays linear.
  for (; (m = SUBSTITUTED_WORD.exec(s)) !== null; seen++) {
    const word = m[1]!;
    const start = m.index + m[0].length - word.length;
    if (commandAt(s, start) || commandWithArgument(s, m.index, start, word)) return true;
  }
  return seen === 0;
}

/** Longest `$(...)`/backtick span read for a command with an argument. */
const MAX_SUBSTITUTION_SPAN = 256;

/**
 * `$(cat flag.txt)`, `` `python evil.py` ``: a COMMANDS word, whitespace, an argument, then the closing `)` or
 * backtick. jQuery never writes `$(` + word + space + word (`$('#id')`, `$(this)`); an ambiguous word between
 * backticks in prose (`` use `set x` here ``) is Markdown inline code, not a substitution.
 */
function commandWithArgument(s: string, open: number, start: number, word: string): boolean {
  const end = start + word.length;
  const ws = s.charCodeAt(end);
  if (ws !== 32 && ws !== 9) return false;
  const name = word.slice(word.lastIndexOf('/') + 1);
  if (!COMMANDS.has(name)) return false;
  let i = end + 1;
  while (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9) i++;
  const tick = s.charCodeAt(open) === 96;
  const closer = tick ? 96 : 41;
  const c = s.charCodeAt(i);
  if (i >= s.length || c === closer || c === 10 || c === 13) return false;
  // The closing character within the span, looked for no further (an unbounded search per substitution would make
  // a value of thousands of unclosed ones quadratic).
  const limit = Math.min(s.length, open + MAX_SUBSTITUTION_SPAN + 1);
  let close = i;
  while (close < limit && s.charCodeAt(close) !== closer) close++;
  if (close === limit) return false;
  if (tick) return !(AMBIGUOUS_COMMANDS.has(name) && isInlineCode(s, open, close));
  METHOD_CALL.lastIndex = close + 1;
  return !METHOD_CALL.test(s);
}

/** An escaped backtick, as `escapedSubstitution` looks for it. */
const ESCAPED_TICK = '\\`';

/**
 * `` \`whoami\` ``, `` \`uname -a\` ``: a substitution spelled with escaped backticks, which one more layer of
 * unescaping runs (`sh -c "...\`whoami\`"`, an `eval`). Markdown escapes backticks too (`` \`ls\` `` is literal
 * text), so only a command nobody names in prose (UNAMBIGUOUS) counts, right after an escaped backtick (an odd run of
 * backslashes before it) and closed by another within MAX_SUBSTITUTION_SPAN. Each search stops at the next escaped
 * backtick and each run of backslashes is counted at most twice: linear.
 */
function escapedSubstitution(s: string): boolean {
  let open = s.indexOf(ESCAPED_TICK);
  while (open !== -1) {
    const close = s.indexOf(ESCAPED_TICK, open + 2);
    if (close === -1) return false;
    let run = open;
    while (run > 0 && s.charCodeAt(run - 1) === 92) run--;
    if (close - open <= MAX_SUBSTITUTION_SPAN && (open + 1 - run) % 2 === 1) {
      let i = open + 2;
      while (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9) i++;
      const end = wordEnd(s, i);
      const c = s.charCodeAt(end);
      // The word ends at the closing backslashes (`\\\``: more layers of escaping), a space or a tab.
      let closing = close;
      while (closing > end && s.charCodeAt(closing - 1) === 92) closing--;
      if ((closing === end || c === 32 || c === 9) && UNAMBIGUOUS.has(s.slice(i, end))) return true;
    }
    open = close;
  }
  return false;
}

/** A critical cmdi hit (module-level: no closure allocated per value). */
function hit(ruleId: string): RuleHit {
  return { ruleId, category: 'cmdi', severity: SEVERITY.critical };
}

/** Creates the command injection detector. */
export function createCmdiDetector(): Detector {
  return {
    category: 'cmdi',
    // A whole-value command line (`whoami`, `uname -a`); `%` forms (`%comspec%`) reach the separator rules; git's
    // `ext::sh -c id` has no syntax character but its colons.
    readsPlainValues: { hint: COMMAND_WORD_START, hintStarts: COMMAND_WORD_STARTS, chars: CH.percent, words: ['ext::'] },
    detect(value: InspectedValue, paranoia: number): RuleHit | undefined {
      let s = value.lower;
      // Command lines that need no separator (a whole value that is `uname -a`, `net user`, `cmd /c ...`): only
      // values whose first word is one of those commands reach the patterns.
      if (s.length >= 6 && s.length <= 2048 && value.role === 'value' && startsWithCommandWord(s)) {
        if (UNIX_COMMAND_LINE.test(s)) return hit(CMDI_RULES.commandLine);
        if (WINDOWS_COMMAND.test(s)) return hit(CMDI_RULES.windowsCommand);
      }
      // `-oProxyCommand=id`, `--upload-pack=id`, `-c core.sshCommand=id`: ssh and git options that run a command; they
      // need no separator, and `=` reaches no rule below (ssh's `-oKeyword value` has no `=`). Each pattern only runs
      // on values holding its literal.
      if (s.indexOf('-o') !== -1 && SSH_COMMAND_OPTION.test(s)) return hit(CMDI_RULES.commandLine);
      if ((value.mask & CH.equals) !== 0) {
        if ((s.indexOf('--') !== -1 || s.indexOf('core.') !== -1) && GIT_COMMAND_OPTION.test(s)) return hit(CMDI_RULES.commandLine);
      }
      // `ext::sh -c id`: git's ext:: transport runs its command, as the URL of `git clone` or an option's value.
      if ((value.mask & CH.colon) !== 0 && s.indexOf('ext::') !== -1 && runsGitExtCommand(s)) return hit(CMDI_RULES.commandLine);
      // `/???/??t /???/p??s??`, `/*/c?t /etc/passwd`: a whole value starting with a glob-spelled command path (`?` in
      // its first segment, or a `*` first segment and a last one that spells a command).
      if ((value.mask & CH.slash) !== 0 && value.role === 'value') {
        const first = skipSpaces(s, 0);
        if (s.charCodeAt(first) === 47 && ((globCommandPath(s, first) & GLOB_PATH.firstSegmentQuestion) !== 0 || starGlobCommandPath(s, first))) return hit(CMDI_RULES.commandLine);
      }
      if (s.length < 2 || (value.mask & (CH.semicolon | CH.pipe | CH.amp | CH.backtick | CH.newline | CH.dollar | CH.percent | CH.backslash | CH.paren | CH.slash)) === 0) {
        return undefined;
      }
      // Escaped backticks: read before Markdown prose is set aside (to Markdown they are literal backticks, no code span).
      if ((value.mask & CH.backtick) !== 0 && (value.mask & CH.backslash) !== 0 && escapedSubstitution(s)) return hit(CMDI_RULES.substitution);
      // At paranoia 1, code quoted in Markdown prose is text about commands, not commands.
      if (paranoia < 2 && (value.mask & CH.backtick) !== 0) s = proseWithoutCode(s) ?? s;
      if ((value.mask & (CH.dollar | CH.backtick | CH.percent)) !== 0 && (s.indexOf('$') !== -1 || s.indexOf('`') !== -1 || s.indexOf('%') !== -1) && SUBSTITUTION.test(s)) {
        // Substitution needs a command inside to count (`$(id)`, `` `whoami` ``); a harmless one first
        // (`$(echo hi)$(whoami)`) must not hide the next, so every one is read.
        if (anySubstitutedCommand(s)) return hit(CMDI_RULES.substitution);
        if (SHELL_VARIABLE.test(s)) return hit(CMDI_RULES.shellSyntax);
      }
      // Every separator `isSepAt` finds (`;|&`, a backtick, a line break, a `\n` escape) has its class in the mask.
      if ((value.mask & SEPARATOR_CLASSES) !== 0) {
        let checked = 0;
        for (let i = 0; i < s.length && checked < 64; i++) {
          let width = isSepAt(s, i);
          if (width === 0) continue;
          checked++;
          let j = i + width;
          while (j < s.length && (width = isSepAt(s, j)) > 0) j += width;
          if (commandAt(s, j)) return hit(CMDI_RULES.chainedCommand);
          i = j - 1;
        }
      }
      // EXEC_CALL needs a parenthesis and a quote or backtick after it.
      if ((value.mask & CH.paren) !== 0 && (value.mask & (CH.quote | CH.backtick)) !== 0 && s.indexOf('(') !== -1) {
        const call = EXEC_CALL.exec(s);
        if (call && COMMANDS.has(call[1]!.slice(call[1]!.lastIndexOf('/') + 1))) return hit(CMDI_RULES.execCall);
      }
      if (BARE_COMMAND.test(s)) return hit(CMDI_RULES.bareCommand);
      if (mayMatchGtfobins(s, value.mask) && GTFOBINS.test(s)) return hit(CMDI_RULES.shellSpawn);
      // After a separator (`| net view`, `& cmd /c ...`); at the start it was checked above.
      if ((value.mask & (CH.semicolon | CH.pipe | CH.amp | CH.backtick | CH.newline | CH.paren)) !== 0 && mayRunWindowsCommand(s, value.mask) && WINDOWS_COMMAND.test(s)) {
        return hit(CMDI_RULES.windowsCommand);
      }
      return undefined;
    },
  };
}
