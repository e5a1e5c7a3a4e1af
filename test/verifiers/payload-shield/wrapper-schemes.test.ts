/**
 * The traversal and PHP detectors skip their stream-wrapper patterns when `mayFollowWrapperScheme` says no `://`
 * follows a wrapper scheme: the gate must hold for every string those patterns match (a gate narrower than its
 * pattern would hide an attack).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WRAPPER } from '../../../src/verifiers/payload-shield/php.js';
import { createTraversalDetector, PHP_WRAPPER, STREAM_WRAPPER, TRAVERSAL_RULES } from '../../../src/verifiers/payload-shield/traversal.js';
import { mayFollowWrapperScheme } from '../../../src/verifiers/payload-shield/wrapper-schemes.js';
import { expectGateCovers, inText, ruleOf } from './helpers.js';

const scheme = fc.constantFrom(
  'php', 'zip', 'phar', 'expect', 'glob', 'data', 'compress.zlib', 'compress.bzip2', 'zlib', 'rar', 'ogg', 'ssh2.shell', 'ssh2.exec', 'ssh2.sftp',
  'jar', 'netdoc', 'http', 'https', 'ftp', 'file', 'xphp', 'php5', 'a.php', 'x-zip',
);
const before = fc.constantFrom('', ' ', '"', "'", '=', '(', '.', '/', '-', 'x', '\t');
const after = fc.constantFrom('filter/read=x/resource=y', 'input', 'fd/3', 'memory', 'temp', 'stdin', 'output', 'text/plain;base64,x', 'x/y,', 'id', 'a.zip#b', '');
const core = fc.tuple(before, scheme, after).map(([b, s, a]) => `${b}${s}://${a}`);
const noise = fc.oneof(fc.constantFrom(' ', ':', '/', '//', '://', 'x', 'php', 'ssh2.', '.', '='), fc.string({ maxLength: 4 }));
const value = inText(core, noise, 3);

describe('mayFollowWrapperScheme', () => {
  it.each<[string, RegExp]>([
    ['STREAM_WRAPPER', STREAM_WRAPPER],
    ['PHP_WRAPPER (its `://` alternatives)', PHP_WRAPPER],
    ['the PHP detector\'s WRAPPER', WRAPPER],
  ])('holds for every generated string %s matches', (_name, pattern) => {
    // PHP_WRAPPER's `data:...base64,` alternative is gated on its own (a value starting `data:`).
    expectGateCovers(value, (s) => pattern.test(s) && !s.startsWith('data:'), mayFollowWrapperScheme, 20_000, 1_000);
  });

  it('skips the patterns on web URLs', () => {
    for (const s of ['https://api.github.com/repos/codertocat/hello-world', 'http://example.com/a?b=c', 'see https://x.example and http://y.example']) {
      expect(mayFollowWrapperScheme(s), s).toBe(false);
    }
  });

  // One wrapper per ending of the gate's list, each passing by that ending alone: dropping one fails its line.
  it.each(['php://filter/resource=x', 'zip://a.zip#b', 'phar://x', 'expect://id', 'glob://*', 'data://text/plain;base64,x', 'compress.zlib://x', 'compress.bzip2://x', 'rar://x', 'ogg://x', 'jar://x', 'netdoc://x', 'ssh2.exec://x'])(
    'traversal: %s is a stream wrapper',
    (s) => {
      expect(mayFollowWrapperScheme(s)).toBe(true);
      expect(ruleOf(createTraversalDetector(), s)).toBe(TRAVERSAL_RULES.wrapper);
    },
  );
});
