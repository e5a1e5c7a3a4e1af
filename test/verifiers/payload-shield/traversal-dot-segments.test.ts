/**
 * Traversal: a `.` segment (`/./etc/passwd`, `/etc/./passwd`) defeats UNIX_SYSTEM_PATH: the character before
 * `/etc` is `.` (excluded by `[^a-z0-9_.-]`), or `etc/+[a-z]` meets `.`. `fs.readFile`, `path.join` and every
 * OS read the same file. `/.//etc/passwd` and `.//etc/passwd` are denied already.
 */
import { describe, expect, it } from 'vitest';
import { checkBody, verdicts } from './review-helpers.js';

describe('system paths with `.` segments', () => {
  it('denies them as it denies /etc/passwd', async () => {
    expect((await checkBody({ file: '/etc/passwd' })).allowed).toBe(false);
    expect((await checkBody({ file: '/.//etc/passwd' })).allowed).toBe(false);
    const payloads = ['/./etc/passwd', '/etc/./passwd', '/./proc/self/environ', '/proc/./self/environ', '/etc/%2e/shadow', 'c:\\.\\windows\\system32\\drivers\\etc\\hosts'];
    expect(await verdicts('file', payloads)).toEqual(payloads.map((p) => [p, false]));
  });
});

describe('dot segments outside system paths', () => {
  it('allows relative app paths and prose', async () => {
    const benign = ['./src/index.ts', 'assets/./img/logo.png', 'see /./docs for details', 'C:\\Users\\me\\.\\file.txt'];
    expect(await verdicts('file', benign)).toEqual(benign.map((p) => [p, true]));
  });

  it('drops 100 KB of `/./` segments', async () => {
    expect((await checkBody({ file: '/.'.repeat(50_000) + '/etc/passwd' })).allowed).toBe(false);
  });
});
