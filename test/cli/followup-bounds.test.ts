/**
 * Follow-up review, unbounded numbers and inputs in the CLI:
 * - `token mint --ttl 999999999999999` minted a token valid for ~31 million years: `--ttl` is now 0 to 86 400 (the
 *   attestation service's largest `tokenTtl`), a usage error beyond.
 * - `pins --timeout 0` silently meant the default: 0 (and negative, non-numeric, above 300 000) is a usage error.
 * - stdin (`-`) and file reads had no size limit (`pins /dev/zero`, `token inspect - < /dev/zero` read forever):
 *   every read stops after 1 MiB with a clear error, exit 1. The never-ending inputs are simulated by a pipe holding
 *   2 MiB that its writer keeps open (what /dev/zero looks like to a reader, without its memory use on old code).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError, EXIT, MAX_INPUT_BYTES, type CliCommand } from '../../src/cli/cli-support.js';
import { pinsCommand } from '../../src/cli/commands/pins.js';
import { pinsetCommand } from '../../src/cli/commands/pinset.js';
import { tokenCommand } from '../../src/cli/commands/token.js';

const ENTRY = path.resolve(import.meta.dirname, '../../src/cli/index.ts');
const dir = mkdtempSync(path.join(tmpdir(), 'mas-bounds-'));
const bundle = path.join(dir, 'cli.mjs');
const SECRET = randomBytes(32).toString('base64');
const MIB = 1024 * 1024;
/** Every run that could hang on old code is killed after this: a guard, not a speed check. */
const HANG_GUARD_MS = 20_000;

beforeAll(async () => {
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
    noExternal: [/.*/],
  });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(command: CliCommand, args: string[], stdin = ''): Promise<{ code: number; out: string; message: string }> {
  const out: string[] = [];
  const io = { out: (t: string) => void out.push(t), err: () => undefined, stdin: async () => stdin };
  try {
    return { code: await command.run(args, io), out: out.join(''), message: '' };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return { code: error.exitCode, out: out.join(''), message: error.message };
  }
}

/** Runs the built CLI with `feed` written to a pipe (its stdin, or a FIFO named in `args`) that stays open. */
function runFed(args: string[], feed: Buffer, fifo?: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bundle, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    child.stdout.resume();
    const writer = fifo === undefined ? child.stdin : createWriteStream(fifo);
    writer.on('error', () => undefined); // EPIPE once the CLI stops reading: expected
    writer.write(feed);
    const guard = setTimeout(() => child.kill('SIGKILL'), HANG_GUARD_MS);
    child.on('close', (code) => {
      clearTimeout(guard);
      writer.destroy();
      resolve({ code, stderr });
    });
  });
}

describe('numeric options', () => {
  it('token mint --ttl: 0 to 86 400 seconds, integers only', async () => {
    for (const ttl of ['999999999999999', '86401', '1.5', '-1', '1e3']) {
      const result = await run(tokenCommand, ['mint', '--secret', SECRET, `--ttl=${ttl}`]);
      expect(result.code).toBe(EXIT.usage);
      expect(result.message).toMatch(/^--ttl must be an integer from 0 to 86400/);
      expect(result.out).toBe('');
    }
    const longest = await run(tokenCommand, ['mint', '--secret', SECRET, '--ttl', '86400']);
    const claims = decodeJwt(longest.out.trim());
    expect(claims.exp! - claims.iat!).toBe(86_400);
  });

  it('pins --timeout: a positive number of ms up to 300 000, never a silent default', async () => {
    for (const timeout of ['0', '-5', 'abc', '300001', '2.5']) {
      const result = await run(pinsCommand, ['127.0.0.1:1', `--timeout=${timeout}`]);
      expect(result.code).toBe(EXIT.usage);
      expect(result.message).toMatch(/^--timeout must be an integer from 1 to 300000/);
    }
  });
});

describe(`inputs are read up to ${MIB} bytes`, { timeout: 60_000 }, () => {
  it('refuses a file larger than 1 MiB, wherever a file is read', async () => {
    const big = path.join(dir, 'big.txt');
    writeFileSync(big, Buffer.alloc(MIB + 1, 'A'));
    expect(MAX_INPUT_BYTES).toBe(MIB);
    for (const [command, args] of [
      [pinsCommand, [big]],
      [tokenCommand, ['mint', '--key', big]],
      [tokenCommand, ['mint', '--secret', SECRET, '--claims', big]],
      [pinsetCommand, ['diff', big, big]],
    ] as const) {
      const result = await run(command, [...args]);
      expect(result.code).toBe(EXIT.failed);
      expect(result.message).toContain(`${big} is larger than 1 MiB (the most the CLI reads)`);
    }
    // Exactly the limit is still read (here: refused for what it holds, not for its size).
    writeFileSync(big, Buffer.alloc(MIB, 'A'));
    expect((await run(pinsCommand, [big])).message).not.toContain('larger than');
  });

  it('refuses stdin larger than 1 MiB', async () => {
    const result = await run(tokenCommand, ['inspect', '-'], 'A'.repeat(MIB + 1));
    expect(result.code).toBe(EXIT.failed);
    expect(result.message).toBe('stdin is larger than 1 MiB (the most the CLI reads)');
  });

  it('stops reading a stdin that never ends: exit 1 with one line on stderr', async () => {
    for (const args of [['token', 'inspect', '-'], ['pinset', 'diff', '-', '-']]) {
      const result = await runFed(args, Buffer.alloc(2 * MIB));
      expect(result.code).toBe(EXIT.failed);
      // (pinset's own reader prefixes "cannot read -: ")
      expect(result.stderr).toMatch(/^mobile-api-shield: (cannot read -: )?stdin is larger than 1 MiB \(the most the CLI reads\)\n$/);
    }
  });

  it('stops reading a file that never ends (a pipe, like /dev/zero): exit 1', async () => {
    for (const [i, args] of [['pins'], ['token', 'mint', '--key'], ['token', 'mint', '--secret', SECRET, '--claims']].entries()) {
      const fifo = path.join(dir, `fifo-${i}`);
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      const result = await runFed([...args, fifo], Buffer.alloc(2 * MIB), fifo);
      expect(result.code).toBe(EXIT.failed);
      expect(result.stderr).toContain(`${fifo} is larger than 1 MiB (the most the CLI reads)`);
    }
  });
});
