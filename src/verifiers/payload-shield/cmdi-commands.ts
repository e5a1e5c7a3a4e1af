/**
 * The command names the cmdi detector knows: the commands an attacker runs to probe or take over a host, which of
 * them are also everyday words, which nobody names in prose, and whether a glob word (`c?t`, `who?mi`) spells one
 * of them as the shell would expand it. Shared by cmdi.ts and cmdi-command-line.ts.
 */

/** Commands whose appearance right after a shell separator is an attack. */
export const COMMANDS: ReadonlySet<string> = new Set([
  'id', 'whoami', 'uname', 'cat', 'ls', 'dir', 'pwd', 'ping', 'nslookup', 'dig', 'host', 'curl', 'wget', 'nc',
  'ncat', 'netcat', 'telnet', 'bash', 'sh', 'zsh', 'ksh', 'csh', 'dash', 'tcsh', 'powershell', 'pwsh', 'cmd',
  'cmd.exe', 'ipconfig', 'ifconfig', 'netstat', 'net', 'netsh', 'systeminfo', 'tasklist', 'taskkill', 'reg',
  'sleep', 'timeout', 'echo', 'type', 'more', 'head', 'tail', 'less', 'chmod', 'chown', 'rm', 'mv', 'cp', 'touch',
  'python', 'python3', 'perl', 'ruby', 'php', 'node', 'lua', 'java', 'env', 'printenv', 'set', 'export', 'uptime',
  'hostname', 'ps', 'kill', 'killall', 'find', 'grep', 'awk', 'sed', 'xterm', 'xargs', 'base64', 'xxd', 'od',
  'certutil', 'bitsadmin', 'wmic', 'rundll32', 'regsvr32', 'mshta', 'cscript', 'wscript', 'schtasks', 'at',
  'crontab', 'useradd', 'adduser', 'passwd', 'sudo', 'su', 'mkfifo', 'mknod', 'socat', 'tftp', 'ftp', 'scp',
  'ssh', 'shutdown', 'reboot', 'halt', 'init', 'systemctl', 'service', 'sysctl', 'ver', 'vol', 'arp', 'route',
  'traceroute', 'tracert', 'lsof', 'last', 'w', 'who', 'users', 'groups', 'getent', 'nmap', 'nohup', 'exec',
  'eval', 'expr', 'start', 'call', 'copy', 'del', 'erase', 'rmdir', 'mkdir', 'cd',
  'attrib', 'icacls', 'cacls', 'net1', 'qwinsta', 'query', 'whoami.exe', 'ipconfig.exe',
]);

/** Commands that are also everyday words (used by the paranoia-2 weak signal). */
export const AMBIGUOUS_COMMANDS: ReadonlySet<string> = new Set([
  'type', 'more', 'set', 'export', 'find', 'last', 'w', 'who', 'users', 'groups', 'true', 'false', 'test', 'start',
  'call', 'copy', 'query', 'at', 'host', 'head', 'tail', 'less', 'echo', 'service', 'route', 'init', 'cd', 'del',
  'ver', 'vol', 'kill', 'sleep', 'timeout', 'cat', 'net', 'dir', 'cp', 'mv', 'rm', 'ps', 'su', 'reg', 'node',
  'java', 'env', 'ruby', 'eval', 'exec', 'expr', 'ftp', 'ssh', 'id',
]);

/** Commands nobody names in prose right after a separator: any use counts. */
export const UNAMBIGUOUS: ReadonlySet<string> = new Set([
  'whoami', 'uname', 'ipconfig', 'ifconfig', 'netstat', 'netsh', 'systeminfo', 'tasklist', 'taskkill', 'powershell',
  'pwsh', 'cmd.exe', 'nslookup', 'wget', 'curl', 'nc', 'ncat', 'netcat', 'certutil', 'bitsadmin', 'wmic', 'mshta',
  'rundll32', 'regsvr32', 'cscript', 'wscript', 'schtasks', 'mkfifo', 'socat', 'printenv', 'bash', 'sh', 'zsh',
  'ksh', 'csh', 'dash', 'tcsh', 'xterm', 'icacls', 'cacls', 'qwinsta', 'whoami.exe', 'ipconfig.exe', 'telnet',
]);

/** Longest glob word read; a command path's segment is at most 12 characters (see `globCommandPath`). */
const MAX_GLOB_WORD = 16;

/**
 * True when `word` (lower case, one path segment) holds a wildcard (`?`, `*`, a `[...]` class) and a letter, and
 * the shell's expansion of it can name a command of COMMANDS: `c?t`, `ca?`, `who?mi`, `c[a]t`, `*sh`. `*.js`,
 * `c?ta`, `index.html` (no wildcard) and `*` (no letter) spell none. Words past MAX_GLOB_WORD characters spell none.
 */
export function globSpellsCommand(word: string): boolean {
  if (word.length === 0 || word.length > MAX_GLOB_WORD) return false;
  let wildcard = false;
  let letter = false;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c === 63 || c === 42 || c === 91) wildcard = true;
    else if (c >= 97 && c <= 122) letter = true;
  }
  if (!wildcard || !letter) return false;
  for (const name of COMMANDS) if (globMatches(word, name)) return true;
  return false;
}

/**
 * Whether glob `p` matches all of `name`: `?` one character, `*` any run, `[...]` one character of the class (`a-c`
 * ranges; `!` or `^` first negates; an unclosed `[` is itself). Every token but `*` takes one character, so one
 * backtrack point (the last `*`) suffices: at most `p.length * name.length` steps, whatever the stars.
 */
function globMatches(p: string, name: string): boolean {
  let pi = 0;
  let ni = 0;
  let starP = -1;
  let starN = 0;
  while (ni < name.length) {
    if (pi < p.length) {
      const c = p.charCodeAt(pi);
      if (c === 42) {
        starP = pi++;
        starN = ni;
        continue;
      }
      const close = c === 91 ? p.indexOf(']', pi + 2) : -1;
      const n = name.charCodeAt(ni);
      if (close !== -1 ? inClass(p, pi + 1, close, n) : c === 63 || c === n) {
        pi = close !== -1 ? close + 1 : pi + 1;
        ni++;
        continue;
      }
    }
    if (starP === -1) return false;
    pi = starP + 1;
    ni = ++starN;
  }
  while (p.charCodeAt(pi) === 42) pi++;
  return pi === p.length;
}

/** Whether `c` is in the glob class `p[from..to)` (the text between `[` and `]`). */
function inClass(p: string, from: number, to: number, c: number): boolean {
  let i = from;
  const negated = p.charCodeAt(i) === 33 || p.charCodeAt(i) === 94;
  if (negated) i++;
  let found = false;
  for (; i < to; i++) {
    const lo = p.charCodeAt(i);
    if (p.charCodeAt(i + 1) === 45 && i + 2 < to) {
      if (c >= lo && c <= p.charCodeAt(i + 2)) found = true;
      i += 2;
    } else if (c === lo) found = true;
  }
  return found !== negated;
}
