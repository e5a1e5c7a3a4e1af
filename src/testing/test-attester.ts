import { createHash, createPublicKey, createSecretKey, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { privateKeyFrom } from '../core/private-key.js';
import { base64url, SignJWT, type JWTPayload } from 'jose';

/** Options of `createTestAttester`. With neither `secret` nor `privateKey`, a random HS256 secret is generated. */
export interface TestAttesterOptions {
  /** HMAC secret: base64 string (as Approov hands out) or bytes. */
  secret?: string | Uint8Array;
  /** Private key (PEM or KeyObject) for RS/PS/ES/EdDSA tokens. */
  privateKey?: string | KeyObject;
  /** JWS algorithm; default HS256 for a secret, else RS256/ES256/ES384/EdDSA by key type. */
  algorithm?: string;
  /** `kid` header for tokens verified against a JWK set. */
  kid?: string;
  issuer?: string;
  audience?: string | string[];
  subject?: string;
  /** Lifetime of minted tokens in seconds. Default 300. */
  ttlSeconds?: number;
  /** Header the shield reads; used by `headers()`. Default `x-attestation-token`. */
  header?: string;
  /** Binding claim name. Default `pay`. */
  bindingClaim?: string;
}

/** What one minted token should look like. */
export interface MintOptions {
  /** Extra or overriding claims. */
  claims?: JWTPayload & Record<string, unknown>;
  /** Bind the token to this value (e.g. the Authorization header): `pay` = base64 SHA-256 of it. */
  bindTo?: string;
  /** Add a random `jti`, for shields that require single-use tokens. */
  singleUse?: boolean;
  /** Already expired (exp 60 s in the past). */
  expired?: boolean;
  /** Not valid yet (nbf 5 minutes in the future). */
  notYetValid?: boolean;
  /** Lifetime override in seconds. */
  ttlSeconds?: number;
  /** Omit `exp` entirely. */
  withoutExpiry?: boolean;
  /** Extra protected-header parameters (e.g. `crit`). */
  protectedHeader?: Record<string, unknown>;
}

/** Mints attestation tokens for tests of your own API, valid for a shield configured with the same key. */
export interface TestAttester {
  /** The HMAC secret as base64 (configure the shield with it), when the attester uses one. */
  readonly secret: string | undefined;
  /** The public key to configure the shield with, when the attester signs with a key pair. */
  readonly publicKey: KeyObject | undefined;
  /** A token the shield accepts. */
  mint(options?: MintOptions): Promise<string>;
  /** A token of the same shape signed with another, random key: the shield rejects it. */
  forge(options?: MintOptions): Promise<string>;
  /** An unsigned `alg: none` token: the shield rejects it. */
  unsigned(options?: MintOptions): string;
  /** `{ [header]: token }` for supertest's `.set()`. */
  headers(options?: MintOptions): Promise<Record<string, string>>;
  /** The binding claim value for a header value (base64 SHA-256). */
  bindingFor(value: string): string;
}

/** Creates a test attester; see `TestAttesterOptions`. */
export function createTestAttester(options: TestAttesterOptions = {}): TestAttester {
  let signingKey: KeyObject;
  let secret: string | undefined;
  let publicKey: KeyObject | undefined;
  let algorithm = options.algorithm;
  if (options.privateKey !== undefined) {
    signingKey = privateKeyFrom(options.privateKey);
    publicKey = createPublicKey(signingKey);
    algorithm ??= defaultAlgorithm(signingKey);
  } else {
    const bytes =
      options.secret === undefined
        ? randomBytes(64)
        : typeof options.secret === 'string'
          ? Buffer.from(options.secret, 'base64')
          : Buffer.from(options.secret);
    signingKey = createSecretKey(bytes);
    secret = bytes.toString('base64');
    algorithm ??= 'HS256';
  }
  const alg = algorithm;
  const header = options.header ?? 'x-attestation-token';
  const bindingClaim = options.bindingClaim ?? 'pay';
  const ttl = options.ttlSeconds ?? 300;

  function payloadFor(mint: MintOptions): JWTPayload {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload & Record<string, unknown> = { iat: now };
    if (!mint.withoutExpiry) payload.exp = mint.expired ? now - 60 : now + (mint.ttlSeconds ?? ttl);
    if (mint.expired) payload.iat = now - 120;
    if (mint.notYetValid) payload.nbf = now + 300;
    if (options.issuer) payload.iss = options.issuer;
    if (options.audience) payload.aud = options.audience;
    if (options.subject) payload.sub = options.subject;
    if (mint.singleUse) payload.jti = randomUUID();
    if (mint.bindTo !== undefined) payload[bindingClaim] = bindingFor(mint.bindTo);
    return { ...payload, ...mint.claims };
  }

  function bindingFor(value: string): string {
    return createHash('sha256').update(value, 'utf8').digest('base64');
  }

  async function sign(key: KeyObject, mint: MintOptions): Promise<string> {
    return new SignJWT(payloadFor(mint))
      .setProtectedHeader({ alg, typ: 'JWT', ...(options.kid ? { kid: options.kid } : {}), ...mint.protectedHeader })
      .sign(key);
  }

  return {
    secret,
    publicKey,
    mint: (mint = {}) => sign(signingKey, mint),
    forge: (mint = {}) => sign(otherKeyLike(signingKey, alg), mint),
    unsigned(mint = {}) {
      const head = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
      return `${head}.${base64url.encode(JSON.stringify(payloadFor(mint)))}.`;
    },
    async headers(mint = {}) {
      return { [header]: await sign(signingKey, mint) };
    },
    bindingFor,
  };
}

function defaultAlgorithm(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'RS256';
    case 'rsa-pss':
      return 'PS256';
    case 'ec':
      return key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'ES384' : 'ES256';
    case 'ed25519':
      return 'EdDSA';
    default:
      throw new TypeError(`unsupported key type ${String(key.asymmetricKeyType)}`);
  }
}

function otherKeyLike(key: KeyObject, alg: string): KeyObject {
  if (key.type === 'secret') return createSecretKey(randomBytes(64));
  if (alg.startsWith('RS') || alg.startsWith('PS')) return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  if (alg === 'EdDSA' || alg === 'Ed25519') return generateKeyPairSync('ed25519').privateKey;
  return generateKeyPairSync('ec', { namedCurve: alg === 'ES384' ? 'P-384' : 'P-256' }).privateKey;
}
