import type { KeyObject } from 'node:crypto';
import type { PublicJwk, TokenAlgorithm } from './config.js';

/**
 * The algorithms a `publicKey` given as a JWK may verify, or undefined when it declares no `alg` (its key type then
 * decides). Node's `createPublicKey` drops `alg`, `use` and `key_ops`, so the rules jose applies to a JWK set are
 * applied here: a JWK must allow signature verification, and one that declares `alg` verifies that algorithm only.
 * Throws a descriptive Error for a JWK that rules itself out or that the configured `algorithms` contradict.
 */
export function declaredJwkAlgorithms(
  jwk: PublicJwk,
  key: KeyObject,
  configured: readonly TokenAlgorithm[] | undefined,
): readonly TokenAlgorithm[] | undefined {
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new Error('publicKey: a JWK whose "use" is not "sig" is not a signature key');
  const ops = jwk['key_ops'];
  if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify'))) {
    throw new Error('publicKey: a JWK whose "key_ops" lack "verify" cannot verify signatures');
  }
  const alg: unknown = jwk.alg;
  if (alg === undefined) return undefined;
  if (typeof alg !== 'string' || !suitsKey(alg, key)) {
    throw new Error(`publicKey: the JWK's "alg" ${typeof alg === 'string' ? alg : '(not a string)'} does not suit its key type`);
  }
  if (configured !== undefined && !(configured as readonly string[]).includes(alg)) {
    throw new Error(`publicKey: the JWK declares "alg" ${alg}, which \`algorithms\` does not list`);
  }
  return [alg as TokenAlgorithm];
}

/** True when `alg` is a JWS algorithm for this type (and curve) of key. */
function suitsKey(alg: string, key: KeyObject): boolean {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return /^(RS|PS)(256|384|512)$/.test(alg);
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      return alg === (curve === 'prime256v1' ? 'ES256' : curve === 'secp384r1' ? 'ES384' : curve === 'secp521r1' ? 'ES512' : undefined);
    }
    case 'ed25519':
      return alg === 'EdDSA' || alg === 'Ed25519';
    default:
      return false;
  }
}
