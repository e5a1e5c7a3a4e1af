/**
 * Linear time (issue 4): every detector, the normaliser, the query parser and the whole inspection run on
 * adversarial 100 KB inputs, shapes chosen to make backtracking regexes or quadratic loops blow up. Each must
 * finish well inside a generous bound; a catastrophic pattern takes seconds here.
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { createBuiltinDetectors } from '../../../src/verifiers/payload-shield/detectors.js';
import { compilePayloadOptions, inspectPayload } from '../../../src/verifiers/payload-shield/index.js';
import { normalise } from '../../../src/verifiers/payload-shield/normalise.js';
import { parseQueryString } from '../../../src/verifiers/payload-shield/query-parser.js';
import { SqlTokenizer } from '../../../src/verifiers/payload-shield/sql-tokenizer.js';
import { createWeakSignalDetector } from '../../../src/verifiers/payload-shield/weak-signals.js';
import { request, valueOf } from './helpers.js';

const SIZE = 100 * 1024;

/**
 * The bound is 50 ms per 100 KB on an ordinary machine. On a slower or loaded machine it is scaled by how long a
 * fixed linear workload takes here versus ~2 ms on an ordinary machine, so the test keeps catching catastrophic
 * (quadratic: seconds to minutes) behaviour without failing on a busy CI box.
 */
function calibrate(): number {
  const text = 'ab<c d="e">'.repeat(SIZE / 11);
  const start = performance.now();
  for (let round = 0; round < 3; round++) {
    let acc = 0;
    for (let i = 0; i < text.length; i++) acc += text.charCodeAt(i);
    /d="x"/.test(text.toLowerCase());
    if (acc === -1) throw new Error('unreachable');
  }
  return Math.max(1, (performance.now() - start) / 2);
}
const BOUND_MS = 50 * calibrate();

function fill(unit: string, prefix = '', suffix = '!'): string {
  return prefix + unit.repeat(Math.ceil((SIZE - prefix.length) / unit.length)).slice(0, SIZE - prefix.length - suffix.length) + suffix;
}

/** Shapes that defeat naive patterns: long runs of a class followed by a mismatch, nested openers, separators. */
const ADVERSARIAL: Record<string, string> = {
  letters: fill('a'),
  spaces: fill(' '),
  slashes: fill('/'),
  backslashes: fill('\\'),
  dots: fill('.'),
  dotSlash: fill('./'),
  dotDotSlashNoTarget: fill('../', '', 'x'),
  quotes: fill("'"),
  doubleQuotes: fill('"'),
  parens: fill('('),
  angle: fill('<'),
  openTagNoClose: fill(' a=', '<img'),
  attributes: fill(' onx', '<a'),
  templates: fill('{{'),
  dollarBraces: fill('${'),
  nestedLookup: fill('${::-'),
  percent: fill('%'),
  percentHex: fill('%2'),
  entities: fill('&#'),
  entityDigits: fill('0', '&#'),
  escapes: fill('\\u00'),
  sqlOr: fill(' or 1=1'),
  sqlComments: fill('/*'),
  dashes: fill('-'),
  semicolons: fill(';'),
  pipes: fill('|'),
  commandish: fill('; a'),
  ldap: fill(')('),
  colons: fill(':'),
  schemes: fill('javascript:'),
  urls: fill('http://a@', 'http://'),
  ipv4ish: fill('1.'),
  digits: fill('9'),
  mixed: fill("<a href='javascript:/*--></script>${{'\"`;|&"),
  crlf: fill('\r\n'),
  unicode: fill('\uff0e\u2215'),
  overlong: fill('%c0%ae'),
  hexSeparators: fill('0x2e'),
  cmdSubstitution: fill('$('),
  backticks: fill('`'),
  brackets: fill('['),
  entityNames: fill('&colon'),
  spacesAfterKeyword: fill(' ', 'document'),
  doctypeSpaces: fill(' ', '<!doctype'),
  handlerRuns: fill(' on', '"'),
  lookupBody: fill('a', '${'),
  hostDots: fill('1.', 'http://'),
  thisDots: fill(' this.', ''),
  selectFrom: fill(' select 1,', '('),
  dollarKeys: fill(' $ne', '{'),
  // Shapes aimed at the issue-13 patterns (java, php, ssji, cmdi command lines, rfi, session, scanner, ssrf, sqli).
  javaDots: fill('java.lang.', 'x '),
  ognlHashes: fill('#a=', '%{('),
  getClassChain: fill('.getclass()', "''"),
  gadgetPrefix: fill('aced000', ''),
  runtimeNoExec: fill('runtime.getruntime() ', ''),
  processBuilderSpaces: fill(' ', 'new processbuilder'),
  phpCallGap: fill('/**/', 'system'),
  phpCallHash: fill('#x\n', 'eval'),
  phpSerialized: fill('o:1:"a":1:{', ''),
  superglobals: fill('$_get[x]', ''),
  requireCalls: fill("require('", ''),
  constructorChain: fill('constructor.', ''),
  processDots: fill('process.', ''),
  windowsFor: fill(' x', 'for /f '),
  netUser: fill(' x', 'net user'),
  regAdd: fill(' ', 'reg add'),
  unixCommandLine: fill(' a', 'perl -e '),
  ncFlags: fill(' -e', 'nc'),
  devTcp: fill('/dev/tcp/', ''),
  curlPipe: fill(' x', 'curl '),
  rfiUrl: fill('a', 'http://'),
  rfiDots: fill('.txt', 'http://x/'),
  sessionPath: fill(';jsessionid', ''),
  scannerWords: fill('nmap ', ''),
  enclosedDigits: fill('①.', 'http://'),
  overflowDigits: fill('9', 'http://'),
  bareScheme: fill('1.', 'http:'),
  inchMarks: fill('1" ', ''),
  unicodeSpaces: fill('\u00a0or', '1'),
  markdownTicks: fill('``', 'a b c '),
  markdownUnclosed: fill('` a', 'one two three '),
  schemaProps: fill('properties.', ''),
  ldapAbsolute: fill(')( ', ''),
  orderByProbe: fill(' ', '1 order by'),
  ormLookups: fill('password__', ''),
};

