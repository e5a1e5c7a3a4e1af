/** `mobile-api-shield token mint|inspect`: attestation tokens for testing an API behind the shield. */
import { createHash, createPrivateKey, createPublicKey, createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { privateKeyFrom } from '../../core/private-key.js';
import { parseStrictJson } from '../../core/strict-json.js';
import { argumentLabel, CliError, EXIT, intOption, jsonProblemMessage, parse, publicPartOf, readInput, readJson, readKey, sourceLabel, type CliCommand, type CliIo } from '../cli-support.js';

const MINT_USAGE = `Usage: mobile-api-shield token mint (--secret <base64> | --key <private-jwk.json | key.pem>) [options]

Mints a signed attestation token for testing (never for production clients).
Options:
  --secret <base64>        HS256 secret (as keys generate --alg HS256 prints)
  --key <file>             private key (JWK or PEM): ES256 for P-256, RS256 for RSA, EdDSA for Ed25519
  --kid <id>               kid header (default: the JWK's kid)
  --ttl <seconds>          lifetime, 0 to 86400 (default 300; the attestation service's largest tokenTtl)
  --iss, --aud, --sub <v>  registered claims
  --claim <name=value>     extra claim; the value is parsed as JSON when it can be (repeatable)
  --claims <json>          extra claims as a JSON object (file or inline, at most 1 MiB); a private JWK is refused
  --pinset-version <n>     the app's pin-set version, claim psv (for channel.minPinSetVersion)
  --bind <value>           bind to a header value: pay = base64 SHA-256 of it (e.g. the Authorization header)
  --single-use             add a random jti`;

const INSPECT_USAGE = `Usage: mobile-api-shield token inspect <token | -> [--secret <base64> | --key <jwk.json | key.pem>]

Prints the token's header and claims. With --secret or --key it also verifies the signature and times:
exit 1 when the token would be refused.`;

const USAGE = `Usage: mobile-api-shield token <mint | inspect> ...\n\n${MINT_USAGE}\n\n${INSPECT_USAGE}`;

function secretKey(base64: string): KeyObject {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(base64)) throw new CliError('--secret must be base64');
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length < 32) throw new CliError(`--secret must be at least 32 bytes, got ${bytes.length}`);
  return createSecretKey(bytes);
}

/** Whether a parsed JSON value holds Infinity anywhere (JSON.parse reads `1e400` so; the token would say null). */
function holdsNonFinite(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (typeof value !== 'object' || value === null) return false;
  return Object.values(value).some(holdsNonFinite);
}

/** Largest `--ttl`, seconds: the attestation service's largest `tokenTtl` (a day). */
const MAX_TTL_SECONDS = 86_400;

/**
 * Whether a parsed JSON value holds a private JWK anywhere: an object with a string `kty` and a `d` (EC, OKP, RSA),
 * or a secret (`kty: "oct"` with `k`). Walked without recursion (a deeply nested file must not overflow the stack).
 */
function holdsPrivateJwk(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next !== 'object' || next === null) continue;
    const jwk = next as Record<string, unknown>;
    if (!Array.isArray(next) && typeof jwk.kty === 'string' && ('d' in jwk || (jwk.kty === 'oct' && 'k' in jwk))) return true;
    for (const member of Object.values(next)) pending.push(member);
  }
  return false;
}

/** Refuses claims that would sign private key material into a token anyone can read (its contents never printed). */
function refusePrivateJwk(value: unknown, what: string): void {
  if (!holdsPrivateJwk(value)) return;
  throw new CliError(`${what} holds a private JWK (an object with "kty" and "d"): a token is readable by anyone; give the public key (keys public)`);
}

/**
 * Sets a claim; `__proto__` is refused (an assignment would replace the claims object's prototype instead), and so
 * is a value holding a number JSON cannot carry (minted silently as null before).
 */
function setClaim(claims: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') throw new CliError('claim name __proto__ is not allowed', EXIT.usage);
  if (holdsNonFinite(value)) throw new CliError(`claim ${JSON.stringify(name)} holds a number JSON cannot carry (Infinity)`, EXIT.usage);
  claims[name] = value;
}

