/**
 * Command injection: `$(cmd)` / `` `cmd` `` with a command that takes no argument (`id`, `pwd`, `hostname`) used to
 * be allowed: nothing after the command word but the closing `)` was no shell usage, and the Markdown inline-code
 * exemption swallowed `` x;`id` `` and `` foo`hostname`.attacker.example ``.
 */
import { describe, expect, it } from 'vitest';
import { checkBody, verdicts } from './review-helpers.js';

const PAYLOADS = [
  '$(id)',
  '$(hostname)',
  '$(pwd)',
  '$(reboot)',
  '$( id )',
  'a$(id)b',
  'x$(id).attacker.example',
  'test $(id) test',
  'x;`id`',
  'x|`id`',
  'x&`id`',
  'foo`hostname`.attacker.example',
  '`id`',
];

/** Markdown and code in chat messages and support tickets. */
const PROSE = [
  'Run `id` to see your uid',
  'Use `ls` or `pwd` in the shell, then `env` to list variables',
  '`id` field is missing',
  'the `env` var is missing; `ps` shows nothing',
  'Tried several things; `id` prints nothing',
  'I don`t know, it`s broken',
  'if $(id).val() is empty the form fails',
  'call $(this).hide() then $(el).show()',
  'The (id) column is null',
  '```bash\nls -la\n```\nthat is what I ran',
];

describe('argument-less command substitution', () => {
  it('check() denies substitutions of argument-less commands (as it does $(whoami)) and allows Markdown prose', async () => {
    expect((await checkBody({ host: '$(whoami)' })).allowed).toBe(false);
    expect(await verdicts('host', PAYLOADS)).toEqual(PAYLOADS.map((p) => [p, false]));
    expect(await verdicts('message', PROSE)).toEqual(PROSE.map((p) => [p, true]));
  });
});
