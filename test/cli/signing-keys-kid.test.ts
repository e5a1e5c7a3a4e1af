/**
 * A signing key's kid is used as written or refused, never dropped: `keys generate --kid ""` used to write a key
 * pair with kid "" that `pinset sign` then signed under the JWK thumbprint, so every app refused the set
 * (`unknown_key`). The rule is the library's (`importSigningKey`): 1 to 128 characters.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError, EXIT, type CliCommand } from '../../src/cli/cli-support.js';
import { keysCommand } from '../../src/cli/commands/keys.js';
import { pinsetCommand } from '../../src/cli/commands/pinset.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mas-kid-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pin = (n: number) => Buffer.alloc(32, n).toString('base64');
const file = (name: string, content: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};

async function run(command: CliCommand, args: string[]): Promise<string> {
  const out: string[] = [];
  const code = await command.run(args, { out: (t) => void out.push(t), err: () => undefined, stdin: async () => '' });
  expect(code).toBe(EXIT.ok);
  return out.join('');
}

async function failure(command: CliCommand, args: string[]): Promise<CliError> {
  const error = await run(command, args).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof CliError)) throw new Error(`expected a CliError, got ${String(error)}`);
  return error;
}

const config = () => file('config.json', JSON.stringify({ version: 1, hosts: { 'api.example.com': { pins: [pin(1)], backupPins: [pin(2)] } } }));

describe('keys generate --kid', () => {
  it('refuses an empty kid and one over 128 characters (usage error, exit 2), writing nothing', async () => {
    for (const kid of ['', 'k'.repeat(129)]) {
      const pub = path.join(dir, `pub-${kid.length}.jwk`);
      const error = await failure(keysCommand, ['generate', '--kid', kid, '--public-out', pub]);
      expect([error.exitCode, error.message]).toEqual([EXIT.usage, '--kid must be 1 to 128 characters']);
      expect(() => readFileSync(pub)).toThrow(/ENOENT/);
    }
    // HS256 takes no kid, empty or not.
    expect((await failure(keysCommand, ['generate', '--alg', 'HS256', '--kid', ''])).exitCode).toBe(EXIT.usage);
  });

  it('a 128-character kid is the kid of both halves and of the sets signed with it', async () => {
    const kid = 'k'.repeat(128);
    const pub = path.join(dir, 'pub.jwk');
    const priv = file('priv.jwk', await run(keysCommand, ['generate', '--kid', kid, '--public-out', pub]));
    expect(JSON.parse(readFileSync(pub, 'utf8')).kid).toBe(kid);
    const set = file('set.jws', await run(pinsetCommand, ['sign', config(), '--key', priv]));
    expect(JSON.parse(await run(pinsetCommand, ['verify', set, '--key', pub])).version).toBe(1);
  });
});

describe('keys public', () => {
  it('refuses a key whose kid is empty (exit 1) instead of printing a public JWK with kid ""', async () => {
    const key = JSON.parse(await run(keysCommand, ['generate'])) as Record<string, unknown>;
    const error = await failure(keysCommand, ['public', file('empty-kid.jwk', JSON.stringify({ ...key, kid: '' }))]);
    expect([error.exitCode, error.message]).toEqual([EXIT.failed, 'the key\'s "kid" must be 1 to 128 characters']);
  });
});

describe('pinset sign', () => {
  it('refuses --kid "" (usage error, exit 2) instead of signing under the thumbprint', async () => {
    const priv = file('k.jwk', await run(keysCommand, ['generate', '--kid', 'app-2026']));
    const error = await failure(pinsetCommand, ['sign', config(), '--key', priv, '--kid', '']);
    expect([error.exitCode, error.message]).toEqual([EXIT.usage, '--kid must be 1 to 128 characters']);
  });

  it('refuses a key file whose kid is empty or not a string (exit 1) instead of signing under the thumbprint', async () => {
    const key = JSON.parse(await run(keysCommand, ['generate'])) as Record<string, unknown>;
    for (const kid of ['', 12345]) {
      const error = await failure(pinsetCommand, ['sign', config(), '--key', file('bad-kid.jwk', JSON.stringify({ ...key, kid }))]);
      expect([error.exitCode, error.message]).toEqual([EXIT.failed, 'the key\'s "kid" must be a string of 1 to 128 characters']);
    }
    // --kid names the key instead: the file's kid is not used, so it is not checked.
    const set = await run(pinsetCommand, ['sign', config(), '--key', file('bad-kid.jwk', JSON.stringify({ ...key, kid: '' })), '--kid', 'given']);
    expect(JSON.parse(Buffer.from(set.split('.')[0] as string, 'base64url').toString()).kid).toBe('given');
  });
});

describe('token mint --kid ""', () => {
  it('is a usage error (exit 2), not a token signed without the kid asked for', async () => {
    const { tokenCommand } = await import('../../src/cli/commands/token.js');
    const secret = Buffer.alloc(32, 7).toString('base64');
    const error = await failure(tokenCommand, ['mint', '--secret', secret, '--kid', '']);
    expect(error.exitCode).toBe(EXIT.usage);
    const token = (await run(tokenCommand, ['mint', '--secret', secret, '--kid', 'k1'])).trim();
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid).toBe('k1');
  });
});
