/**
 * Traversal spellings the LFI lists use that the detector missed (development corpus, tuning half): paths sent
 * base64-encoded, `etc/passwd` relative to a working directory of `/` (behind `./`, `.\\./` or an overlong
 * separator), absolute paths cut by a NUL, `.sh_history`, and the overlong `%c0%5c` backslash. Each with the
 * near-misses that must still pass. Through createShield().check() (JSON body and query), as the adapters call it.
 */
import { describe, expect, it } from 'vitest';
import { decodeLenientUtf8 } from '../../../src/verifiers/payload-shield/normalise.js';
import { unsafeRegexReason } from '../../../src/verifiers/payload-shield/safe-regex.js';
import { NUL_TRUNCATED_PATH, RELATIVE_ETC } from '../../../src/verifiers/payload-shield/traversal.js';
import { checkBody, verdicts } from './review-helpers.js';

const b64 = (text: string): string => Buffer.from(text, 'latin1').toString('base64');

/** `[value, allowed]` for each value sent as `?file=<percent-encoded value>`. */
async function queryVerdicts(values: readonly string[]): Promise<[string, boolean][]> {
  const out: [string, boolean][] = [];
  for (const v of values) out.push([v, (await checkBody({}, {}, `file=${encodeURIComponent(v)}`)).allowed]);
  return out;
}

