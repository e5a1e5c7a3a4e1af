/**
 * Four known gaps of the payload shield, end to end through createShield().check() (the pre-screen of plain values
 * included, so a rule no value can reach fails here): git's `ext::` transport, which runs its command; a
 * glob-spelled command path whose first segment is `*` (`/*\/c?t`); a `file:` URL to localhost with a port, read as
 * a UNC host; and a URL whose path holds `//bin/`, read as a local system path. Each has benign look-alikes that
 * must keep passing.
 */
import { describe, expect, it } from 'vitest';
import { checkBody } from './review-helpers.js';

const PAYLOAD = { contentTypes: ['application/json'] };

/** `[value, allowed]` for each value as `{"q": value}`; one `toEqual` shows every wrong answer at once. */
async function verdictsOf(values: readonly string[], field = 'q'): Promise<[string, boolean][]> {
  const out: [string, boolean][] = [];
  for (const v of values) out.push([v, (await checkBody({ [field]: v }, PAYLOAD)).allowed]);
  return out;
}
const all = (values: readonly string[], allowed: boolean): [string, boolean][] => values.map((v) => [v, allowed]);

/** `[value, rule]` for each value as `{"q": value}`: the rule id that refuses it (`detail` is `score n/n: rule@where`). */
async function rulesOf(values: readonly string[], field = 'q'): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for (const v of values) {
    const { detail } = await checkBody({ [field]: v }, PAYLOAD);
    out.push([v, detail.replace(/^.*: /, '').replace(/@.*$/, '')]);
  }
  return out;
}

describe('known gap: git ext:: transport URLs run a command', () => {
  // `git clone 'ext::sh -c touch% /tmp/pwned'` runs `sh -c 'touch /tmp/pwned'` (git-remote-ext; `% ` is a space).
  // The whole value, after a `git clone`/`git fetch` command, quoted, and as the value of a git option.
  const ATTACKS = [
    'ext::sh -c touch% /tmp/pwned',
    'ext::sh -c id',
    'ext::/bin/sh -c whoami',
    'EXT::sh -c id',
    'git clone ext::sh -c id',
    'git fetch ext::sh -c id',
    '"ext::sh -c id"',
    '--upload-pack=ext::sh -c id',
    'remote.origin.url=ext::bash -c id',
    'ext::id',
  ];
  // `ext::` in prose and code: a file extension note, a C++/Rust path, a word after it that is no command.
  const BENIGN = ['file.ext::note', 'std::ext::foo', 'see ext::note for details', 'ext::foo', 'a::ext::sh', 'mod.ext::cat', 'the ext:: prefix'];

  it('refuses each as command injection; passes ext:: without a command after it', async () => {
    expect(await verdictsOf(ATTACKS)).toEqual(all(ATTACKS, false));
    const rules = await rulesOf(ATTACKS);
    expect(rules.filter(([, rule]) => !rule.startsWith('cmdi-'))).toEqual([]);
    expect(await verdictsOf(BENIGN)).toEqual(all(BENIGN, true));
  });
});

