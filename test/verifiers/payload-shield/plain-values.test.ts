/**
 * Plain values (no syntax character) skip detection unless a detector's `readsPlainValues` claims them. That
 * shortcut must never hide a hit: for generated plain and near-plain values under many names, in every location
 * and at every paranoia level, whatever a detector reports on the value alone, the inspection reports too.
 * (Before the declarations, this found bare hosts under `fetch`/`page`, gadget classes under `@type`, `shell.php`
 * file names, `java.lang.Runtime`, `@@version`, `xp_cmdshell^...`, `vbscript:`, `__proto__.constructor` and
 * `http:127.0.0.1` passing unread.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, compilePayloadOptions, inspectPayload, type Category, type CompiledPayloadOptions } from '../../../src/verifiers/payload-shield/index.js';
import { classifyHost, createSsrfDetector } from '../../../src/verifiers/payload-shield/ssrf.js';
import type { Detector, LocationKind, ValueRole } from '../../../src/verifiers/payload-shield/types.js';
import { PlainValues } from '../../../src/verifiers/payload-shield/plain-values.js';
import { BUILTIN_DETECTORS } from '../../../src/verifiers/payload-shield/detectors.js';
import { COMMAND_LINE_WORDS } from '../../../src/verifiers/payload-shield/cmdi-command-line.js';
import { scannedWords, scanValue } from '../../../src/verifiers/payload-shield/value-scan.js';
import { request, ruleOf, valueOf } from './helpers.js';

// Names the detectors read plain values under, and ordinary ones.
const NAMES = [
  'q', 'comment', 'id', 'name', 'first_name', 'url', 'callback_url', 'fetch', 'load', 'page', 'per_page', 'path', 'file',
  'filename', 'upload', 'image', 'avatar', '@type', '$type', 'class', '@class', '__type', 'cmd', 'exec', 'host', 'hostname',
  'file-name', 'jsessionid', 'phpsessid', 'where', 'filter', 'include', 'template', 'redirect', 'next', 'site', 'lang',
  'user-agent', 'scanner', 'content',
];
// Pieces of attacks that need no syntax character, pieces of ordinary values, and the plain classes (`:`, `@`, `%`,
// `*`, `!`, `~`, `^`, non-ASCII).
const TOKENS = [
  '127.0.0.1', '169.254.169.254', 'localhost', '2130706433', '0x7f000001', '10.0.0.1', 'metadata.google.internal', '20', '0',
  'http:', 'https:', 'gopher:', 'file:', 'jar:', 'dict:', 'ws:', 'javascript:', 'data:', 'vbscript:', 'jndi:', 'expect:',
  'whoami', 'id', 'cat', 'ls', 'sleep', 'ping', 'curl', 'nc', 'uname -a', '  whoami', 'net user', 'systeminfo',
  'select', 'union', 'insert into', 'delete from', 'drop table', '@@version', 'xp_cmdshell', 'waitfor', '1 or true',
  '2 order by 3', 'benchmark', 'shell.php', 'x.phtml', 'a.php5', 'page.inc', 'com.sun.rowset.JdbcRowSetImpl',
  'java.lang.Runtime', 'java.lang.ProcessBuilder', 'javax.script', 'scriptenginemanager', 'getruntime exec',
  'org.apache.commons.collections.functors.InvokerTransformer', 'InvokerTransformer', 'templatesimpl', 'lazymap',
  'ysoserial', 'aced0005', 'rO0ABXNy', 'H4sIAAAAAAAA', '@ognl.', 'class.module.classLoader', '+ADw-script+AD4-', '+ADw-', '+AD4-',
  '0x2e0x2e0x2f', '0x5c', '0x5c0x5cwindows0x5cwin.ini', 'bsh._Interpreter', 'groovy.$X', '\uff0e\uff0e\u2215etc', 'passwd', 'win.ini', 'child_process', 'process.mainModule', '__proto__.constructor',
  'constructor.constructor', 'module.children', 'document.cookie', 'password__startswith', 'user__password__regex', 'set-cookie:x', 'jsessionid', '%comspec%', 'sqlmap',
  'nikto', '\u212Aill', '\u00a0or\u00a01', '\u2019 or \u20181', 'London', 'GB', 'SKU-4F2A', 'apple_pay', 'iOS 17.4.1',
  '2024-06-01T10:15:22.000Z', 'user@example.com', 'api.example.com', 'admin', 'or', 'and', '1=1', '.', ':', '@', '*', '!',
  '^', '~', '-', '_', ' ', '1', '%2e', '%00', '%27',
];

type Kind = 'body' | 'query' | 'header' | 'body-key' | 'query-key';
const KINDS: readonly Kind[] = ['body', 'query', 'header', 'body-key', 'query-key'];

const compiledByParanoia = new Map<number, CompiledPayloadOptions>(
  [1, 2, 3].map((p) => [p, compilePayloadOptions({ threshold: 1000, paranoia: p as 1 | 2 | 3 })]),
);

// One configuration per category with every other category off: each detector's declaration must hold on its own
// (with `java: 'off'`, say, no other detector's claim may be what lets a `.php` file name reach the PHP detector).
const ALONE = CATEGORIES.filter((c) => c !== 'custom').map((only) => ({
  only,
  compiled: compilePayloadOptions({
    threshold: 1000,
    paranoia: 3,
    categories: Object.fromEntries(CATEGORIES.map((c) => [c, c === only ? 'enforce' : 'off'])) as Record<Category, 'enforce' | 'off'>,
  }),
}));

// Values built from the pieces at random, and attack shapes assembled on purpose (a scheme before a host, an
// encoding of a word), which a uniform draw over the pieces would rarely produce.
const SCHEMES = ['http:', 'https:', 'ftp:', 'gopher:', 'dict:', 'file:', 'ws:', 'wss:', 'javascript:', 'vbscript:', 'data:', 'jar:'];
const HOSTS = ['127.0.0.1', '169.254.169.254', 'localhost', '2130706433', '[::1]', 'metadata.google.internal', '10.0.0.1'];
const value = fc.oneof(
  fc.tuple(fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 4 }), fc.constantFrom('', ' ', '.', ':', '-')).map(([t, sep]) => t.join(sep)),
  fc.tuple(fc.constantFrom(...SCHEMES), fc.constantFrom('', ' ', '\\'), fc.constantFrom(...HOSTS, ...TOKENS)).map(([a, b, c]) => `${a}${b}${c}`),
  fc.tuple(fc.constantFrom(...TOKENS), fc.constantFrom(...TOKENS)).map(([a, b]) => `${a}${b}`),
);

/** The rule ids every detector reports on `raw` alone, as the inspection would build the value. */
function directRules(compiled: CompiledPayloadOptions, raw: string, kind: LocationKind, name: string, role: ValueRole): string[] {
  const value = valueOf(raw, kind, name, role);
  const rules: string[] = [];
  for (const detector of compiled.detectors) {
    const hit = detector.detect(value, compiled.paranoia);
    // A hit of a category that is off is not recorded (the weak-signal detector reports for several categories).
    if (hit && compiled.modes[hit.category] !== 'off') rules.push(hit.ruleId);
  }
  return rules;
}

