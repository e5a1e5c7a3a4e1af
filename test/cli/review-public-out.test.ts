/**
 * Review: `keys generate --public-out <file>` replaced whatever was at <file> without asking. Named after the
 * previous key (`--public-out signing.jwk` in a rotation script), it destroyed that private key for good. It now
 * refuses an existing file (exit 1, nothing printed, the file untouched) unless --force is given, and reports a
 * file it cannot write as such, not as an "unexpected error".
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError, EXIT } from '../../src/cli/cli-support.js';
import { keysCommand } from '../../src/cli/commands/keys.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mas-pubout-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function generate(args: string[]): Promise<{ code: number; out: string; error?: CliError }> {
  const out: string[] = [];
  const io = { out: (t: string) => void out.push(t), err: () => undefined, stdin: async () => '' };
  try {
    return { code: await keysCommand.run(['generate', ...args], io), out: out.join('') };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return { code: error.exitCode, out: out.join(''), error };
  }
}

describe('keys generate --public-out', () => {
  it('refuses to replace an existing file (the previous private key), printing no key', async () => {
    const existing = path.join(dir, 'signing.jwk');
    const previousKey = `${JSON.stringify({ kty: 'EC', crv: 'P-256', d: 'previous-private-key' })}\n`;
    writeFileSync(existing, previousKey);
    const result = await generate(['--public-out', existing]);
    expect(result.code).toBe(EXIT.failed);
    expect(result.error?.message).toContain('already exists');
    expect(result.error?.message).toContain('--force');
    expect(result.out).toBe('');
    expect(readFileSync(existing, 'utf8')).toBe(previousKey);
  });

  it('replaces it with --force, and writes a new file without it', async () => {
    const existing = path.join(dir, 'public.jwk');
    writeFileSync(existing, 'old public key\n');
    const forced = await generate(['--public-out', existing, '--force']);
    expect(forced.code).toBe(EXIT.ok);
    const pub = JSON.parse(readFileSync(existing, 'utf8')) as Record<string, unknown>;
    expect(pub).toMatchObject({ kty: 'EC', kid: (JSON.parse(forced.out) as { kid: string }).kid });
    expect(pub).not.toHaveProperty('d');

    const fresh = path.join(dir, 'fresh.jwk');
    const created = await generate(['--public-out', fresh]);
    expect(created.code).toBe(EXIT.ok);
    expect(JSON.parse(readFileSync(fresh, 'utf8'))).not.toHaveProperty('d');
  });

  it('a file it cannot write is a clear failure naming the option, and --force alone is a usage error', async () => {
    const result = await generate(['--public-out', path.join(dir, 'no-such-dir', 'pub.jwk')]);
    expect(result.code).toBe(EXIT.failed);
    expect(result.error?.message).toMatch(/^cannot write --public-out .*: ENOENT$/);
    expect(result.out).toBe('');
    expect((await generate(['--force'])).code).toBe(EXIT.usage);
  });
});
