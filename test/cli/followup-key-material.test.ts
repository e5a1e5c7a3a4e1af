/**
 * Follow-up review, private key material and mismatched key metadata in the CLI:
 * - `keys public` copied the private JWK's `alg` / `use` unchecked: `alg: "HS256"` on an EC key printed a public JWK
 *   that apps cannot import. An `alg` that does not fit the key, or a `use` other than `sig`, is now refused.
 * - `token mint --claims <file holding a private JWK>` (or `--claim cnf={...}`) signed the private `d` into a token
 *   anyone can read. A claim value that looks like a private JWK (an object with `kty` and `d`, at any depth) is
 *   refused, its contents never printed.
 * - `pinset verify --key <private JWK>` used it silently: `publicPartOf` (cli-support) strips the private members
 *   with a warning on stderr that never repeats them, and refuses a secret (`oct`) key.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError, EXIT, publicPartOf, type CliCommand } from '../../src/cli/cli-support.js';
import { keysCommand } from '../../src/cli/commands/keys.js';
import { tokenCommand } from '../../src/cli/commands/token.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mas-keymat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Jwk = Record<string, unknown>;
const ecJwk = (): Jwk => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'jwk' }) as Jwk;
const file = (name: string, value: unknown): string => {
  const p = path.join(dir, name);
  writeFileSync(p, JSON.stringify(value));
  return p;
};

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

describe('keys public: alg and use must fit the key', () => {
  it('refuses an alg of another key type, or a use other than sig, printing nothing; keeps an alg that fits', async () => {
    const key = ecJwk();
    for (const [meta, field] of [
      [{ alg: 'HS256' }, 'alg'],
      [{ alg: 'RS256' }, 'alg'],
      [{ alg: 'ES384' }, 'alg'],
      [{ use: 'enc' }, 'use'],
    ] as const) {
      const result = await run(keysCommand, ['public', file(`ec-${field}-${String(Object.values(meta)[0])}.jwk`, { ...key, ...meta })]);
      expect(result.code).toBe(EXIT.failed);
      expect(result.message).toMatch(new RegExp(`the key's "${field}"`));
      expect(result.out).toBe('');
      expect(result.message).not.toContain(key.d as string);
    }
    // An alg that fits is kept: ES256 on P-256, RS256 / PS256 on RSA, EdDSA on Ed25519.
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }) as Jwk;
    const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as Jwk;
    for (const [name, jwk] of [
      ['es', { ...ecJwk(), alg: 'ES256', use: 'sig' }],
      ['rs', { ...rsa, alg: 'RS256' }],
      ['ps', { ...rsa, alg: 'PS256' }],
      ['ed', { ...ed, alg: 'EdDSA' }],
    ] as const) {
      const result = await run(keysCommand, ['public', file(`ok-${name}.jwk`, jwk)]);
      expect(result.code).toBe(EXIT.ok);
      const pub = JSON.parse(result.out) as Jwk;
      expect(pub.alg).toBe(jwk.alg);
      expect(pub).not.toHaveProperty('d');
    }
  });
});

describe('token mint: no private JWK in the claims', () => {
  const secret = randomBytes(32).toString('base64');

  it('refuses --claims holding a private JWK, at the top or nested, and --claim with one; a public JWK passes', async () => {
    const key = ecJwk();
    const cases: string[][] = [
      ['--claims', file('claims-top.json', key)],
      ['--claims', file('claims-nested.json', { cnf: { jwk: key } })],
      ['--claims', JSON.stringify({ keys: [key] })],
      ['--claim', `cnf=${JSON.stringify({ jwk: key })}`],
    ];
    for (const args of cases) {
      const result = await run(tokenCommand, ['mint', '--secret', secret, ...args]);
      expect(result.code).toBe(EXIT.failed);
      expect(result.message).toMatch(/private JWK/);
      expect(result.out).toBe('');
      expect(`${result.message}${result.err}`).not.toContain(key.d as string);
    }
    // Still minted: claims holding a public JWK (cnf.jwk) and a plain "d" claim.
    const { d: _d, ...publicJwk } = ecJwk();
    const result = await run(tokenCommand, ['mint', '--secret', secret, '--claims', JSON.stringify({ cnf: { jwk: publicJwk }, d: 'x' })]);
    expect(result.code).toBe(EXIT.ok);
    expect(decodeJwt(result.out.trim())).toMatchObject({ cnf: { jwk: publicJwk }, d: 'x' });
  });
});

describe('publicPartOf: a private JWK given where a public key is expected', () => {
  it('strips the private members with a warning that never repeats them', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }) as Jwk;
    for (const jwk of [{ ...ecJwk(), kid: 'k1' }, rsa]) {
      const err: string[] = [];
      const pub = publicPartOf(jwk, 'signing.jwk', { out: () => undefined, err: (t) => void err.push(t), stdin: async () => '' });
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(pub).not.toHaveProperty(member);
      expect(pub).toMatchObject({ kty: jwk.kty, ...(jwk.kid ? { kid: 'k1' } : {}) });
      expect(err.join('')).toMatch(/^warning: --key signing\.jwk is a private key: only its public part is used/);
      expect(err.join('')).not.toContain(jwk.d as string);
    }
  });

  it('refuses a secret key and passes a public JWK through unchanged, silently', () => {
    const err: string[] = [];
    const io = { out: () => undefined, err: (t: string) => void err.push(t), stdin: async () => '' };
    expect(() => publicPartOf({ kty: 'oct', k: randomBytes(32).toString('base64url') }, 'k.jwk', io)).toThrow(/secret key/);
    const { d: _d, ...pub } = ecJwk();
    expect(publicPartOf(pub, 'p.jwk', io)).toEqual(pub);
    expect(err).toEqual([]);
  });
});

describe('pinset verify --key <private JWK>', () => {
  it('verifies with the public part, warning on stderr without repeating the private member', async () => {
    const { pinsetCommand } = await import('../../src/cli/commands/pinset.js');
    const jwk: Jwk = { ...ecJwk(), kid: 'k1' };
    const keyFile = file('verify-private.jwk', jwk);
    const pin = (seed: string): string => createHash('sha256').update(seed).digest('base64');
    const config = file('verify-config.json', { version: 3, hosts: { 'api.example.com': { pins: [pin('a')], backupPins: [pin('b')] } } });
    const signed = await run(pinsetCommand, ['sign', config, '--key', keyFile]);
    expect(signed.code).toBe(EXIT.ok);
    const jwsFile = path.join(dir, 'verify.jws');
    writeFileSync(jwsFile, signed.out);
    const verified = await run(pinsetCommand, ['verify', jwsFile, '--key', keyFile]);
    expect(verified.code).toBe(EXIT.ok);
    expect(JSON.parse(verified.out).version).toBe(3);
    expect(verified.err).toMatch(/is a private key: only its public part is used/);
    expect(verified.err).not.toContain(jwk.d as string);
  });
});
