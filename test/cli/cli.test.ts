/**
 * `npx mobile-api-shield` run as a child process: the CLI entry is built once with tsup (as `npm run build` builds
 * the package's bin) and every command's output, --help, errors and exit codes are checked.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatPins } from '../../src/channel/formats.js';
import { createShield } from '../../src/shield.js';
import { makeTestChain, type TestChain } from '../channel/test-chain.js';

const ENTRY = path.resolve(import.meta.dirname, '../../src/cli/index.ts');
let bundle: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bundle, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
    else child.stdin?.end();
  });
}

let chain: TestChain;
let dir: string;
let server: tls.Server;
let port: number;
const file = (name: string, content?: string) => {
  const p = path.join(dir, name);
  if (content !== undefined) writeFileSync(p, content);
  return p;
};

beforeAll(async () => {
  chain = makeTestChain();
  dir = mkdtempSync(path.join(tmpdir(), 'mas-cli-'));
  bundle = path.join(dir, 'cli.mjs');
  await build({
    config: false,
    entry: { cli: ENTRY },
    outDir: dir,
    format: ['esm'],
    outExtension: () => ({ js: '.mjs' }),
    platform: 'node',
    target: 'node20',
    dts: false,
    silent: true,
    noExternal: [/.*/], // one self-contained file: it runs from a temp directory without node_modules
  });
  server = tls.createServer({ key: chain.leafKeyPem, cert: chain.servedChainPem }, (s) => s.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  chain.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('mobile-api-shield CLI', { timeout: 90_000 }, () => {
  it('prints usage (exit 2 without a command, 0 for --help) and refuses unknown commands and options', async () => {
    const bare = await cli([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toContain('Usage: mobile-api-shield <command>');
    expect((await cli(['--help'])).code).toBe(0);
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^mobile-api-shield: unknown command "frobnicate"/);
    const badOption = await cli(['pins', 'x.pem', '--colour']);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain("Unknown option '--colour'");
  });

  it('--help for each command', async () => {
    const helps = await Promise.all([
      cli(['pins', '--help']),
      cli(['pinset', 'sign', '--help']),
      cli(['pinset', 'verify', '--help']),
      cli(['pinset', 'diff', '--help']),
      cli(['keys', 'generate', '--help']),
      cli(['keys', 'public', '--help']),
      cli(['token', 'mint', '--help']),
      cli(['token', 'inspect', '--help']),
      cli(['help', 'pinset']),
    ]);
    const expected = ['pins', 'pinset sign', 'pinset verify', 'pinset diff', 'keys generate', 'keys public', 'token mint', 'token inspect', 'pinset <sign'];
    helps.forEach((run, i) => {
      expect(run.code, expected[i]).toBe(0);
      expect(run.stdout).toContain(`Usage: mobile-api-shield ${expected[i]}`);
    });
  });

  it('pins: a chain file as a table, a live server in a config format, and refuses a configuration without a backup', async () => {
    const chainFile = file('chain.pem', chain.servedChainPem + chain.rootPem);
    const table = await cli(['pins', chainFile]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(new RegExp(`^leaf +${escape(chain.pins.leaf)}  CN=localhost  \\(expires \\d{4}-\\d\\d-\\d\\d\\)$`));
    expect(lines[1]).toContain(`intermediate  ${chain.pins.intermediate}`);
    expect(lines[2]).toContain(`root${' '.repeat(10)}${chain.pins.root}`);

    const live = await cli(['pins', `127.0.0.1:${port}`, '--host', 'localhost', '--format', 'nsc', '--select', 'leaf,intermediate', '--backup', chain.backupPin, '--expires', '2099-01-01']);
    expect(live.code, live.stderr).toBe(0);
    const expected = formatPins('nsc', { localhost: { pins: [chain.pins.leaf, chain.pins.intermediate], backupPins: [chain.backupPin], expiresAt: '2099-01-01' } });
    expect(live.stdout).toBe(expected.text);

    const noBackup = await cli(['pins', `127.0.0.1:${port}`, '--format', 'okhttp']);
    expect(noBackup.code).toBe(1);
    expect(noBackup.stderr).toContain('every pin is in the current chain');
    expect(noBackup.stdout).toBe('');

    const rootOnly = await cli(['pins', chainFile, '--host', 'api.example.com', '--format', 'trustkit', '--select', 'root', '--backup', chain.backupPin]);
    expect(rootOnly.code).toBe(0);
    expect(rootOnly.stderr).toContain('warning: api.example.com: only the root is pinned');
    expect(JSON.parse(rootOnly.stdout).kTSKPinnedDomains['api.example.com'].kTSKPublicKeyHashes).toEqual([chain.pins.root, chain.backupPin]);

    const der = file('leaf.der');
    writeFileSync(der, new (await import('node:crypto')).X509Certificate(chain.leafPem).raw);
    expect((await cli(['pins', der, '--format', 'raw'])).stdout).toBe(`${chain.pins.leaf}\n`);

    const errors = await Promise.all([
      cli(['pins', file('nope.pem', 'hello')]),
      cli(['pins', path.join(dir, 'missing.pem')]),
      cli(['pins', chainFile, '--format', 'okhttp']),
      cli(['pins', chainFile, '--format', 'xml']),
      cli(['pins', chainFile, '--backup', 'abc']),
      cli(['pins', '127.0.0.1:1']),
    ]);
    expect(errors.map((e) => e.code)).toEqual([1, 1, 2, 2, 2, 1]);
    expect(errors[0]?.stderr).toContain('neither a PEM nor a DER certificate');
    expect(errors[1]?.stderr).toContain('ENOENT');
    expect(errors[2]?.stderr).toContain('--host is required');
    expect(errors[5]?.stderr).toContain('TLS connection to 127.0.0.1:1 failed');
  });

  it('keys generate, pinset sign / verify / diff: a full signing round trip with rollback and wrong-key refusals', async () => {
    const pubFile = path.join(dir, 'pub.json');
    const gen = await cli(['keys', 'generate', '--kid', 'pins-2026', '--public-out', pubFile]);
    expect(gen.code).toBe(0);
    const priv = JSON.parse(gen.stdout);
    expect(priv).toMatchObject({ kty: 'EC', crv: 'P-256', kid: 'pins-2026', alg: 'ES256' });
    expect(typeof priv.d).toBe('string');
    const pub = JSON.parse(readFileSync(pubFile, 'utf8'));
    expect(pub).not.toHaveProperty('d');
    const privFile = file('priv.json', gen.stdout);
    const derived = await cli(['keys', 'public', privFile]);
    expect(JSON.parse(derived.stdout)).toEqual(pub);

    const config = { version: 4, hosts: { 'api.example.com': { pins: [chain.pins.intermediate], backupPins: [chain.backupPin], includeSubdomains: true } } };
    const signed = await cli(['pinset', 'sign', file('pinset.json', JSON.stringify(config)), '--key', privFile]);
    expect(signed.code, signed.stderr).toBe(0);
    const jwsFile = file('pinset.jws', signed.stdout);

    const ok = await cli(['pinset', 'verify', jwsFile, '--key', pubFile]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('OK: version 4, signed by pins-2026');
    expect(JSON.parse(ok.stdout).hosts['api.example.com']).toEqual({ pins: [chain.pins.intermediate], backupPins: [chain.backupPin], includeSubdomains: true, enforce: true });
    expect((await cli(['pinset', 'verify', '-', '--key', pubFile], signed.stdout)).code).toBe(0);

    const other = await cli(['keys', 'generate', '--kid', 'pins-2026']);
    const otherPub = await cli(['keys', 'public', file('other.json', other.stdout)]);
    const wrongKey = await cli(['pinset', 'verify', jwsFile, '--key', file('otherpub.json', otherPub.stdout)]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain('pin set refused (signature_invalid)');
    const rollback = await cli(['pinset', 'verify', jwsFile, '--key', pubFile, '--last-version', '5']);
    expect(rollback.code).toBe(1);
    expect(rollback.stderr).toContain('(rollback)');

    const unsafe = await cli(['pinset', 'sign', file('bad.json', JSON.stringify({ version: 5, hosts: { 'api.example.com': { pins: [chain.pins.leaf] } } })), '--key', privFile]);
    expect(unsafe.code).toBe(1);
    expect(unsafe.stderr).toContain('at least two pins');
    expect((await cli(['pinset', 'sign', file('pinset.json'), '--key', pubFile])).stderr).toMatch(/privateKey does not import/);
    expect((await cli(['pinset', 'sign', file('pinset.json')])).code).toBe(2);

    const next = { version: 5, hosts: { 'api.example.com': { pins: [chain.backupPin], backupPins: [chain.pins.leaf], includeSubdomains: true, enforce: false } } };
    const diff = await cli(['pinset', 'diff', jwsFile, file('next.json', JSON.stringify(next))]);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toBe(
      [
        'version 4 → 5',
        'api.example.com: changed',
        `  promoted backup → pin  ${chain.backupPin}`,
        `  - pin     ${chain.pins.intermediate}`,
        `  + backup  ${chain.pins.leaf}`,
        '  enforce true → false  (EMERGENCY: report only)',
        '',
      ].join('\n'),
    );
  });

  it('keys generate --alg HS256, token mint / inspect; a minted pin-set version is what the shield checks', async () => {
    const secret = (await cli(['keys', 'generate', '--alg', 'HS256'])).stdout.trim();
    expect(Buffer.from(secret, 'base64')).toHaveLength(32);
    const minted = await cli(['token', 'mint', '--secret', secret, '--pinset-version', '5', '--bind', 'Bearer abc', '--claim', 'did=pixel-8', '--claim', 'lvl=3', '--single-use']);
    expect(minted.code, minted.stderr).toBe(0);
    const token = minted.stdout.trim();
    const inspected = await cli(['token', 'inspect', token, '--secret', secret]);
    expect(inspected.code).toBe(0);
    expect(inspected.stderr).toContain('OK: signature and times verify');
    const { header, payload, expiresInSeconds } = JSON.parse(inspected.stdout);
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toMatchObject({ psv: 5, did: 'pixel-8', lvl: 3 });
    expect(typeof payload.jti).toBe('string');
    expect(expiresInSeconds).toBeGreaterThan(290);

    const shield = createShield({ token: { secret, header: 'x-attestation-token' }, channel: { minPinSetVersion: 6 } });
    const decision = await shield.check({ method: 'GET', path: '/', headers: { 'x-attestation-token': token }, ip: '127.0.0.1' });
    expect(decision.code).toBe('channel_stale_pins');

    const wrong = await cli(['token', 'inspect', token, '--secret', Buffer.alloc(32, 7).toString('base64')]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('token refused: ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    const unverified = await cli(['token', 'inspect', '-'], token);
    expect(unverified.code).toBe(0);
    expect(unverified.stderr).toContain('signature not checked');
    expect((await cli(['token', 'inspect', 'garbage'])).stderr).toContain('not a JWT');

    const ecKey = file('ec.json', (await cli(['keys', 'generate', '--kid', 'att-1'])).stdout);
    const ecToken = (await cli(['token', 'mint', '--key', ecKey, '--iss', 'https://attest.example', '--ttl', '60'])).stdout.trim();
    const ecPub = file('ecpub.json', (await cli(['keys', 'public', ecKey])).stdout);
    const ecInspect = await cli(['token', 'inspect', ecToken, '--key', ecPub]);
    expect(ecInspect.code).toBe(0);
    expect(JSON.parse(ecInspect.stdout).header).toEqual({ alg: 'ES256', typ: 'JWT', kid: 'att-1' });

    const usage = await Promise.all([
      cli(['token', 'mint']),
      cli(['token', 'mint', '--secret', 'c2hvcnQ=']),
      cli(['token', 'mint', '--secret', secret, '--claim', 'novalue']),
      cli(['token', 'mint', '--secret', secret, '--ttl', '-5']),
      cli(['keys', 'generate', '--alg', 'RS256']),
    ]);
    expect(usage.map((u) => u.code)).toEqual([2, 1, 2, 2, 2]);
    expect(usage[1]?.stderr).toContain('at least 32 bytes');
  });

  it('never echoes an inline key, refuses a non-string kid, and names a pin-set configuration of the wrong shape', async () => {
    const inlineSecret = '{"kty":"EC","crv":"P-256","d":"TOP-SECRET-PRIVATE-SCALAR"';
    for (const args of [['token', 'mint', '--key', inlineSecret], ['keys', 'public', inlineSecret]]) {
      const run = await cli(args);
      expect([run.code, run.stderr.includes('TOP-SECRET'), run.stderr]).toEqual([1, false, expect.stringContaining('(inline JSON) is not valid JSON')]);
    }
    // Valid JSON that is not a usable private key: the message names no part of it.
    const hmac = '{"kty":"oct","k":"c2VjcmV0LWhtYWMta2V5LXRoYXQtc2hvdWxkLW5ldmVyLWJlLXByaW50ZWQ"}';
    const ecWithoutY = '{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}';
    for (const inline of [hmac, ecWithoutY]) {
      const run = await cli(['token', 'mint', '--key', inline]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('--key (inline JSON): not a private key');
      for (const secretPart of ['c2VjcmV0LWhtYWMt', 'jpsQnnGQmL']) expect(run.stderr).not.toContain(secretPart);
    }
    // A __proto__ claim would replace the claims object's prototype: refused as a usage error.
    for (const args of [['--claim', '__proto__={"a":1}'], ['--claims', '{"__proto__":{"a":1}}']]) {
      const run = await cli(['token', 'mint', '--secret', Buffer.alloc(32, 7).toString('base64'), ...args]);
      expect([run.code, run.stderr]).toEqual([2, expect.stringContaining('claim name __proto__ is not allowed')]);
    }
    const key = JSON.parse((await cli(['keys', 'generate'])).stdout) as Record<string, unknown>;
    const numericKid = await cli(['keys', 'public', file('numeric-kid.json', JSON.stringify({ ...key, kid: 12345 }))]);
    expect([numericKid.code, numericKid.stderr]).toEqual([1, expect.stringContaining('"kid" must be a string')]);

    const signed = file('base.json', JSON.stringify({ version: 1, hosts: { 'a.example': { pins: ['x', 'y'] } } }));
    for (const hosts of [{ 'a.example': 5 }, { 'a.example': null }, { 'a.example': { pins: 'abc' } }, { 'a.example': { pins: [], expiresAt: { y: 1 } } }]) {
      const run = await cli(['pinset', 'diff', signed, file('wrong.json', JSON.stringify({ version: 2, hosts }))]);
      expect([JSON.stringify(hosts), run.code, run.stderr]).toEqual([JSON.stringify(hosts), 1, expect.stringContaining('hosts invalid: hosts.a.example')]);
      expect(run.stderr).not.toContain('unexpected error');
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
