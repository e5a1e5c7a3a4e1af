/**
 * Each detector tests cheap gates (character classes, gate words) before its patterns; a gate narrower than its
 * pattern would hide an attack. These are attacks that pass exactly one gate word of their rule, so dropping that
 * word from the gate fails here (the gate words themselves are held to `indexOf` in word-search.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { createJavaDetector, JAVA_RULES } from '../../../src/verifiers/payload-shield/java.js';
import { createNosqliDetector, NOSQLI_RULES } from '../../../src/verifiers/payload-shield/nosqli.js';
import { createPhpDetector, PHP_RULES } from '../../../src/verifiers/payload-shield/php.js';
import { createSsjiDetector, SSJI_RULES } from '../../../src/verifiers/payload-shield/ssji.js';
import { createTraversalDetector, TRAVERSAL_RULES } from '../../../src/verifiers/payload-shield/traversal.js';
import { createXssDetector, XSS_RULES } from '../../../src/verifiers/payload-shield/xss.js';
import { ruleOf } from './helpers.js';

describe('detector gates pass every attack their pattern matches', () => {
  const java = createJavaDetector();
  // The value, the rule, and the gate it passes by.
  it.each<[string, string, string]>([
    ['javax.script.ScriptEngineManager', JAVA_RULES.processExec, 'script: neither runtime nor process'],
    ['payload made by ysoserial', JAVA_RULES.deserialization, 'ysoserial: no dot, no <'],
    ['class.module.classLoader.resources.context.parent.pipeline.first.pattern', JAVA_RULES.classLoader, 'classloader in a value'],
    ['${#context["xwork.MethodAccessor.denyMethodExecution"]}', JAVA_RULES.expression, '# and {'],
  ])('java: %s (%s, passes by %s)', (value, rule) => {
    expect(ruleOf(java, value)).toBe(rule);
  });

  it('ssji: a Function constructor returning the global object (function: no constructor, process or require)', () => {
    expect(ruleOf(createSsjiDetector(), "Function('return this')()")).toBe(SSJI_RULES.constructorChain);
  });

  it('nosqli: a $where sleep probe (sleep: no this, return or db)', () => {
    expect(ruleOf(createNosqliDetector(), 'sleep(5000)')).toBe(NOSQLI_RULES.serverJs);
  });

  it.each(['config.inc', 'shell.php', 'x.shtml'])('php: %s under a file-name key (.inc, .p, .s)', (value) => {
    expect(ruleOf(createPhpDetector(), value, 'body', 'filename')).toBe(PHP_RULES.scriptUpload);
  });

  it.each(['0x2e0x2e0x2fetc0x2fpasswd', '0x2e0x2e0x5cwindows0x5cwin.ini'])('traversal: %s (0x: no slash, no dot-dot, ASCII)', (value) => {
    expect(ruleOf(createTraversalDetector(), value)).toBe(TRAVERSAL_RULES.dotDot);
  });

  // WINDOWS_FILES ends a name at the end of the value or before `\0?#;`; its gate asks the last letter first.
  it.each(['win.ini', 'system.ini', 'boot.ini', 'php.ini', 'my.ini', 'my.cnf', 'httpd.conf', 'web.config', 'wp-config.php', 'sam', 'ntuser.dat', 'access.log', 'error_log'])(
    'traversal: backup/%s, at the end of the value and before each of ?#; and NUL',
    (name) => {
      for (const cut of ['', '?x=1', '#x', ';x', '\0x']) expect(ruleOf(createTraversalDetector(), `backup/${name}${cut}`), cut).toBe(TRAVERSAL_RULES.windowsPath);
    },
  );

  it.each(["self['al'+'ert']", 'self[`al`+`ert`]', 'frames ["eval"]'])('xss: %s (a global looked up by string: `[` and a quote, no parenthesis)', (value) => {
    expect(ruleOf(createXssDetector(), value)).toBe(XSS_RULES.jsSink);
  });
});
