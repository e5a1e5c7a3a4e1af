/**
 * A command in a subshell group right after a separator, `;(id)`, `|(ls)`: the `)` after the command word did not
 * read as the end of its command, so an ambiguous command (`id`, `ls`, `cat`) counted only without the parentheses.
 * A group that closes before the end, a separator or a redirection now counts as the bare command does; a group
 * followed by words (`; (at) home`) is prose, as `; at home` is.
 */
import { describe, expect, it } from 'vitest';
import { createCmdiDetector } from '../../../src/verifiers/payload-shield/cmdi.js';
import { ruleOf } from './helpers.js';

const cmdi = createCmdiDetector();

const GROUPS = [
  ';(id)',
  'x;(id)',
  '1;(id)',
  '; ( id )',
  'a|(ls)',
  'a | (pwd)',
  'x && (id)',
  'x||(id)',
  ';((id))',
  ';(id) > /tmp/x',
  ';(id);',
  '| (whoami)',
  '&& (cat /etc/passwd)',
  'x & (id) #',
];

// Without parentheses each of these passes; with them it must pass too.
const PROSE = [
  'Meet me; (at) the station',
  'Sizes: s|(m)|l',
  'Tom & (Jerry)',
  'if (a && (id)) { go(); }',
  'see notes; (cd) player',
  'AT&(T)',
  'Price (w) x (h)',
  'call us; (id) required at the desk',
];

describe('cmdi: a command in a subshell group after a separator', () => {
  it('counts as the same command without the parentheses', () => {
    expect(GROUPS.map((s) => [s, ruleOf(cmdi, s)])).toEqual(GROUPS.map((s) => [s, 'cmdi-chained-command']));
  });

  it('passes a parenthesised word followed by more words, and values that are no group after a separator', () => {
    expect(PROSE.map((s) => [s, ruleOf(cmdi, s)])).toEqual(PROSE.map((s) => [s, undefined]));
  });
});
