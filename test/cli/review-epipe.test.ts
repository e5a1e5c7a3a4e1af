/**
 * Review: when the reader of the CLI's output goes away first (`mobile-api-shield pins --help | head -1`, a closed
 * pipe), the write failed with EPIPE as an unhandled 'error' event: Node's stack trace on stderr. It is now one
 * line on stderr and exit 1 (the result was not delivered). Runs the CLI entry built as the package builds its bin.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ENTRY = path.resolve(import.meta.dirname, '../../src/cli/index.ts');
let dir: string;
let bundle: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mas-epipe-'));
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
    noExternal: [/.*/],
  });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI with its stdout pipe closed by the reader before the CLI has started. */
function withClosedStdout(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('output to a closed pipe', { timeout: 60_000 }, () => {
  it.each([[['keys', 'generate']], [['pins', '--help']], [['keys', 'generate', '--alg', 'HS256']]])('%j: one line on stderr, exit 1, no stack trace', async (args) => {
    const run = await withClosedStdout(args);
    expect(run.signal).toBeNull();
    expect(run.code).toBe(1);
    expect(run.stderr).not.toMatch(/Unhandled|node:events|\n\s+at /);
    expect(run.stderr).toBe('mobile-api-shield: the output could not be written (EPIPE)\n');
  });
});
