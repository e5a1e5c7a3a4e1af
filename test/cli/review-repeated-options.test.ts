/**
 * Review: an option that takes one value, given twice, silently kept the last one: `pinset sign --key old.jwk --key
 * new.jwk` signed with whichever came last, `token mint --secret A --secret B` with B, `--ttl 60 --ttl 999999` minted
 * the longer token. Each is now a usage error naming the option; repeatable options (--backup, --claim, pinset
 * verify --key) still repeat.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError, EXIT, type CliCommand } from '../../src/cli/cli-support.js';
import { keysCommand } from '../../src/cli/commands/keys.js';
import { pinsetCommand } from '../../src/cli/commands/pinset.js';
import { tokenCommand } from '../../src/cli/commands/token.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mas-repeat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(command: CliCommand, args: string[]): Promise<{ code: number; out: string; message?: string }> {
  const out: string[] = [];
  const io = { out: (t: string) => void out.push(t), err: () => undefined, stdin: async () => '' };
  try {
    return { code: await command.run(args, io), out: out.join('') };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return { code: error.exitCode, out: out.join(''), message: error.message };
  }
}

const secret = () => randomBytes(32).toString('base64');
const pin = (n: number) => Buffer.alloc(32, n).toString('base64');

describe('an option that takes one value, given twice', () => {
  it('is a usage error naming it, and nothing is signed or minted', async () => {
    const keyA = path.join(dir, 'a.jwk');
    const keyB = path.join(dir, 'b.jwk');
    writeFileSync(keyA, (await run(keysCommand, ['generate'])).out);
    writeFileSync(keyB, (await run(keysCommand, ['generate'])).out);
    const config = path.join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ version: 1, hosts: { 'api.example.com': { pins: [pin(1)], backupPins: [pin(2)] } } }));
    for (const [command, args, option] of [
      [pinsetCommand, ['sign', config, '--key', keyA, '--key', keyB], '--key'],
      [pinsetCommand, ['sign', config, '--key', keyA, '--kid', 'one', '--kid', 'two'], '--kid'],
      [tokenCommand, ['mint', '--secret', secret(), '--secret', secret()], '--secret'],
      [tokenCommand, ['mint', '--secret', secret(), '--ttl', '60', '--ttl=999999'], '--ttl'],
      [tokenCommand, ['inspect', 'a.b.c', '--key', keyA, '--key', keyB], '--key'],
      [keysCommand, ['generate', '--alg', 'HS256', '--alg', 'ES256'], '--alg'],
    ] as const) {
      const result = await run(command, [...args]);
      expect([result.code, result.out]).toEqual([EXIT.usage, '']);
      expect(result.message).toMatch(new RegExp(`^${option} given more than once`));
    }
  });

  it('repeatable options still repeat', async () => {
    const key = path.join(dir, 'k.jwk');
    writeFileSync(key, (await run(keysCommand, ['generate'])).out);
    const minted = await run(tokenCommand, ['mint', '--secret', secret(), '--claim', 'a=1', '--claim', 'b=2', '--single-use', '--single-use']);
    expect(minted.code).toBe(EXIT.ok);
    const claims = JSON.parse(Buffer.from(minted.out.trim().split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ a: 1, b: 2 });
  });
});
