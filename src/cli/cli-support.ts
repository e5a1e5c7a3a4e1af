/**
 * What every CLI command shares: a usage error type with its exit code, argument parsing (Node's `parseArgs`,
 * strict), and reading keys, files and stdin.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MAX_JSON_NESTING, parseStrictJson, type JsonTextProblem } from '../core/strict-json.js';

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

/**
 * An argument as a message may repeat it: quoted when it is a short plain word, otherwise described by its length
 * only. A key, secret or token pasted where a command name, option or file was expected is never echoed.
 */
export function argumentLabel(arg: string): string {
  return /^-{0,2}[A-Za-z0-9._]{1,24}$/.test(arg) ? JSON.stringify(arg) : `(an argument of ${arg.length} characters, not repeated here)`;
}

/**
 * `parseArgs` with strict checking; a bad option becomes a usage error naming it. Node's message repeats an unknown
 * "option" whole (twice): one that is not a plain option name (a PEM key starting with "-----") is not repeated. An
 * option taking one value given twice is refused (Node keeps the last: `--key a --key b` signed with b).
 */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, usage: string) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const plainOption = /^Unknown option '--?[A-Za-z0-9][A-Za-z0-9-]{0,40}'(\.|$)/.test(message);
    const safe = code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || plainOption
      ? message
      : 'an argument starting with "-" is not an option of this command (not repeated here: pass keys and secrets as files)';
    throw new CliError(`${safe}\n\n${usage}`, EXIT.usage);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option' || options[token.name]?.type !== 'string' || options[token.name]?.multiple) continue;
    if (seen.has(token.name)) throw new CliError(`--${token.name} given more than once\n\n${usage}`, EXIT.usage);
    seen.add(token.name);
  }
  return { values: parsed.values, positionals: parsed.positionals };
}

/**
 * The most the CLI reads from one file or from stdin: 1 MiB (a pin set, key or token is a few KiB). A larger input
 * (`/dev/zero`, a wrong file) is refused once this much is read, never read to its end.
 */
export const MAX_INPUT_BYTES = 1024 * 1024;

/** The error for an input larger than {@link MAX_INPUT_BYTES}; `name` is the path, or `stdin`. */
export function inputTooLarge(name: string): CliError {
  return new CliError(`${name} is larger than 1 MiB (the most the CLI reads)`);
}

/**
 * A file's bytes, read up to {@link MAX_INPUT_BYTES}: a larger file (or a device or pipe that never ends) is a
 * CliError once one byte more has been read. Errors opening or reading the file are thrown as they are.
 */
function readBoundedFile(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(MAX_INPUT_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) return buffer.subarray(0, length);
      length += read;
    }
    throw inputTooLarge(path);
  } finally {
    closeSync(fd);
  }
}

/** The text of a file argument, or of stdin for `-`; either at most {@link MAX_INPUT_BYTES}. */
export async function readInput(path: string, io: CliIo): Promise<string> {
  if (path === '-') {
    const text = await io.stdin();
    // Each UTF-16 unit comes from at least one byte: more units than the limit is more bytes than the limit.
    if (text.length > MAX_INPUT_BYTES) throw inputTooLarge('stdin');
    return text;
  }
  return readBoundedFile(path).toString('utf8');
}

/** Reads a file as bytes (at most {@link MAX_INPUT_BYTES}), with a clear error. */
export function readBytes(path: string): Buffer {
  try {
    return readBoundedFile(path);
  } catch (error) {
    if (error instanceof CliError) throw error;
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
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${what} ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return jsonOf(text, `${what} ${sourceLabel(source)}`);
}

/**
 * A JSON text parsed strictly (see `parseStrictJson`): not JSON, objects and arrays nested deeper than
 * {@link MAX_JSON_NESTING} levels (a recursive walk of 100,000 nested arrays overflowed the stack) or a key twice in
 * one object (which one counts depends on the reader) is a CliError (exit 1) naming `what`, never its contents.
 */
function jsonOf(text: string, what: string): unknown {
  const parsed = parseStrictJson(text);
  if (parsed.ok) return parsed.value;
  throw new CliError(jsonProblemMessage(parsed.problem, what));
}

/** The message for a JSON input refused by `parseStrictJson`. */
export function jsonProblemMessage(problem: JsonTextProblem, what: string): string {
  if (problem === 'too_deep') return `${what} nests objects and arrays more than ${MAX_JSON_NESTING} levels deep (the most the CLI reads)`;
  if (problem === 'duplicate_key') return `${what} has the same key twice in one object (which one counts would depend on the reader)`;
  return `${what} is not valid JSON`;
}

/** A key argument: a JWK (file or inline JSON) or a PEM file; returns the JWK object or the PEM text. */
export async function readKey(source: string, io: CliIo): Promise<Record<string, unknown> | string> {
  if (source.trimStart().startsWith('{')) return (await readJson(source, io, 'key')) as Record<string, unknown>;
  let text: string;
  try {
    text = readBoundedFile(source).toString('utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    // An argument naming no file may be the key itself (a PEM or a secret pasted in): never repeated.
    if (!existsSync(source)) throw new CliError(`cannot read the key: no file at the path given (${code}); give a JWK or PEM file, or a JWK as inline JSON`);
    throw new CliError(`cannot read key ${source}: ${code}`);
  }
  if (text.includes('-----BEGIN')) return text;
  const parsed = parseStrictJson(text);
  if (!parsed.ok && parsed.problem !== 'malformed') throw new CliError(jsonProblemMessage(parsed.problem, `key ${source}`));
  const jwk = parsed.ok ? parsed.value : undefined;
  if (typeof jwk === 'object' && jwk !== null && !Array.isArray(jwk)) return jwk as Record<string, unknown>;
  throw new CliError(`key ${source} is neither a JWK (JSON) nor a PEM key`);
}

/**
 * A non-negative integer option, or a usage error; with `range`, an integer from `range.min` to `range.max` (the
 * message then names both).
 */
export function intOption(value: string | undefined, name: string, range?: { min: number; max: number }): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d{1,15}$/.test(value) ? Number(value) : undefined;
  if (range !== undefined && (n === undefined || n < range.min || n > range.max)) {
    throw new CliError(`--${name} must be an integer from ${range.min} to ${range.max}, got ${JSON.stringify(value)}`, EXIT.usage);
  }
  if (n === undefined) throw new CliError(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}`, EXIT.usage);
  return n;
}

/** JWK members that hold private key material (EC/OKP `d`, RSA primes and exponents, a secret's `k`). */
const PRIVATE_JWK_MEMBERS: ReadonlySet<string> = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);

/**
 * The public part of a JWK given where a public key is expected (`--key` of a command that only verifies): a private
 * JWK loses its private members, with a warning on stderr that never repeats them; a secret (`oct`) key is refused.
 * A public JWK is returned as it is.
 */
export function publicPartOf(jwk: Record<string, unknown>, label: string, io: CliIo): Record<string, unknown> {
  if (jwk.kty === 'oct' || 'k' in jwk) throw new CliError(`--key ${label} is a secret key; give the public key (a JWK without "d")`);
  if (!Object.keys(jwk).some((name) => PRIVATE_JWK_MEMBERS.has(name))) return jwk;
  io.err(`warning: --key ${label} is a private key: only its public part is used (keep private keys off machines that only verify)\n`);
  return Object.fromEntries(Object.entries(jwk).filter(([name]) => !PRIVATE_JWK_MEMBERS.has(name)));
}
