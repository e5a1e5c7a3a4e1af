/**
 * Command substitution: only the first `$(`/backtick substitution of a value is checked (SUBSTITUTED_WORD.exec), so
 * a harmless one first hides `$(whoami)` after it; and `$(<command> <argument>)` with a plain-word argument
 * (`$(cat flag.txt)`, `$(dig evil.example)`) is not counted, although `$(` + command + space + word is never jQuery.
 */
import { describe, expect, it } from 'vitest';
import { checkBody, verdicts } from './review-helpers.js';

describe('command substitution after a first harmless one', () => {
  it('denies $(whoami) and $(cat /etc/passwd) after another substitution', async () => {
    expect((await checkBody({ host: '$(whoami)' })).allowed).toBe(false);
    const payloads = ['$(echo hi)$(whoami)', '$(echo a) $(id)', 'x$(printf a)$(cat /etc/passwd)'];
    expect(await verdicts('host', payloads)).toEqual(payloads.map((p) => [p, false]));
  });

  it('denies substitutions of a command with a word argument', async () => {
    const payloads = ['$(cat flag.txt)', '$(cat config.json)', '$(rm important.db)', '$(python evil.py)', '$(dig evil.example)', 'x.example$(ping evil.example)', '`dig evil.example`'];
    expect(await verdicts('host', payloads)).toEqual(payloads.map((p) => [p, false]));
  });
});

describe('substitution controls that stay allowed', () => {
  it('allows jQuery calls (a quoted selector is left to the sqli rules) and Markdown inline code in prose', async () => {
    const benign = ['$(window).scrollTop()', '$(document).ready(init)', '$(this).val()', 'Use `set x` to change it', 'I ran `cat notes.txt` and it printed nothing'];
    expect(await verdicts('note', benign)).toEqual(benign.map((p) => [p, true]));
  });

  it('reads every substitution: harmless ones first do not hide a command after them', async () => {
    expect((await checkBody({ host: '$(x)'.repeat(40) + '$(id)' })).allowed).toBe(false);
    expect((await checkBody({ host: '`x` '.repeat(40) + '$(whoami)' })).allowed).toBe(false);
  });
});
