/**
 * A private key proven usable before anything signs with it. Node imports an EC JWK whose `d` is longer than the
 * curve's order without complaint, and then aborts the whole process (a native assertion, not an exception) the
 * first time it signs or exports it as a JWK: a configuration typo would take the server down on its first request.
 */
import { createPrivateKey, createPublicKey, KeyObject, sign, verify, type JsonWebKey } from 'node:crypto';

const PROBE = Buffer.from('mobile-api-shield private key probe');

/**
 * Throws an Error saying what is wrong when `key` cannot be used to sign: its encoding fails (an oversized EC
 * scalar: the PKCS#8 export throws where signing would abort), or, for an EC key, a signature does not verify with
 * its own public half (a JWK whose `x`/`y` belong to another key). Returns the key.
 */
export function usablePrivateKey(key: KeyObject): KeyObject {
  try {
    key.export({ type: 'pkcs8', format: 'der' });
  } catch (error) {
    throw new Error(`is malformed (${(error as Error).message})`);
  }
  if (key.asymmetricKeyType === 'ec') {
    const signature = sign('sha256', PROBE, key);
    if (!verify('sha256', PROBE, createPublicKey(key), signature)) throw new Error('does not match its public key');
  }
  return key;
}

/**
 * A private key from a PEM (or DER) string, a JWK or a KeyObject, proven usable (`usablePrivateKey`): what every
 * signing key of the library goes through. Throws an Error whose message completes the caller's name for the key:
 * `does not import: …`, `is a public key`, `is malformed (…)`, `does not match its public key`.
 */
export function privateKeyFrom(material: string | JsonWebKey | KeyObject): KeyObject {
  let key: KeyObject;
  try {
    key = material instanceof KeyObject ? material : typeof material === 'string' ? createPrivateKey(material) : createPrivateKey({ key: material, format: 'jwk' });
  } catch (error) {
    throw new Error(`does not import: ${(error as Error).message}`);
  }
  if (key.type !== 'private') throw new Error('is a public key');
  return usablePrivateKey(key);
}
