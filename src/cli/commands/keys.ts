/** `mobile-api-shield keys generate|public`: signing keys for pin sets and test tokens. */
import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { isValidKid } from '../../channel/sign-pinset.js';
import { privateKeyFrom } from '../../core/private-key.js';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { writeFileSync } from 'node:fs';
import { argumentLabel, CliError, EXIT, parse, readKey, type CliCommand, type CliIo } from '../cli-support.js';

const GENERATE_USAGE = `Usage: mobile-api-shield keys generate [--alg ES256|HS256] [--kid <id>] [--public-out <file> [--force]]

ES256 (default): prints a new P-256 private key as a JWK (kid = its RFC 7638 thumbprint unless --kid), for
pinset sign and token mint; --public-out also writes its public JWK (what the app embeds) to a new file
(an existing one is refused unless --force).
HS256: prints a new 256-bit secret, base64 (an Approov-style token secret).
Keep private keys out of source control.`;

const PUBLIC_USAGE = `Usage: mobile-api-shield keys public <private-jwk.json | key.pem>

Prints the public JWK of a private key (kid kept), what apps embed to verify pin sets. The key's alg and use are
kept when they fit it (alg of its type, e.g. ES256 for P-256; use "sig"), and refused (exit 1) when they do not:
an app cannot import a public JWK whose alg names another key type.`;

const USAGE = `Usage: mobile-api-shield keys <generate | public> ...\n\n${GENERATE_USAGE}\n\n${PUBLIC_USAGE}`;

async function generate(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    { alg: { type: 'string' }, kid: { type: 'string' }, 'public-out': { type: 'string' }, force: { type: 'boolean' } },
    GENERATE_USAGE,
  );
  if (values.help) return io.out(`${GENERATE_USAGE}\n`), EXIT.ok;
  if (positionals.length > 0) throw new CliError(`unexpected argument ${argumentLabel(positionals[0] as string)}\n\n${GENERATE_USAGE}`, EXIT.usage);
  const alg = (values.alg ?? 'ES256').toUpperCase();
  if (values.force && values['public-out'] === undefined) throw new CliError('--force applies to --public-out only', EXIT.usage);
  if (alg === 'HS256') {
    if (values['public-out'] !== undefined || values.kid !== undefined) throw new CliError('--kid and --public-out apply to ES256 keys only', EXIT.usage);
    io.out(`${randomBytes(32).toString('base64')}\n`);
    return EXIT.ok;
  }
  if (alg !== 'ES256') throw new CliError(`--alg must be ES256 or HS256, got ${JSON.stringify(values.alg)}`, EXIT.usage);
  // Checked as pin-set signing checks it: a key pair written with a kid it refuses (or drops, for "") is useless.
  if (values.kid !== undefined && !isValidKid(values.kid)) throw new CliError('--kid must be 1 to 128 characters', EXIT.usage);
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = values.kid ?? (await calculateJwkThumbprint(publicJwk));
  const meta = { kid, alg: 'ES256', use: 'sig' };
  if (values['public-out']) writePublic(values['public-out'], `${JSON.stringify({ ...publicJwk, ...meta }, null, 2)}\n`, values.force === true);
  io.out(`${JSON.stringify({ ...(await exportJWK(privateKey)), ...meta }, null, 2)}\n`);
  return EXIT.ok;
}

/** Writes the public JWK to a new file (`wx`: never replacing one, however it appeared) or, with `force`, any. */
function writePublic(file: string, text: string, force: boolean): void {
  try {
    writeFileSync(file, text, { flag: force ? 'w' : 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    if (code === 'EEXIST') throw new CliError(`--public-out ${file} already exists (give --force to replace it)`);
    throw new CliError(`cannot write --public-out ${file}: ${code}`);
  }
}

/** The JWS algorithms a key can sign with: what a JWK's `alg` may say (RFC 7518, RFC 8037). */
function algorithmsFor(key: KeyObject): readonly string[] {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
  if (type === 'rsa-pss') return ['PS256', 'PS384', 'PS512'];
  if (type === 'ed25519') return ['EdDSA', 'Ed25519'];
  if (type === 'ed448') return ['EdDSA'];
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const alg = curve === 'prime256v1' ? 'ES256' : curve === 'secp384r1' ? 'ES384' : curve === 'secp521r1' ? 'ES512' : curve === 'secp256k1' ? 'ES256K' : undefined;
    return alg ? [alg] : [];
  }
  return [];
}

async function publicOf(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {}, PUBLIC_USAGE);
  if (values.help) return io.out(`${PUBLIC_USAGE}\n`), EXIT.ok;
  if (positionals.length !== 1) throw new CliError(`expected one key\n\n${PUBLIC_USAGE}`, EXIT.usage);
  const key = await readKey(positionals[0] as string, io);
  let jwk: Record<string, unknown>;
  let algorithms: readonly string[];
  try {
    const priv = privateKeyFrom(key as string | import('node:crypto').JsonWebKey);
    algorithms = algorithmsFor(priv);
    jwk = (await exportJWK(createPublicKey(priv))) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`not a private key: ${(error as Error).message}`);
  }
  const meta = typeof key === 'object' ? { kid: key.kid, alg: key.alg, use: key.use } : {};
  for (const [name, value] of Object.entries(meta)) {
    if (value !== undefined && typeof value !== 'string') throw new CliError(`the key's "${name}" must be a string`);
  }
  if (meta.kid !== undefined && !isValidKid(meta.kid)) throw new CliError(`the key's "kid" must be 1 to 128 characters`);
  // Copied unchecked, `"alg": "HS256"` on an EC key gave a public JWK apps cannot import (WebCrypto, jose refuse it).
  const { alg, use } = meta as { alg?: string; use?: string };
  if (alg !== undefined && !algorithms.includes(alg)) {
    const expected = algorithms.length > 0 ? `one of ${algorithms.join(', ')}` : 'none known for this key type';
    throw new CliError(`the key's "alg" ${argumentLabel(alg)} does not fit the key (expected ${expected}); fix or remove it`);
  }
  if (use !== undefined && use !== 'sig') throw new CliError(`the key's "use" must be "sig" (a signing key), got ${argumentLabel(use)}`);
  const kid = meta.kid ?? (await calculateJwkThumbprint(jwk));
  io.out(`${JSON.stringify({ ...jwk, ...meta, kid }, null, 2)}\n`);
  return EXIT.ok;
}

export const keysCommand: CliCommand = {
  usage: USAGE,
  run(args, io) {
    const [sub, ...rest] = args;
    if (sub === 'generate') return generate(rest, io);
    if (sub === 'public') return publicOf(rest, io);
    if (sub === undefined || sub === '--help' || sub === '-h') {
      io.out(`${USAGE}\n`);
      return Promise.resolve(sub === undefined ? EXIT.usage : EXIT.ok);
    }
    throw new CliError(`unknown keys command ${argumentLabel(sub)}\n\n${USAGE}`, EXIT.usage);
  },
};