/** The faster of two runs: one GC pause or scheduler hiccup must not fail the test. */
function timed(fn: () => unknown): number {
  let best = Infinity;
  for (let run = 0; run < 2; run++) {
    const start = performance.now();
    fn();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

describe('ReDoS / linear time on 100 KB adversarial inputs', () => {
  const detectors = [...createBuiltinDetectors(), createWeakSignalDetector()];
  // Warm up the JIT so the bound measures the algorithm, not compilation.
  for (const d of detectors) d.detect(valueOf('warm <a onx=1> ${x} ../ ; id'), 4);

  for (const [name, input] of Object.entries(ADVERSARIAL)) {
    it(`every detector finishes quickly on ${name}`, () => {
      const value = valueOf(input, 'body', 'url');
      const pathValue = valueOf(input, 'path', '');
      const headerValue = valueOf(input, 'header', 'user-agent');
      const keyValue = valueOf(input, 'query', 'page', 'key');
      const slow: string[] = [];
      for (const detector of detectors) {
        const ms = Math.max(
          timed(() => detector.detect(value, 4)),
          timed(() => detector.detect(pathValue, 4)),
          timed(() => detector.detect(headerValue, 1)),
          timed(() => detector.detect(keyValue, 1)),
        );
        if (ms > BOUND_MS) slow.push(`${detector.category}: ${ms.toFixed(1)} ms`);
      }
      expect(slow).toEqual([]);
    });
  }

  it('normalisation, the SQL tokenizer and the query parser are linear', () => {
    for (const [name, input] of Object.entries(ADVERSARIAL)) {
      expect(timed(() => normalise(input)), `normalise ${name}`).toBeLessThan(BOUND_MS);
      expect(timed(() => new SqlTokenizer().read(input, 39)), `tokenizer ${name}`).toBeLessThan(BOUND_MS);
      expect(timed(() => parseQueryString(`q=${input}&${input}=1&a[${input}]=2`)), `query ${name}`).toBeLessThan(BOUND_MS * 2);
    }
  });

  it('the whole inspection of a 100 KB adversarial body stays bounded', () => {
    // The time budget is lifted: this measures the whole inspection, not how fast the budget stops it.
    const options = compilePayloadOptions({ paranoia: 4, threshold: 1000, limits: { maxInspectMillis: 60_000 } });
    for (const [name, input] of Object.entries(ADVERSARIAL)) {
      const ms = timed(() => inspectPayload(request({ query: `q=${encodeURIComponent(input.slice(0, 4000))}` }), { a: input }, options));
      expect(ms, name).toBeLessThan(BOUND_MS * 4);
    }
  });
});