async function privateKeyOf(source: string, io: CliIo): Promise<{ key: KeyObject; kid?: string }> {
  const material = await readKey(source, io);
  try {
    const key = privateKeyFrom(material as string | import('node:crypto').JsonWebKey);
    return { key, ...(typeof material === 'object' && typeof material.kid === 'string' ? { kid: material.kid } : {}) };
  } catch (error) {
    throw new CliError(`--key ${sourceLabel(source)}: not a private key (${(error as Error).message})`);
  }
}

/** A private key PEM as its JWK (for {@link publicPartOf}); undefined for anything else, a public key included. */
function privatePemAsJwk(pem: string): Record<string, unknown> | undefined {
  try {
    return createPrivateKey(pem).export({ format: 'jwk' }) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function algorithmOf(key: KeyObject): string {
  if (key.type === 'secret') return 'HS256';
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ES256';
    if (curve === 'secp384r1') return 'ES384';
  }
  throw new CliError(`unsupported key type ${key.asymmetricKeyType ?? key.type}`);
}

async function mint(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      secret: { type: 'string' },
      key: { type: 'string' },
      kid: { type: 'string' },
      ttl: { type: 'string' },
      iss: { type: 'string' },
      aud: { type: 'string' },
      sub: { type: 'string' },
      claim: { type: 'string', multiple: true },
      claims: { type: 'string' },
      'pinset-version': { type: 'string' },
      bind: { type: 'string' },
      'single-use': { type: 'boolean' },
    },
    MINT_USAGE,
  );
  if (values.help) return io.out(`${MINT_USAGE}\n`), EXIT.ok;
  if (positionals.length > 0) throw new CliError(`unexpected argument ${argumentLabel(positionals[0] as string)}\n\n${MINT_USAGE}`, EXIT.usage);
  if ((values.secret === undefined) === (values.key === undefined)) throw new CliError(`give exactly one of --secret and --key\n\n${MINT_USAGE}`, EXIT.usage);
  const signer = values.secret !== undefined ? { key: secretKey(values.secret) } : await privateKeyOf(values.key as string, io);
  const alg = algorithmOf(signer.key);
  const claims: Record<string, unknown> = {};
  if (values.claims !== undefined) {
    const extra = await readJson(values.claims, io, '--claims');
    if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) throw new CliError('--claims must be a JSON object');
    refusePrivateJwk(extra, '--claims');
    for (const [name, value] of Object.entries(extra)) setClaim(claims, name, value);
  }
  for (const entry of values.claim ?? []) {
    const eq = entry.indexOf('=');
    if (eq < 1) throw new CliError(`--claim ${JSON.stringify(entry)} must be name=value`, EXIT.usage);
    const raw = entry.slice(eq + 1);
    // Parsed as JSON when it is JSON (strictly: too deep or a key twice is refused), else a plain string.
    const parsed = parseStrictJson(raw);
    if (!parsed.ok && parsed.problem !== 'malformed') throw new CliError(jsonProblemMessage(parsed.problem, `--claim ${JSON.stringify(entry.slice(0, eq))}`));
    const value: unknown = parsed.ok ? parsed.value : raw;
    refusePrivateJwk(value, `--claim ${JSON.stringify(entry.slice(0, eq))}`);
    setClaim(claims, entry.slice(0, eq), value);
  }
  const psv = intOption(values['pinset-version'], 'pinset-version');
  if (psv !== undefined) claims.psv = psv;
  if (values.bind !== undefined) claims.pay = createHash('sha256').update(values.bind, 'utf8').digest('base64');
  if (values['single-use']) claims.jti = randomUUID();
  const ttl = intOption(values.ttl, 'ttl', { min: 0, max: MAX_TTL_SECONDS }) ?? 300;
  if (values.kid !== undefined && values.kid.length === 0) throw new CliError('--kid must not be empty', EXIT.usage);
  const kid = values.kid ?? signer.kid;
  let jwt = new SignJWT(claims as JWTPayload).setProtectedHeader({ alg, typ: 'JWT', ...(kid !== undefined && kid.length > 0 ? { kid } : {}) }).setIssuedAt().setExpirationTime(`${ttl}s`);
  if (values.iss) jwt = jwt.setIssuer(values.iss);
  if (values.aud) jwt = jwt.setAudience(values.aud);
  if (values.sub) jwt = jwt.setSubject(values.sub);
  io.out(`${await jwt.sign(signer.key)}\n`);
  return EXIT.ok;
}

