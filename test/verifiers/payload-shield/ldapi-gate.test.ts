/**
 * The LDAP detector tries its patterns only when `mayBeFilterInjection` allows: that gate must hold for every string
 * either pattern matches.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanValue as charMask } from '../../../src/verifiers/payload-shield/value-scan.js';
import { ABSOLUTE_FILTER, FILTER_INJECTION, mayBeFilterInjection } from '../../../src/verifiers/payload-shield/ldapi.js';
import { expectGateCovers, inText } from './helpers.js';

const matches = (s: string): boolean => FILTER_INJECTION.test(s) || ABSOLUTE_FILTER.test(s);
const gateOf = (s: string): boolean => mayBeFilterInjection(s, charMask(s));

// Every alternative of both patterns with varied white space (`\s` includes Unicode spaces), between random
// filter syntax and noise.
const ws = fc.constantFrom('', ' ', '\t', '\n', '\u00a0', '\u2003', '\ufeff');
const op = fc.constantFrom('|', '&', '!');
const name = fc.constantFrom('uid', 'cn', 'mail', 'x-y', 'a');
const eq = fc.constantFrom('=', '~=', '<=', '>=');
const core = fc.oneof(
  fc.tuple(ws, op, ws).map(([a, o, b]) => `(${a}${o}${b}(`),
  fc.tuple(ws, ws, fc.constantFrom('', '|', '&', '!'), name, ws, eq).map(([a, b, o, n, c, e]) => `)${a}(${b}${o}${n}${c}${e}`),
  fc.tuple(ws, ws).map(([a, b]) => `*${a})${b}(`),
  fc.tuple(ws, op, name, ws, eq, ws).map(([a, o, n, b, e, c]) => `(${a}${o}${n}${b}${e}${c}*`),
  fc.tuple(ws, ws).map(([a, b]) => `*${a})${b})`),
  fc.tuple(ws, name, ws, ws, ws).map(([a, n, b, c, d]) => `(${a}${n}${b}=${c}*${d}))`),
  fc.tuple(ws, ws, fc.constantFrom('&', '|'), ws).map(([a, b, o, c]) => `)${a}(${b}${o}${c})`),
  fc.tuple(ws, ws, ws).map(([a, b, c]) => `*${a}(${b})${c}|&`),
);
const noise = fc.oneof(fc.constantFrom('(', ')', '|', '&', '!', '*', '=', ' ', 'x'), fc.string({ maxLength: 3 }));
const value = inText(core, noise, 4);

describe('mayBeFilterInjection', () => {
  it('holds for every generated string either pattern matches', () => {
    expectGateCovers(value, matches, gateOf, 40_000, 30_000);
  });

  // One attack per clause: `*`, `=`, and an operator after `(` with neither.
  it.each(['*)(uid', 'x)(uid=y', 'a(|(b', 'admin)(&)', 'x( \u00a0!(y'])('%s passes the gate and matches', (s) => {
    expect(matches(s)).toBe(true);
    expect(gateOf(s)).toBe(true);
  });

  it('skips a parenthesised remark', () => {
    expect(gateOf('please deliver after 6pm (dog is friendly) & call +44 20 7946 0958 if needed.')).toBe(false);
    expect(gateOf('5.12.0 (5120)')).toBe(false);
  });
});
