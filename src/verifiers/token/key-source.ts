import { createPublicKey, createSecretKey, webcrypto, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { PublicJwk, ResolvedTokenOptions, TokenAlgorithm } from './config.js';
import { declaredJwkAlgorithms } from './public-jwk.js';
import { createRemoteKeySet } from './remote-key-set.js';

/**
 * The imported verification key(s) of a token verifier. Keys are imported once, at construction: jose caches the
 * WebCrypto form of an asymmetric `KeyObject` per algorithm; HMAC secrets are handed over as CryptoKeys imported once
 * per algorithm (jose would re-import a secret, as KeyObject or Uint8Array, on every call).
 */
export interface KeySource {
  /** What jose's `jwtVerify` takes: one key, or a function that picks a key from a JWK set by `kid`/`alg`. */
  readonly key: KeyObject | JWTVerifyGetKey;
  readonly algorithms: readonly TokenAlgorithm[];
  /** True when keys are fetched over the network: fetch failures are then `shield_unavailable`, not invalid tokens. */
  readonly remote: boolean;
  /**
   * Identity of the key material currently in use. A cached verification is only reused while this is unchanged,
   * so a JWKS rotation (a key withdrawn) takes effect for tokens already seen.
   */
  generation(): unknown;
}

const ASYMMETRIC_DEFAULTS: readonly TokenAlgorithm[] = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];
const STATIC_GENERATION = Symbol('static-keys');

/** Imports the configured key source. Throws a descriptive Error for key material that cannot be imported. */
export function importKeySource(options: ResolvedTokenOptions): KeySource {
  if (options.secret !== undefined) {
    const bytes = typeof options.secret === 'string' ? decodeBase64Secret(options.secret) : options.secret;
    if (bytes.byteLength < 32) {
      throw new Error(`secret: an HMAC secret needs at least 32 bytes (256 bits), got ${bytes.byteLength}`);
    }
    return {
      key: hmacKeys(createSecretKey(Buffer.from(bytes))),
      algorithms: options.algorithms ?? ['HS256'],
      remote: false,
      generation: () => STATIC_GENERATION,
    };
  }
  if (options.publicKey !== undefined) {
    const key = importPublicKey(options.publicKey);
    if (key.type !== 'public') throw new Error('publicKey: must be a public key');
    const declared = isJwk(options.publicKey) ? declaredJwkAlgorithms(options.publicKey, key, options.algorithms) : undefined;
    return {
      key,
      algorithms: declared ?? options.algorithms ?? algorithmsForKey(key),
      remote: false,
      generation: () => STATIC_GENERATION,
    };
  }
  if (options.jwks !== undefined) {
    for (const [i, jwk] of options.jwks.keys.entries()) {
      if ('d' in jwk || 'k' in jwk) throw new Error(`jwks.keys.${i}: must be a public key (no "d" or "k" member)`);
    }
    return {
      key: createLocalJWKSet(options.jwks as JSONWebKeySet),
      algorithms: options.algorithms ?? ASYMMETRIC_DEFAULTS,
      remote: false,
      generation: () => STATIC_GENERATION,
    };
  }
  if (options.jwksUrl !== undefined) {
    const remote = createRemoteKeySet(new URL(String(options.jwksUrl)), {
      timeoutMs: options.jwksTimeoutMs,
      cooldownMs: options.jwksCooldownMs,
      cacheMaxAgeMs: options.jwksCacheMaxAgeMs,
    });
    return {
      key: remote.key,
      algorithms: options.algorithms ?? ASYMMETRIC_DEFAULTS,
      remote: true,
      generation: remote.generation,
    };
  }
  throw new Error('no key source');
}

/**
 * jose turns a secret KeyObject back into bytes and re-imports them into WebCrypto on every verification (its key
 * cache only covers asymmetric keys). Handing it a CryptoKey imported once per HMAC algorithm avoids that.
 */
function hmacKeys(secret: KeyObject): JWTVerifyGetKey {
  const raw = secret.export();
  const byAlg = new Map<string, Promise<webcrypto.CryptoKey>>();
  return (header) => {
    const alg = header.alg ?? '';
    let key = byAlg.get(alg);
    if (key === undefined) {
      const hash = alg === 'HS384' ? 'SHA-384' : alg === 'HS512' ? 'SHA-512' : 'SHA-256';
      key = webcrypto.subtle.importKey('raw', raw, { name: 'HMAC', hash }, false, ['verify']);
      byAlg.set(alg, key);
    }
    return key;
  };
}

function decodeBase64Secret(secret: string): Uint8Array {
  const compact = secret.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact)) throw new Error('secret: a string secret must be base64');
  return Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
}

function isJwk(input: NonNullable<ResolvedTokenOptions['publicKey']>): input is PublicJwk {
  return typeof input !== 'string' && 'kty' in input;
}

function importPublicKey(input: NonNullable<ResolvedTokenOptions['publicKey']>): KeyObject {
  try {
    if (typeof input === 'string') return createPublicKey(input);
    if (isJwk(input)) {
      if ('d' in input || input.kty === 'oct') throw new Error('must be a public JWK');
      return createPublicKey({ key: input as import('node:crypto').JsonWebKey, format: 'jwk' });
    }
    return input.type === 'private' ? createPublicKey(input) : input;
  } catch (error) {
    throw new Error(`publicKey: cannot be imported (${(error as Error).message})`);
  }
}

function algorithmsForKey(key: KeyObject): TokenAlgorithm[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256'];
    case 'rsa-pss':
      return ['PS256'];
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return ['ES256'];
      if (curve === 'secp384r1') return ['ES384'];
      if (curve === 'secp521r1') return ['ES512'];
      throw new Error(`publicKey: unsupported EC curve ${String(curve)}`);
    }
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
    default:
      throw new Error(`publicKey: unsupported key type ${String(key.asymmetricKeyType)}`);
  }
}