describe('paths sent base64-encoded', () => {
  const attacks = [
    b64('../../../../etc/passwd'), // Li4vLi4v...ZA==
    b64('../../../../etc/passwd%00'),
    b64('..\\..\\..\\windows\\win.ini'),
    b64('/etc/passwd'), // L2V0Yy9wYXNzd2Q=
    b64('/proc/self/environ'),
    b64('/etc/shadow').replace(/=+$/, ''), // unpadded
    'Li4vLi4vZXRjL3Bhc3N3ZA', // `../../etc/passwd` unpadded: no `/`, `+` or `=`, a plain value
    b64('/var/www/html/../../../etc/passwd').replace(/\+/g, '-').replace(/\//g, '_'), // URL-safe alphabet
  ];

  it('denies them in a JSON body and in the query, as traversal-base64-path', async () => {
    expect(await verdicts('path', attacks)).toEqual(attacks.map((a) => [a, false]));
    expect(await queryVerdicts(attacks)).toEqual(attacks.map((a) => [a, false]));
    expect((await checkBody({ path: b64('/etc/passwd') })).detail).toContain('traversal-base64-path@body.path');
    expect((await checkBody({ path: 'Li4vLi4vZXRjL3Bhc3N3ZA' })).detail).toContain('traversal-base64-path@body.path');
  });

  it('reads an unpadded one, a plain value, under a name that claims no plain value', async () => {
    // `path`, `file` and `host` send every plain value to the detectors by name; `note` and `q` do not.
    expect((await checkBody({ note: 'Li4vLi4vZXRjL3Bhc3N3ZA' })).detail).toContain('traversal-base64-path@body.note');
    expect((await checkBody({}, {}, 'q=L2V0Yy9zaGFkb3c')).detail).toContain('traversal-base64-path@query.q');
    expect((await checkBody({ note: 'L2V0Yy9zaGFkb3c' })).allowed).toBe(false);
  });

  it('passes base64 whose text is no denied path, and tokens that only begin like one', async () => {
    const benign = [
      b64('/public/catalogue/2024.pdf'), // a path, but none the traversal rules deny
      b64('/etc-shop/catalogue.pdf'), // begins L2V0 (`/et`), a shop folder
      b64('/home/me/photo.jpg'),
      Buffer.from([0x2f, 0x65, 0x74, 0x80, 0xff, 0x10, 0x42, 0x99, 0x00, 0x7f, 0x12, 0xab]).toString('base64'), // L2V0 then binary
      Buffer.from([0x2e, 0x2e, 0x2f, 0xfe, 0x01, 0x02, 0xc3, 0x28, 0x00]).toString('base64'), // Li4v then binary
      'L2V0Yy9wYXNzd2Q= and more', // not base64 from end to end
      b64('/etc'), // the folder alone, as in clear
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl', // a JWT
      'Lisbon', 'L2TPVPN2024', 'L3 cache', // words that begin like PREFIXES
    ];
    expect(await verdicts('path', benign)).toEqual(benign.map((b) => [b, true]));
    expect(await queryVerdicts(benign)).toEqual(benign.map((b) => [b, true]));
  });
});

describe('etc/passwd relative to a working directory of /', () => {
  it('denies it bare, behind `./` or `.\\\\./` segments, or with an overlong or backslash separator', async () => {
    const json = ['etc/passwd', './etc/shadow', '.\\\\./.\\\\./.\\\\./etc/passwd', 'etc\\passwd', './/etc/hosts', 'etc/passwd\0'];
    expect(await verdicts('path', json)).toEqual(json.map((a) => [a, false]));
    // As sent in a query: overlong `/` (%c0%af) and an encoded backslash.
    for (const q of ['file=etc%c0%afpasswd', 'file=etc%5cpasswd', 'file=.%5C%5C./.%5C%5C./etc/shadow']) {
      expect((await checkBody({}, {}, q)).allowed, q).toBe(false);
    }
  });

  it('passes other files under an etc folder, and the name inside longer text', async () => {
    const benign = ['etc/passwords', './etc/config.yaml', 'etc/hosts.txt', 'see etc/passwd', 'docs/etc/passwd', 'etc', 'etc/', 'etcetera/passwd'];
    expect(await verdicts('path', benign)).toEqual(benign.map((b) => [b, true]));
  });
});

describe('absolute paths cut by a NUL', () => {
  it('denies a NUL right after an absolute path, as traversal-nul-truncated-path', async () => {
    const json = ['/var/mysql.log\0', '/usr/ports/ftp/pure-ftpd/\0', '/srv/app/uploads/a.txt\0.png', 'c:\\inetpub\\logs\\x.log\0'];
    expect(await verdicts('path', json)).toEqual(json.map((a) => [a, false]));
    expect((await checkBody({}, {}, 'file=/var/mysql.log%00')).detail).toContain('traversal-nul-truncated-path@query.file');
  });

  it('passes the same paths without the NUL, and a NUL after no absolute path', async () => {
    const benign = ['/var/mysql.log', '/usr/ports/net/pure-ftpd/', 'a.png\0', 'hello\0world', 'the /srv/app folder\0', '/\0'];
    expect(await verdicts('path', benign)).toEqual(benign.map((b) => [b, true]));
  });
});

describe('shell history files', () => {
  it('denies .sh_history and .ksh_history as it denies .bash_history', async () => {
    const attacks = ['/var/root/.sh_history', '/home/u/.ksh_history', '../.sh_history'];
    expect(await verdicts('path', attacks)).toEqual(attacks.map((a) => [a, false]));
  });

  it('passes names that only contain the words', async () => {
    const benign = ['/docs/sh_history.md', 'sh_history', 'my.sh_history_notes'];
    expect(await verdicts('path', benign)).toEqual(benign.map((b) => [b, true]));
  });
});

describe('the overlong %c0%5c backslash', () => {
  it('decodes C0 before an ASCII byte from @ on to that byte, other overlong forms as before', () => {
    expect(decodeLenientUtf8([0xc0, 0x5c])).toBe('\\');
    expect(decodeLenientUtf8([0xc0, 0x41])).toBe('A');
    expect(decodeLenientUtf8([0xc0, 0x2e])).toBe('.');
    expect(decodeLenientUtf8([0xc0, 0xaf])).toBe('/');
    expect(decodeLenientUtf8([0xc1, 0x1c])).toBe('\\');
    expect(decodeLenientUtf8([0xc1, 0x9c])).toBe('\\');
    expect(decodeLenientUtf8([0xc3, 0xa9])).toBe('\u00e9');
  });

  it('denies the LFI lists` %c0%2e%c0%2e%c0%5c traversal', async () => {
    expect((await checkBody({}, {}, `file=${'%c0%2e%c0%2e%c0%5c'.repeat(8)}etc/passwd`)).allowed).toBe(false);
    expect((await checkBody({}, {}, 'file=Caf%C3%A9%20%c0%41')).allowed).toBe(true);
  });
});

describe('the new patterns', () => {
  it('have no nested quantifier, backreference or lookaround', () => {
    for (const re of [RELATIVE_ETC, NUL_TRUNCATED_PATH]) expect(unsafeRegexReason(re), re.source).toBeUndefined();
  });

  it('decide 90 to 100 KB of their prefix characters', async () => {
    expect((await checkBody({ path: '.\\\\'.repeat(30_000) + 'etc/passwd' })).allowed).toBe(false);
    expect((await checkBody({ path: '/' + 'a'.repeat(90_000) + '\0' })).allowed).toBe(true); // past the 255-character run
    expect((await checkBody({ path: 'Li4v'.repeat(25_000) })).allowed).toBe(true); // past base64Path's 4096 characters
  });
});