/** The rule ids the inspection records for `value` placed as `kind` under `name`, and those its detectors find alone. */
function bothWays(compiled: CompiledPayloadOptions, name: string, value: string, kind: Kind): { inspected: Set<string>; direct: string[] } | undefined {
  let verdict;
  let direct: string[];
  switch (kind) {
    case 'body':
      verdict = inspectPayload(request({ path: '/x' }), { [name]: value }, compiled);
      direct = directRules(compiled, value, 'body', name.toLowerCase(), 'value');
      break;
    case 'query':
      verdict = inspectPayload(request({ method: 'GET', path: '/x', query: `${encodeURIComponent(name)}=${encodeURIComponent(value)}` }), undefined, compiled);
      direct = directRules(compiled, value, 'query', name.toLowerCase(), 'value');
      break;
    case 'header': {
      if (!/^[a-z-]+$/.test(name)) return undefined;
      const header = name === 'user-agent' ? name : `x-${name}`;
      verdict = inspectPayload(request({ method: 'GET', path: '/x', headers: { [header]: value } }), undefined, compiled);
      direct = directRules(compiled, value, 'header', header, 'value');
      break;
    }
    case 'body-key':
      // Pollution keys are reported by their own check; the values here are not keys a parser would nest.
      if (value === '__proto__' || value === 'constructor' || value === 'prototype') return undefined;
      verdict = inspectPayload(request({ path: '/x' }), { [value]: 1 }, compiled);
      direct = directRules(compiled, value, 'body', value.toLowerCase(), 'key');
      break;
    case 'query-key':
      // `a[b]` and `a.b` nest in the query parser: only keys it keeps whole are compared.
      if (/[[\].]/.test(value)) return undefined;
      verdict = inspectPayload(request({ method: 'GET', path: '/x', query: `${encodeURIComponent(value)}=1` }), undefined, compiled);
      direct = directRules(compiled, value, 'query', value.toLowerCase(), 'key');
      break;
  }
  return { inspected: new Set(verdict.hits.map((h) => h.ruleId)), direct };
}

