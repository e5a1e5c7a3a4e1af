/**
 * What every CLI command shares: a usage error type with its exit code, argument parsing (Node's `parseArgs`,
 * strict), and reading keys, files and stdin.
 */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit codes: 0 success, 1 the operation failed (bad input, verification failed), 2 the command line is wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** An error the CLI reports as one line on stderr and turns into an exit code (no stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Where a command writes: stdout for results, stderr for warnings. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Reads all of stdin (for `-` arguments). */
  stdin(): Promise<string>;
}

/** A command: its help text and what it does with its arguments. Resolves the exit code. */
export interface CliCommand {
  readonly usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** `parseArgs` with strict checking; a bad option becomes a usage error naming it. */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, usage: string) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${usage}`, EXIT.usage);
  }
}

/** The text of a file argument, or of stdin for `-`. */
export async function readInput(path: string, io: CliIo): Promise<string> {
  if (path === '-') return io.stdin();
  return readFileSync(path, 'utf8');
}

/** Reads a file as bytes, with a clear error. */
export function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** How a file-or-inline-JSON argument is named in messages: inline JSON is never echoed (it may be a private key). */
export function sourceLabel(source: string): string {
  return source.trimStart().startsWith('{') ? '(inline JSON)' : source;
}

/** A JSON file (or inline JSON starting with `{`), parsed, with a clear error. */
export async function readJson(source: string, io: CliIo, what: string): Promise<unknown> {
  const inline = source.trimStart().startsWith('{');
  let text: string;
  try {
    text = inline ? source : await readInput(source, io);
  } catch (error) {
    throw new CliError(`cannot read ${what} ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CliError(`${what} ${sourceLabel(source)} is not valid JSON`);
  }
}

/** A key argument: a JWK (file or inline JSON) or a PEM file; returns the JWK object or the PEM text. */
export async function readKey(source: string, io: CliIo): Promise<Record<string, unknown> | string> {
  if (source.trimStart().startsWith('{')) return (await readJson(source, io, 'key')) as Record<string, unknown>;
  const text = readBytes(source).toString('utf8');
  if (text.includes('-----BEGIN')) return text;
  try {
    const jwk = JSON.parse(text) as unknown;
    if (typeof jwk === 'object' && jwk !== null && !Array.isArray(jwk)) return jwk as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new CliError(`key ${source} is neither a JWK (JSON) nor a PEM key`);
}

/** A positive integer option, or a usage error. */
export function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new CliError(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}`, EXIT.usage);
  return Number(value);
}