describe('known gap: glob-spelled command paths with a leading /*/ segment', () => {
  // The shell expands `/*/c?t` to /bin/cat (and whatever else matches) and runs it: a filter-evasion spelling of
  // `cat /etc/passwd` without `cat` or `/bin`. The `?` in the first segment was already refused; `*` was not.
  const ATTACKS = ['/*/c?t /etc/passwd', '/*/c?t', '/???/c?t', '/b??/c?t', '/*/ca? /e*c/p*d', '  /*/c?t', '/*/*/c?t /e??/p?ss??', '/*/who?mi', '/*/c[a]t'];
  // URL paths and file globs: the last segment spells no command (or has no wildcard), or the path is not a value
  // that starts with `/*/`.
  const BENIGN = ['/*/index.html', 'src/**/*.ts', '/api/*/users', '/*/*.js', '/docs/*/c?ta', '/*/*', '/*/', '/*/c?t.md', '/*/foo?', 'see /*/c?t'];

  it('refuses each as a command line; passes URL paths and file globs whose last segment spells no command', async () => {
    expect(await verdictsOf(ATTACKS)).toEqual(all(ATTACKS, false));
    expect(await rulesOf(['/*/c?t', '/*/ca? /e*c/p*d'])).toEqual([
      ['/*/c?t', 'cmdi-command-line'],
      ['/*/ca? /e*c/p*d', 'cmdi-command-line'],
    ]);
    expect(await verdictsOf(BENIGN)).toEqual(all(BENIGN, true));
  });

  it('refuses the same paths after a shell separator; passes URL paths and file globs there', async () => {
    const CHAINED = ['a;/*/c?t', '|/*/c?t', 'x && /*/who?mi', 'a;/*/ca? /e*c/p*d'];
    const PROSE = ['see a;/*/index.html', 'x|/*/*.js', 'a; /*/c?t.md', 'a;/*/*'];
    expect(await verdictsOf(CHAINED)).toEqual(all(CHAINED, false));
    expect((await rulesOf(CHAINED)).filter(([, rule]) => !rule.startsWith('cmdi-'))).toEqual([]);
    expect(await verdictsOf(PROSE)).toEqual(all(PROSE, true));
  });
});

describe('known gap: a file: URL to localhost with a port', () => {
  // `file://localhost:80/etc/passwd` is a local file read like `file://localhost/etc/passwd` (the port changes
  // nothing), not a UNC path to a host `localhost:80`; so is `file://127.0.0.1/...`, the loopback address.
  const LOCAL = [
    'file://localhost/etc/passwd',
    'file://localhost:80/etc/passwd',
    'file://LOCALHOST:8080/etc/passwd',
    'file://127.0.0.1/etc/passwd',
    'file://127.0.0.1:80/etc/passwd',
  ];

  // Another host, with or without a port, is still a UNC path to it (`localhost.evil.example` is not localhost).
  const REMOTE = ['file://evil.example:445/share/x', 'file://10.0.0.5/c$/x', 'file://localhost.evil.example/share/x', 'file://127.0.0.10/c$/x'];

  it('refuses each with the rule that refuses file://localhost/etc/passwd; other hosts stay UNC paths', async () => {
    expect(await rulesOf(LOCAL)).toEqual(LOCAL.map((v) => [v, 'ssrf-internal-host']));
    expect(await rulesOf(REMOTE)).toEqual(REMOTE.map((v) => [v, 'traversal-windows-system-path']));
  });

  it('refuses each under an identifier key too (a $ref resolver reads file: URLs)', async () => {
    for (const field of ['id', '$id', '$ref']) expect(await verdictsOf(LOCAL, field)).toEqual(all(LOCAL, false));
  });
});

describe('known gap: //bin/ inside a URL path', () => {
  // A URL with a scheme and a host names a resource of that host; `//` in its path is no local root.
  const BENIGN = [
    'https://example.com/docs//bin/readme',
    'https://example.com//etc/passwd-format.html',
    'http://cdn.example.com/assets//usr/share/icon.png',
    'https://user@example.com:8443/a//bin/b',
    'link: https://example.com/docs//bin/readme',
  ];
  // Local paths stay refused: a leading `//`, `//` inside a path, a file URL without a host or to localhost, a
  // dot-dot, a shell separator, and a `//bin/` in a URL's query or after the URL.
  const ATTACKS = [
    '//bin/sh',
    '/bin//sh',
    'file:///bin/sh',
    'file://localhost//bin/sh',
    'file://fileserver//etc/passwd',
    '..//bin/sh',
    'foo;//bin/sh',
    '//etc/passwd',
    'https://example.com/?file=//etc/passwd',
    'http:///etc/passwd',
    'https://example.com/x //etc/passwd',
    'https://example.com/docs//bin/x,/etc/passwd',
    'https://example.com/docs//bin/x:/etc/passwd',
  ];

  it('passes a URL whose path contains //bin/ or //etc/; still refuses local paths with a double slash', async () => {
    expect(await verdictsOf(BENIGN)).toEqual(all(BENIGN, true));
    expect(await verdictsOf(ATTACKS)).toEqual(all(ATTACKS, false));
  });
});
