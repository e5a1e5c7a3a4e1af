#!/usr/bin/env node
/**
 * `npx mobile-api-shield`: pins, signed pin sets, keys and test tokens from the command line.
 * Results go to stdout, warnings and errors to stderr; exit 0 on success, 1 when the operation failed, 2 for a
 * wrong command line.
 */
import { keysCommand } from './commands/keys.js';
import { pinsCommand } from './commands/pins.js';
import { pinsetCommand } from './commands/pinset.js';
import { tokenCommand } from './commands/token.js';
import { argumentLabel, CliError, EXIT, inputTooLarge, MAX_INPUT_BYTES, type CliCommand, type CliIo } from './cli-support.js';

const COMMANDS: Readonly<Record<string, CliCommand>> = { pins: pinsCommand, pinset: pinsetCommand, keys: keysCommand, token: tokenCommand };

const USAGE = `Usage: mobile-api-shield <command> [options]

Commands:
  pins <cert.pem | host:port> [--format okhttp|nsc|trustkit|rn|raw]   SPKI pins of a certificate, chain or server
  pinset sign <config.json> --key <jwk>                                sign a pin set (ES256)
  pinset verify <file> --key <jwk>                                     verify a signed pin set as an app does
  pinset diff <old> <new>                                              what a new pin set changes, per host
  keys generate [--alg ES256|HS256]                                    a new signing key (JWK) or secret (base64)
  keys public <private-jwk>                                            the public JWK apps embed
  token mint / token inspect                                           attestation tokens for testing

Run "mobile-api-shield <command> --help" for a command's options.`;

/** Runs the CLI with `argv` (without node and script) and resolves the exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      const target = name === 'help' && rest[0] ? COMMANDS[rest[0]] : undefined;
      io.out(`${target ? target.usage : USAGE}\n`);
      return name === undefined ? EXIT.usage : EXIT.ok;
    }
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!command) throw new CliError(`unknown command ${argumentLabel(name)}\n\n${USAGE}`, EXIT.usage);
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.err(`mobile-api-shield: ${error.message}\n`);
      return error.exitCode;
    }
    io.err(`mobile-api-shield: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  }
}

/**
 * Set when stdout went away before the result was written (the reader of a pipe exited: `| head -1`). Without a
 * listener the EPIPE was an unhandled 'error' event: Node's stack trace. One line on stderr and exit 1 instead.
 */
let outputLost = false;
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (outputLost) return;
  outputLost = true;
  process.exitCode = EXIT.failed;
  process.stderr.write(`mobile-api-shield: the output could not be written (${error.code ?? 'error'})\n`);
});
// Nowhere left to report a failing stderr: ignored rather than crash.
process.stderr.on('error', () => undefined);

const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  /** Reads stdin to its end, or refuses it once more than MAX_INPUT_BYTES came (`< /dev/zero` never ends). */
  async stdin() {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of process.stdin) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      // Leaving the loop destroys the stream: nothing more is read.
      if (size > MAX_INPUT_BYTES) throw inputTooLarge('stdin');
    }
    return Buffer.concat(chunks).toString('utf8');
  },
};

runCli(process.argv.slice(2), processIo).then((code) => {
  if (!outputLost) process.exitCode = code;
});