describe('plain values', () => {
  it('the inspection reports every hit a detector finds on the value alone (generated values, every location, paranoia 1-3)', () => {
    let compared = 0;
    let withHits = 0;
    fc.assert(
      fc.property(fc.constantFrom(...NAMES), value, fc.constantFrom<Kind>(...KINDS), fc.constantFrom(1, 2, 3), (name, text, kind, paranoia) => {
        const both = bothWays(compiledByParanoia.get(paranoia)!, name, text, kind);
        if (both === undefined) return;
        compared++;
        if (both.direct.length > 0) withHits++;
        for (const rule of both.direct) expect(both.inspected, `${rule} on ${kind} ${name}=${JSON.stringify(text)}`).toContain(rule);
      }),
      { numRuns: 40_000, seed: 20261130 },
    );
    // The generator reaches detectors: a comparison over values nothing fires on would prove nothing.
    expect(compared).toBeGreaterThan(30_000);
    expect(withHits).toBeGreaterThan(5_000);
  });

  it.each(ALONE)("holds for each detector's own declaration ($only alone, every other category off)", ({ compiled }) => {
    fc.assert(
      fc.property(fc.constantFrom(...NAMES), value, fc.constantFrom<Kind>(...KINDS), (name, text, kind) => {
        const both = bothWays(compiled, name, text, kind);
        if (both === undefined) return;
        for (const rule of both.direct) expect(both.inspected, `${rule} on ${kind} ${name}=${JSON.stringify(text)}`).toContain(rule);
      }),
      { numRuns: 5_000, seed: 20261130 },
    );
  });

  it.each([
    [{ fetch: '169.254.169.254' }, 'ssrf-cloud-metadata'],
    [{ page: '127.0.0.1' }, 'ssrf-internal-host'],
    [{ load: '2130706433' }, 'ssrf-internal-host'],
    [{ comment: 'http:127.0.0.1' }, 'ssrf-internal-host'],
    [{ '@type': 'com.sun.rowset.JdbcRowSetImpl' }, 'java-deserialization'],
    [{ filename: 'shell.php' }, 'php-script-file-name'],
    [{ note: 'java.lang.Runtime' }, 'java-process-exec'],
    [{ q: '__proto__.constructor' }, 'ssji-process-access'],
  ])('denies %j (%s), which a plain-value shortcut once let through', (body, rule) => {
    const verdict = inspectPayload(request({ path: '/x' }), body, compilePayloadOptions({}));
    expect(verdict).toMatchObject({ action: 'deny', code: 'payload_attack' });
    expect(verdict.hits.map((h) => h.ruleId)).toContain(rule);
  });

  it('a floating hint runs behind the character it needs, and that character cannot be a letter (the gate folds no case)', () => {
    const detector = (hintNeeds: string): Detector => ({ category: 'java', readsPlainValues: { hint: /[a-z]\.[a-z]/, hintNeeds }, detect: () => undefined });
    const plain = new PlainValues([detector('.')]);
    const claim = (value: string): boolean => {
      const mask = scanValue(value);
      return plain.claims(value, mask, scannedWords(), 'q', 'body', 'value');
    };
    expect(claim('Com.Sun')).toBe(true);
    expect(claim('Com Sun')).toBe(false);
    expect(claim('Com.')).toBe(false);
    expect(() => new PlainValues([detector('A')])).toThrow(/hintNeeds/);
    expect(() => new PlainValues([detector('..')])).toThrow(/hintNeeds/);
  });

  it('refuses a declaration the value scan cannot answer for: a word or a needed character no built-in detector declares', () => {
    const words: Detector = { category: 'xss', readsPlainValues: { words: ['not-a-scanned-word'] }, detect: () => undefined };
    const needs: Detector = { category: 'java', readsPlainValues: { hint: /#x/, hintNeeds: '#' }, detect: () => undefined };
    expect(() => new PlainValues([words])).toThrow(/not a built-in detector's word/);
    expect(() => new PlainValues([needs])).toThrow(/does not look for it/);
  });

  it("an anchored hint's `hintStarts` holds how every one of its matches begins (generated values, 30,000 runs)", () => {
    const gated = BUILTIN_DETECTORS.filter((d) => d.readsPlainValues?.hint && d.readsPlainValues.hintStarts !== undefined);
    expect(gated.map((d) => d.category).sort()).toEqual(['cmdi', 'sqli', 'ssrf', 'traversal']);
    // The words each hint spells (its letter runs, the command words), digits, white space and separators, in both cases.
    const hintWords = gated.flatMap((d) => d.readsPlainValues!.hint!.source.match(/[a-z]{2,}/g) ?? []);
    const words = [...COMMAND_LINE_WORDS, ...hintWords];
    const head = fc.oneof(fc.constantFrom(...words, ...words.map((w) => w.toUpperCase())), fc.constantFrom(...'0123456789', '42', 'x', '-', '.'));
    const tail = fc.oneof(fc.constantFrom(':', ' ', '\t', '.', 'x', '1', '-a', '/'), fc.constantFrom(...hintWords.map((w) => ` ${w} `)), fc.constantFrom(...[...COMMAND_LINE_WORDS].map((w) => ` ${w} `)));
    for (const d of gated) {
      const { hint, hintStarts } = d.readsPlainValues!;
      const pattern = new RegExp(hint!.source, 'i');
      fc.assert(
        fc.property(fc.constantFrom('', ' ', '\t ', '\v'), head, fc.array(tail, { maxLength: 4 }), (space, first, parts) => {
          const s = space + first + parts.join('');
          if (!pattern.test(s)) return;
          const begins = s.trimStart().toLowerCase();
          expect(hintStarts!.some((start) => begins.startsWith(start)), `${d.category}: ${JSON.stringify(s)}`).toBe(true);
        }),
        { numRuns: 10_000 },
      );
    }
  });

  it('runs the anchored hints only on values that start as one of them can, white space skipped', () => {
    const plain = new PlainValues(BUILTIN_DETECTORS);
    const claim = (value: string): boolean => plain.claims(value, scanValue(value), scannedWords(), 'q', 'body', 'value');
    for (const value of ['whoami', '  WHOAMI', '\tid', 'Id', '12 or 1 ', ' 1 OR 1 ', 'gopher:x', '\vHTTP:x', 'Ftp:', 'Li4vLi4vZXRjL3Bhc3N3ZA', 'L2V0Yy9wYXNzd2Q']) expect(claim(value), value).toBe(true);
    for (const value of ['xwhoami', 'a 12 or 1 ', 'sgopher:x', 'ordinary', '', 'w', 'i', 'curly', 'gold', 'Lorem', 'L2', 'xLi4vLi4v']) expect(claim(value), value).toBe(false);
    for (const hintStarts of [['x\u00e9'], ['xyz'], ['']]) {
      const bad: Detector = { category: 'sqli', readsPlainValues: { hint: /^x/, hintStarts }, detect: () => undefined };
      expect(() => new PlainValues([bad]), JSON.stringify(hintStarts)).toThrow(/hintStarts/);
    }
  });

  it('denies a plain scanner header and a plain PHP file name header', () => {
    const compiled = compilePayloadOptions({});
    expect(inspectPayload(request({ method: 'GET', path: '/x', headers: { 'x-scanner': 'yes' } }), undefined, compiled)).toMatchObject({ action: 'deny' });
    expect(inspectPayload(request({ method: 'GET', path: '/x', headers: { 'x-file-name': 'shell.php' } }), undefined, compiled)).toMatchObject({ action: 'deny' });
  });
});

describe('SSRF: a bare count is not a host', () => {
  const ssrf = createSsrfDetector();
  it('reads page sizes and counts under URL-named parameters as numbers (0.0.0.0/8 other than 0.0.0.0 is unreachable)', () => {
    for (const [value, name] of [['20', 'per_page'], ['3', 'page'], ['0177', 'page'], ['16777215', 'load']] as const) {
      expect(ruleOf(ssrf, value, 'query', name), `${name}=${value}`).toBeUndefined();
    }
    expect(inspectPayload(request({ method: 'GET', path: '/x', query: 'per_page=20&page=3' }), undefined, compilePayloadOptions({}))).toMatchObject({ action: 'allow' });
  });
  it('still reads dotless spellings of real addresses and dotted ones as hosts', () => {
    for (const [value, name] of [['2130706433', 'fetch'], ['167772161', 'url'], ['3232235521', 'load'], ['0.0.0.20', 'page']] as const) {
      expect(ruleOf(ssrf, value, 'query', name), `${name}=${value}`).toBeDefined();
    }
    expect(classifyHost('20')).toBe('ssrf-internal-host');
  });
});
