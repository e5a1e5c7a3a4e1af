/**
 * Variants of the evasions review-gaps.test.ts covers, found by a review of those rules, end to end through
 * createShield().check() (verdicts only): developer text a glob-spelled command path must not match (Next.js route
 * segments, URL queries after a separator), and spellings of the ssh/git option and UNC rules they must match.
 */
import { describe, expect, it } from 'vitest';
import { checkBody } from './review-helpers.js';

const PAYLOAD = { contentTypes: ['application/json'] };
async function verdictsOf(values: readonly string[]): Promise<[string, boolean][]> {
  const out: [string, boolean][] = [];
  for (const v of values) out.push([v, (await checkBody({ q: v }, PAYLOAD)).allowed]);
  return out;
}
const all = (values: readonly string[], allowed: boolean): [string, boolean][] => values.map((v) => [v, allowed]);

describe('review gaps: glob command path false positives (all passed at 7b656a4)', () => {
  // Next.js / Nuxt / SvelteKit dynamic route files (`[id]`) in a markdown code span or a list of lines, and URL
  // queries after a `;`: `[` and `?` are read as glob wildcards of a command path after a separator.
  const BENIGN = [
    'Edit `/pages/[id].tsx` please',
    'The route `/app/[slug]/page.tsx` 404s',
    'Changed files:\n/pages/[id].tsx\n/pages/index.tsx',
    'Endpoints: /api/items?active; /api/orders?open',
  ];
  it('passes developer text with bracketed route segments and URL queries', async () => {
    expect(await verdictsOf(BENIGN)).toEqual(all(BENIGN, true));
  });
});

describe('review gaps: ssh option bypasses', () => {
  // CVE-2017-1000117 / CVE-2017-9800 shape: the host of an ssh URL is handed to ssh as its argument; and ssh reads
  // `-o` in ssh_config syntax, where `Keyword value` (no `=`) is valid: `ssh '-oProxyCommand touch /tmp/x' h` runs it.
  const ATTACKS = ['ssh://-oProxyCommand=id/x', 'git+ssh://-oProxyCommand=id/repo', 'svn+ssh://-oProxyCommand=id/r', '-oProxyCommand touch /tmp/pwn'];
  it('denies them', async () => {
    expect(await verdictsOf(ATTACKS)).toEqual(all(ATTACKS, false));
  });
});

describe('review gaps: git option bypasses', () => {
  // git's parse-options takes any unique prefix of a long option, and `--exec=` is ls-remote's/push's documented
  // synonym of --upload-pack/--receive-pack: `git ls-remote '--upload=touch /tmp/x' repo` and `--exec=` run it (git 2.39).
  const ATTACKS = ['--upload=touch /tmp/pwn', '--upload-pa=id', '--exec=touch /tmp/pwn', '--receive=id'];
  it('denies them', async () => {
    expect(await verdictsOf(ATTACKS)).toEqual(all(ATTACKS, false));
  });
});

describe('review gaps: UNC / file URL bypasses', () => {
  // The rule denies `  \\evil-host\public` (leading white space an app trims), but only up to 8 characters of it;
  // `file://///server/share` is the five-slash UNC spelling Firefox writes (the rule takes two or four slashes).
  const ATTACKS = [' '.repeat(9) + '\\\\evil\\share', '\t'.repeat(12) + '\\\\10.0.0.5\\c$\\x', ' '.repeat(9) + 'file://evil.example/share/x', 'file://///evil.example/share/x'];
  it('denies them', async () => {
    expect(await verdictsOf(ATTACKS)).toEqual(all(ATTACKS, false));
  });
});
