/**
 * Review: key material given where the CLI expects a file path or an option is never repeated in an error. A PEM
 * pasted as `--key="$(cat key.pem)"` (or `--key "$SIGNING_KEY"` in CI) was printed whole in `cannot read <PEM>:
 * ENOENT`; a base64 secret given to --key, likewise; `keys public "$PEM"` printed the key twice through Node's
 * `Unknown option '-----BEGIN …'` message; a stray secret after `token mint` was echoed as an unexpected argument.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError, EXIT, type CliCommand } from '../../src/cli/cli-support.js';
import { keysCommand } from '../../src/cli/commands/keys.js';
import { pinsetCommand } from '../../src/cli/commands/pinset.js';
import { tokenCommand } from '../../src/cli/commands/token.js';

const privateKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
/** The PEM's secret lines: none may appear in any output. */
const PEM_BODY = PEM.split('\n').filter((line) => line.length > 0 && !line.startsWith('-----'));
const SECRET = randomBytes(32).toString('base64');
const SECRET_URL = randomBytes(32).toString('base64url');

const dir = mkdtempSync(path.join(tmpdir(), 'mas-echo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const config = path.join(dir, 'config.json');
writeFileSync(config, JSON.stringify({ version: 1, hosts: {} }));

/** Runs a command expected to fail; resolves everything it wrote plus the error's message, and the exit code. */
async function failing(command: CliCommand, args: string[]): Promise<{ text: string; code: number }> {
  const written: string[] = [];
  const io = { out: (t: string) => void written.push(t), err: (t: string) => void written.push(t), stdin: async () => '' };
  // Sub-command dispatch throws synchronously (runCli awaits it inside its try).
  const result = await Promise.resolve()
    .then(() => command.run(args, io))
    .then(
    (code) => ({ code, message: '' }),
    (error: unknown) => {
      if (!(error instanceof CliError)) throw error;
      return { code: error.exitCode, message: error.message };
    },
  );
  expect(result.code).not.toBe(EXIT.ok);
  return { text: `${written.join('')}${result.message}`, code: result.code };
}

function expectNoneOf(text: string, secrets: readonly string[]): void {
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('key material where a path or option was expected is never echoed', () => {
  it('an inline PEM as --key=… (token mint, token inspect, pinset sign, pinset verify)', async () => {
    const token = 'eyJhbGciOiJFUzI1NiJ9.e30.AAAA';
    for (const [command, args] of [
      [tokenCommand, ['mint', `--key=${PEM}`]],
      [tokenCommand, ['inspect', token, `--key=${PEM}`]],
      [pinsetCommand, ['sign', config, `--key=${PEM}`]],
      [pinsetCommand, ['verify', config, `--key=${PEM}`]],
    ] as const) {
      const { text, code } = await failing(command, [...args]);
      expect(code).toBe(EXIT.failed);
      expect(text).toMatch(/cannot read the key: no file at the path given \(ENOENT|ENAMETOOLONG\)/);
      expectNoneOf(text, PEM_BODY);
    }
  });

  it('a base64 secret given to --key instead of --secret', async () => {
    for (const secret of [SECRET, SECRET_URL]) {
      const { text } = await failing(tokenCommand, ['mint', '--key', secret]);
      expect(text).toContain('cannot read the key');
      expect(text).not.toContain(secret);
    }
  });

  it('an inline PEM as the positional of keys public (Node reads it as an unknown option, and after -- as a path)', async () => {
    const asOption = await failing(keysCommand, ['public', PEM]);
    expect(asOption.code).toBe(EXIT.usage);
    expect(asOption.text).toContain('not an option of this command');
    expectNoneOf(asOption.text, PEM_BODY);
    const asPath = await failing(keysCommand, ['public', '--', PEM]);
    expect(asPath.code).toBe(EXIT.failed);
    expectNoneOf(asPath.text, PEM_BODY);
  });

  it('a stray secret after token mint or keys generate, and as a sub-command name', async () => {
    for (const [command, args] of [
      [tokenCommand, ['mint', '--secret', SECRET, SECRET_URL]],
      [keysCommand, ['generate', SECRET_URL]],
      [keysCommand, [SECRET_URL]],
      [tokenCommand, [SECRET]],
      [pinsetCommand, [SECRET_URL]],
    ] as const) {
      const { text, code } = await failing(command, [...args]);
      expect(code).toBe(EXIT.usage);
      expectNoneOf(text, [SECRET, SECRET_URL]);
    }
  });

  it('still names what is safe to name: a plain unknown option, a short word, a file that exists', async () => {
    expect((await failing(tokenCommand, ['mint', '--colour'])).text).toContain("Unknown option '--colour'");
    expect((await failing(keysCommand, ['generat'])).text).toContain('unknown keys command "generat"');
    expect((await failing(tokenCommand, ['mint', '--secret', SECRET, 'extra'])).text).toContain('unexpected argument "extra"');
    const notAKey = path.join(dir, 'not-a-key.txt');
    writeFileSync(notAKey, 'hello');
    expect((await failing(tokenCommand, ['mint', '--key', notAKey])).text).toContain(`key ${notAKey} is neither a JWK (JSON) nor a PEM key`);
  });
});