async function inspect(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { secret: { type: 'string' }, key: { type: 'string' } }, INSPECT_USAGE);
  if (values.help) return io.out(`${INSPECT_USAGE}\n`), EXIT.ok;
  if (positionals.length !== 1) throw new CliError(`expected one token\n\n${INSPECT_USAGE}`, EXIT.usage);
  if (values.secret !== undefined && values.key !== undefined) throw new CliError('give at most one of --secret and --key', EXIT.usage);
  const arg = positionals[0] as string;
  const token = (arg === '-' ? await readInput('-', io) : arg).trim();
  // Header and payload read strictly before they are printed: too deep to print (JSON.stringify overflowed the
  // stack) is refused; a key twice is shown as the shield's JSON.parse reads it (the last), with a warning.
  for (const [index, what] of [[0, 'the token header'], [1, 'the token payload']] as const) {
    const parsed = parseStrictJson(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8'));
    if (parsed.ok || parsed.problem === 'malformed') continue;
    if (parsed.problem === 'too_deep') throw new CliError(jsonProblemMessage(parsed.problem, what));
    io.err(`warning: ${what} has the same key twice in one object: shown (and verified) with the last one, as a JSON parser reads it\n`);
  }
  let header: unknown;
  let payload: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    payload = decodeJwt(token);
  } catch {
    throw new CliError('not a JWT (expected a compact JWS with a JSON payload)');
  }
  const now = Math.floor(Date.now() / 1000);
  const expiresIn = typeof payload.exp === 'number' ? payload.exp - now : undefined;
  io.out(`${JSON.stringify({ header, payload, ...(expiresIn !== undefined ? { expiresInSeconds: expiresIn } : {}) }, null, 2)}\n`);
  if (values.secret === undefined && values.key === undefined) {
    io.err('signature not checked (give --secret or --key to verify)\n');
    return EXIT.ok;
  }
  let key: KeyObject;
  if (values.secret !== undefined) key = secretKey(values.secret);
  else {
    const source = values.key as string;
    const material = await readKey(source, io);
    // A private key verifies as its public part, with a warning, and a secret JWK is refused: as `pinset verify`
    // does (publicPartOf). A private PEM is read as its JWK for that (a public PEM is not a private key).
    const jwk = typeof material === 'string' ? privatePemAsJwk(material) : material;
    try {
      key = jwk === undefined
        ? createPublicKey(material as string)
        : createPublicKey({ key: publicPartOf(jwk, sourceLabel(source), io) as import('node:crypto').JsonWebKey, format: 'jwk' });
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`--key: not a key (${(error as Error).message})`);
    }
  }
  try {
    await jwtVerify(token, key, { algorithms: [algorithmOf(key)] });
  } catch (error) {
    const reason = error instanceof joseErrors.JWTExpired ? 'expired' : error instanceof joseErrors.JOSEError ? error.code : (error as Error).message;
    throw new CliError(`token refused: ${reason}`);
  }
  io.err('OK: signature and times verify\n');
  return EXIT.ok;
}

export const tokenCommand: CliCommand = {
  usage: USAGE,
  run(args, io) {
    const [sub, ...rest] = args;
    if (sub === 'mint') return mint(rest, io);
    if (sub === 'inspect') return inspect(rest, io);
    if (sub === undefined || sub === '--help' || sub === '-h') {
      io.out(`${USAGE}\n`);
      return Promise.resolve(sub === undefined ? EXIT.usage : EXIT.ok);
    }
    throw new CliError(`unknown token command ${argumentLabel(sub)}\n\n${USAGE}`, EXIT.usage);
  },
};
