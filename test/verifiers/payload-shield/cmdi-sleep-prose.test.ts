/**
 * False positive: UNIX_COMMAND_LINE's `sleep\s{1,4}\d{1,4}` takes any text after the number, so an ordinary note in a
 * sleep/health app ("Sleep 8 hours") is denied as cmdi-command-line. `sleep 5` alone is a probe; prose is not.
 */
import { describe, expect, it } from 'vitest';
import { checkBody, verdicts } from './review-helpers.js';

describe('sleep durations in prose', () => {
  it('allows them', async () => {
    expect((await checkBody({ note: 'sleep 5' })).allowed).toBe(false); // the probe stays denied
    const prose = ['Sleep 8 hours', 'sleep 7 hours last night', 'Sleep 10 minutes', 'Sleep 8h, felt great', 'Sleep 30 mins after lunch'];
    expect(await verdicts('note', prose)).toEqual(prose.map((p) => [p, true]));
  });
});

describe('sleep probes with shell separators', () => {
  it('denies them', async () => {
    const probes = ['sleep 5', 'sleep 5;', 'sleep 5 #', 'sleep 5 && id', '; sleep 5;', '| sleep 5', '&& sleep 5 #', 'sleep 10s'];
    expect(await verdicts('note', probes)).toEqual(probes.map((p) => [p, false]));
  });
});
