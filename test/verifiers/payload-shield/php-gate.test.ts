/**
 * The PHP detector tries its call patterns only when `mayBeCall` finds PHP argument syntax: that gate must hold for
 * every string either pattern matches.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARGLESS_PROBE, CALL, mayBeCall } from '../../../src/verifiers/payload-shield/php.js';
import { expectGateCovers, inText } from './helpers.js';

const matches = (s: string): boolean => CALL.test(s) || ARGLESS_PROBE.test(s);

// Calls as CALL and ARGLESS_PROBE read them: a name, the gap PHP allows before `(` (white space, comments), an
// argument, between random text.
const ws = fc.constantFrom('', ' ', '\t', '\n', '\u00a0', '\u2003', '\ufeff');
const fn = fc.constantFrom('system', 'exec', 'eval', 'assert', 'posix_kill', 'phpinfo', 'getmypid', 'call_user_func_array', 'unlink', 'dl');
const gap = fc.constantFrom('', ' ', '/* x */', '#c\n', '//c\n', '\n\t', '/**/ ');
const argument = fc.constantFrom('$_GET[0]', "'id'", '"ls"', '`id`', ')', 'chr(105)', 'base64_decode(', '/*', 'x (', 'x');
const core = fc.tuple(fn, fc.array(gap, { maxLength: 3 }), ws, argument).map(([f, g, w, a]) => `${f}${g.join('')}(${w}${a}`);
const noise = fc.oneof(fc.constantFrom('(', ')', ' ', '$', "'", 'x', '_', '/', '*'), fc.string({ maxLength: 3 }));
const value = inText(core, noise, 4);

describe('mayBeCall', () => {
  it('holds for every generated string CALL or ARGLESS_PROBE matches', () => {
    expectGateCovers(value, matches, mayBeCall, 40_000, 20_000);
  });

  // One call per kind of argument.
  it.each(["system('id')", 'eval($_POST[x])', 'assert /* a */ (`id`)', 'phpinfo( )', 'system(chr(105))', 'exec(/* x */"id")'])(
    '%s passes the gate and matches',
    (s) => {
      expect(matches(s)).toBe(true);
      expect(mayBeCall(s)).toBe(true);
    },
  );

  it('skips a parenthesised remark', () => {
    expect(mayBeCall('please deliver after 6pm (dog is friendly) & call +44 20 7946 0958 if needed.')).toBe(false);
    expect(mayBeCall('the system (ios) crashed')).toBe(false);
  });
});
