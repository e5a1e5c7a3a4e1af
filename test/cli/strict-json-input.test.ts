/**
 * CLI inputs, in-process through the command objects (an error other than CliError fails the test: the CLI would
 * print "unexpected error" and exit 1):
 * - `token inspect --key <private JWK>` used it silently; it now behaves as `pinset verify`: the public part is used
 *   with a warning on stderr (never repeating the private members), a secret (`oct`) JWK is refused. A private PEM
 *   gets the same warning.
 * - Deeply nested JSON (100,000 nested arrays) in `--claims`, `--claim`, a key file, a pin-set config or a token
 *   overflowed the stack ("Maximum call stack size exceeded", exit 1): nesting deeper than 64 levels is now a clear
 *   error (exit 1, bad input) naming the input, never its contents.
 * - A key twice in one object (`{"sub":"a","sub":"b"}`) is refused in JSON inputs; `token inspect` shows such a
 *   token (as the shield reads it, the last key) with a warning.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError, EXIT, type CliCommand } from '../../src/cli/cli-support.js';
import { keysCommand } from '../../src/cli/commands/keys.js';
import { pinsetCommand } from '../../src/cli/commands/pinset.js';
import { tokenCommand } from '../../src/cli/commands/token.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mas-strict-json-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Jwk = Record<string, unknown>;
const write = (name: string, text: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const nested = (levels: number, inner = ''): string => '['.repeat(levels) + inner + ']'.repeat(levels);
const DEEP = nested(100_000);

async function run(command: CliCommand, args: string[]): Promise<{ code: number; out: string; err: string; message: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t), stdin: async () => '' };
  try {
    return { code: await command.run(args, io), out: out.join(''), err: err.join(''), message: '' };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return { code: error.exitCode, out: out.join(''), err: err.join(''), message: error.message };
  }
}

describe('token inspect --key: a private key is used as its public part, as pinset verify does', () => {
  const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const privateJwk = pair.privateKey.export({ format: 'jwk' }) as Jwk;
  const token = () => new SignJWT({ sub: 'device-1' }).setProtectedHeader({ alg: 'ES256' }).setIssuedAt().setExpirationTime('5m').sign(pair.privateKey);

  it('verifies with a private JWK (file or inline) with a warning that never repeats it', async () => {
    const jwt = await token();
    for (const key of [write('private.jwk', JSON.stringify(privateJwk)), JSON.stringify(privateJwk)]) {
      const result = await run(tokenCommand, ['inspect', jwt, '--key', key]);
      expect(result.code).toBe(EXIT.ok);
      expect(result.err).toMatch(/warning: --key .* is a private key: only its public part is used/);
      expect(result.err).toContain('OK: signature and times verify');
      expect(result.err + result.out).not.toContain(privateJwk.d as string);
    }
    // A private PEM too; a public JWK or PEM gets no warning.
    const pem = write('private.pem', pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    expect((await run(tokenCommand, ['inspect', jwt, '--key', pem])).err).toMatch(/warning: --key .* is a private key/);
    for (const key of [write('public.jwk', JSON.stringify(pair.publicKey.export({ format: 'jwk' }))), write('public.pem', pair.publicKey.export({ format: 'pem', type: 'spki' }) as string)]) {
      const result = await run(tokenCommand, ['inspect', jwt, '--key', key]);
      expect([result.code, result.err]).toEqual([EXIT.ok, 'OK: signature and times verify\n']);
    }
  });

  it('refuses a secret (oct) JWK, never echoing it', async () => {
    const k = randomBytes(32).toString('base64url');
    const result = await run(tokenCommand, ['inspect', await token(), '--key', write('secret.jwk', JSON.stringify({ kty: 'oct', k }))]);
    expect(result.code).toBe(EXIT.failed);
    expect(result.message).toMatch(/is a secret key; give the public key/);
    expect(result.message + result.err).not.toContain(k);
  });
});

describe('JSON inputs nested deeper than 64 levels', () => {
  const secret = randomBytes(32).toString('base64');
  const tooDeep = /nests objects and arrays more than 64 levels deep/;

  it('token mint --claims / --claim: a clear error (exit 1), not a stack overflow', async () => {
    for (const args of [
      ['--claims', `{"x":${DEEP}}`],
      ['--claims', write('deep-claims.json', `{"x":${DEEP}}`)],
      ['--claim', `x=${DEEP}`],
      ['--claims', `{"x":${nested(64, '1')}}`],
    ]) {
      const result = await run(tokenCommand, ['mint', '--secret', secret, ...args]);
      expect(result.code).toBe(EXIT.failed);
      expect(result.message).toMatch(tooDeep);
      expect(result.out).toBe('');
    }
    // 64 levels in all are fine.
    const ok = await run(tokenCommand, ['mint', '--secret', secret, '--claims', `{"x":${nested(63, '1')}}`]);
    expect(ok.code).toBe(EXIT.ok);
  });

  it('key files, pin-set configs and files to diff, and tokens to inspect', async () => {
    const deepFile = write('deep.json', `{"kty":"EC","x":${DEEP}}`);
    expect((await run(keysCommand, ['public', deepFile])).message).toMatch(tooDeep);
    expect((await run(pinsetCommand, ['sign', deepFile, '--key', deepFile])).message).toMatch(tooDeep);
    expect((await run(pinsetCommand, ['diff', deepFile, deepFile])).message).toMatch(tooDeep);
    expect((await run(tokenCommand, ['mint', '--key', deepFile])).message).toMatch(tooDeep);
    // A token whose payload nests 100,000 levels: printing it overflowed the stack.
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    const deepToken = `${b64('{"alg":"HS256"}')}.${b64(`{"x":${DEEP}}`)}.${b64('sig')}`;
    const inspected = await run(tokenCommand, ['inspect', deepToken]);
    expect([inspected.code, inspected.out]).toEqual([EXIT.failed, '']);
    expect(inspected.message).toMatch(/the token payload nests objects and arrays more than 64 levels deep/);
    const deepJws = write('deep.jws', deepToken);
    expect((await run(pinsetCommand, ['diff', deepJws, deepJws])).message).toMatch(tooDeep);
  });
});

describe('JSON inputs with a key twice in one object', () => {
  const secret = randomBytes(32).toString('base64');
  const twice = /has the same key twice in one object/;

  it('are refused, at any depth, escaped or not', async () => {
    for (const claims of ['{"sub":"a","sub":"b"}', '{"cnf":{"kid":"a","k\\u0069d":"b"}}', '{"x":[{"a":1,"a":1}]}']) {
      const result = await run(tokenCommand, ['mint', '--secret', secret, '--claims', claims]);
      expect({ claims, code: result.code, out: result.out }).toEqual({ claims, code: EXIT.failed, out: '' });
      expect(result.message).toMatch(twice);
    }
    expect((await run(tokenCommand, ['mint', '--secret', secret, '--claim', 'cnf={"a":1,"a":2}'])).message).toMatch(twice);
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const jwk = pair.privateKey.export({ format: 'jwk' }) as Jwk;
    const keyTwice = write('key-twice.jwk', `${JSON.stringify(jwk).slice(0, -1)},"d":"${jwk.d as string}"}`);
    const result = await run(keysCommand, ['public', keyTwice]);
    expect(result.message).toMatch(twice);
    expect(result.message).not.toContain(jwk.d as string);
    const hostTwice = write('host-twice.json', '{"version":2,"hosts":{"a.example.com":{"pins":[]},"a.example.com":{"pins":[]}}}');
    expect((await run(pinsetCommand, ['diff', hostTwice, hostTwice])).message).toMatch(twice);
    expect((await run(pinsetCommand, ['sign', hostTwice, '--key', write('k.jwk', JSON.stringify(jwk))])).message).toMatch(twice);
    // The same key in sibling objects is fine.
    expect((await run(tokenCommand, ['mint', '--secret', secret, '--claims', '{"a":{"n":1},"b":{"n":2}}'])).code).toBe(EXIT.ok);
  });

  it('token inspect shows such a token as the shield reads it (the last key), with a warning', async () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    const result = await run(tokenCommand, ['inspect', `${b64('{"alg":"HS256"}')}.${b64('{"sub":"a","sub":"b"}')}.${b64('sig')}`]);
    expect(result.code).toBe(EXIT.ok);
    expect(result.err).toMatch(/warning: the token payload has the same key twice in one object/);
    expect(JSON.parse(result.out).payload).toEqual({ sub: 'b' });
  });
});
