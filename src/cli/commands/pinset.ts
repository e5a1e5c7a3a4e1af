/** `mobile-api-shield pinset sign|verify|diff`: sign a pin-set configuration, check a signed set, compare two. */
import { decodeJwt, type JWK } from 'jose';
import { diffPinSets, formatPinSetDiff } from '../../channel/diff-pinsets.js';
import { pinSetPayloadSchema, type PinSetPayload } from '../../channel/pinset-payload.js';
import { createPinSetPublisher, pinSetHostsSchema, toPinSetHosts } from '../../channel/publisher.js';
import { isValidKid } from '../../channel/sign-pinset.js';
import { ShieldConfigError } from '../../core/errors.js';
import { PinSetError, verifyPinSet } from '../../client/pinset.js';
import { argumentLabel, CliError, EXIT, intOption, jsonProblemMessage, parse, publicPartOf, readInput, readJson, readKey, sourceLabel, type CliCommand, type CliIo } from '../cli-support.js';
import { ENGLISH } from '../../core/zod-locale.js';
import { parseStrictJson } from '../../core/strict-json.js';

const SIGN_USAGE = `Usage: mobile-api-shield pinset sign <config.json> --key <private-jwk.json | key.pem> [--kid <id>]

Signs a pin-set configuration (ES256) and prints the compact JWS that GET /.well-known/pinset serves.
config.json: { "version": 4, "hosts": { "api.example.com": { "pins": [...], "backupPins": [...],
  "includeSubdomains": false, "enforce": true, "expiresAt": "2027-06-01" } },
  "softExpirySeconds": 86400, "hardExpirySeconds": 2592000 }
An enforcing host needs two pins, one a backup; the version must be higher than the one apps hold.`;

const VERIFY_USAGE = `Usage: mobile-api-shield pinset verify <pinset.jws | -> --key <public-jwk.json> [--key ...] [--last-version <n>]

Verifies a signed pin set as an app does (signature by kid, ES256, rollback, hard expiry) and prints its payload.
Exit 0 when it verifies, 1 when an app would refuse it.`;

const DIFF_USAGE = `Usage: mobile-api-shield pinset diff <old> <new>

Shows what changes host by host between two pin sets. Each is a signed set (JWS, not verified here) or a
configuration / payload JSON file.`;

const USAGE = `Usage: mobile-api-shield pinset <sign | verify | diff> ...\n\n${SIGN_USAGE}\n\n${VERIFY_USAGE}\n\n${DIFF_USAGE}`;

async function sign(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { key: { type: 'string' }, kid: { type: 'string' } }, SIGN_USAGE);
  if (values.help) return io.out(`${SIGN_USAGE}\n`), EXIT.ok;
  if (positionals.length !== 1 || !values.key) throw new CliError(`expected <config.json> and --key\n\n${SIGN_USAGE}`, EXIT.usage);
  if (values.kid !== undefined && !isValidKid(values.kid)) throw new CliError('--kid must be 1 to 128 characters', EXIT.usage);
  const config = await readJson(positionals[0] as string, io, 'config');
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new CliError('config must be a JSON object');
  const { version, hosts, softExpirySeconds, hardExpirySeconds, ...rest } = config as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw new CliError(`config: unknown field(s) ${Object.keys(rest).join(', ')}`);
  const key = await readKey(values.key, io);
  // A kid is used as given or refused, never dropped: signing under another kid than the public JWK apps embed
  // (written by `keys generate` with the same kid) makes every app refuse the set.
  const keyKid = typeof key === 'object' ? key.kid : undefined;
  if (values.kid === undefined && keyKid !== undefined && !isValidKid(keyKid)) throw new CliError(`the key's "kid" must be a string of 1 to 128 characters`);
  const kid = values.kid ?? (isValidKid(keyKid) ? keyKid : undefined);
  try {
    const publisher = await createPinSetPublisher({
      signingKeys: [{ ...(kid !== undefined ? { kid } : {}), privateKey: key as JWK }],
      hosts: hosts as never,
      version: version as number,
      ...(softExpirySeconds !== undefined ? { softExpirySeconds: softExpirySeconds as number } : {}),
      ...(hardExpirySeconds !== undefined ? { hardExpirySeconds: hardExpirySeconds as number } : {}),
    });
    for (const w of publisher.warnings) io.err(`warning: ${w.host}: ${w.message}\n`);
    io.out(`${(await publisher.current()).jws}\n`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof ShieldConfigError) throw new CliError(error.message.replace('Invalid mobile-api-shield configuration', 'Invalid pin-set configuration'));
    throw error;
  }
}

async function verify(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { key: { type: 'string', multiple: true }, 'last-version': { type: 'string' } }, VERIFY_USAGE);
  if (values.help) return io.out(`${VERIFY_USAGE}\n`), EXIT.ok;
  if (positionals.length !== 1 || !values.key?.length) throw new CliError(`expected <pinset.jws> and --key\n\n${VERIFY_USAGE}`, EXIT.usage);
  const keys: JWK[] = [];
  for (const source of values.key) {
    const key = await readKey(source, io);
    if (typeof key === 'string') throw new CliError(`--key ${sourceLabel(source)}: give the public key as a JWK`);
    // A private JWK verifies as its public part, with a warning (its private members are never printed).
    keys.push(publicPartOf(key, sourceLabel(source), io) as JWK);
  }
  const jws = (await readFile(positionals[0] as string, io)).trim();
  const lastVersion = intOption(values['last-version'], 'last-version');
  try {
    const verified = await verifyPinSet(jws, keys, lastVersion === undefined ? {} : { lastVersion });
    io.err(`OK: version ${verified.payload.version}, signed by ${verified.kid ?? '(no kid)'}${verified.refreshDue ? ', past soft expiry (apps will refresh)' : ''}\n`);
    io.out(`${JSON.stringify(verified.payload, null, 2)}\n`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof PinSetError) throw new CliError(`pin set refused (${error.code}): ${error.message}`);
    throw error;
  }
}

async function readFile(path: string, io: CliIo): Promise<string> {
  try {
    return await readInput(path, io);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** A pin set from a JWS (payload decoded, not verified), a payload JSON or a configuration JSON. */
async function loadPinSet(path: string, io: CliIo): Promise<PinSetPayload | Record<string, never>> {
  const text = (await readFile(path, io)).trim();
  let value: unknown;
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(text)) {
    // Its payload read strictly first (nesting, a key twice), as a JSON file is.
    const strict = parseStrictJson(Buffer.from(text.split('.')[1] as string, 'base64url').toString('utf8'));
    if (!strict.ok && strict.problem !== 'malformed') throw new CliError(jsonProblemMessage(strict.problem, `${path}: the JWS payload`));
    try {
      value = decodeJwt(text);
    } catch {
      throw new CliError(`${path}: not a readable JWS`);
    }
  } else {
    const parsed = parseStrictJson(text);
    if (!parsed.ok) throw new CliError(parsed.problem === 'malformed' ? `${path}: neither a JWS nor JSON` : jsonProblemMessage(parsed.problem, path));
    value = parsed.value;
  }
  const payload = pinSetPayloadSchema.safeParse(value, ENGLISH);
  if (payload.success) return payload.data as PinSetPayload;
  const config = value as { version?: unknown; hosts?: unknown };
  if (typeof config === 'object' && config !== null && typeof config.hosts === 'object' && config.hosts !== null) {
    // A configuration (what `pinset sign` reads): checked as the publisher checks it, so a host of the wrong shape is
    // named, not iterated over (a string `pins` read as its characters).
    const parsed = pinSetHostsSchema.safeParse(config.hosts, ENGLISH);
    if (!parsed.success) {
      throw new CliError(`${path}: hosts invalid: ${parsed.error.issues.map((i) => `${['hosts', ...i.path.map(String)].join('.')}: ${i.message}`).join('; ')}`);
    }
    const hosts = toPinSetHosts(parsed.data);
    return { version: typeof config.version === 'number' ? config.version : 0, issuedAt: 0, softExpiry: 0, hardExpiry: 0, hosts };
  }
  throw new CliError(`${path}: not a pin set (no "hosts")`);
}

async function diff(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {}, DIFF_USAGE);
  if (values.help) return io.out(`${DIFF_USAGE}\n`), EXIT.ok;
  if (positionals.length !== 2) throw new CliError(`expected <old> and <new>\n\n${DIFF_USAGE}`, EXIT.usage);
  const [from, to] = [await loadPinSet(positionals[0] as string, io), await loadPinSet(positionals[1] as string, io)];
  io.out(formatPinSetDiff(diffPinSets(from as PinSetPayload, to as PinSetPayload)));
  return EXIT.ok;
}

export const pinsetCommand: CliCommand = {
  usage: USAGE,
  run(args, io) {
    const [sub, ...rest] = args;
    if (sub === 'sign') return sign(rest, io);
    if (sub === 'verify') return verify(rest, io);
    if (sub === 'diff') return diff(rest, io);
    if (sub === undefined || sub === '--help' || sub === '-h') {
      io.out(`${USAGE}\n`);
      return Promise.resolve(sub === undefined ? EXIT.usage : EXIT.ok);
    }
    throw new CliError(`unknown pinset command ${argumentLabel(sub)}\n\n${USAGE}`, EXIT.usage);
  },
};
