import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { privateKeyFrom } from '../../core/private-key.js';

/** One signing key of the attestation service. */
export interface SigningKeyInput {
  /** Key id put in each token's header and in the JWKS. */
  kid: string;
  /** EC P-256 private key: PEM, a private JWK, or a KeyObject. */
  privateKey: string | JsonWebKey | KeyObject;
  /**
   * When the key starts signing (epoch ms, Date or ISO string). Until then it is only published, so verifiers have
   * it before the first token it signs. Absent: signing from the start.
   */
  activeFrom?: number | Date | string;
  /** When the key stops signing. It stays published until every token it signed has expired. */
  retiredAt?: number | Date | string;
}

/** A public signing key as the JWKS publishes it. */
export interface PublishedJwk {
  kty: string;
  crv?: string;
  x?: string;
  y?: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
  [parameter: string]: unknown;
}

interface RingKey {
  kid: string;
  privateKey: KeyObject;
  jwk: PublishedJwk;
  activeFrom: number;
  retiredAt: number;
}

/**
 * The service's signing keys and their life cycle, all derived from the configuration and the clock (so every
 * instance of a fleet agrees without coordinating): a key is *pending* (published, not signing) before its
 * `activeFrom`, *signing* while it is the most recently activated key not retired, and *retired* once a later key
 * takes over or its `retiredAt` passes; a retired key stays in the JWKS for `tokenTtl + skew` more, then drops out.
 */
export interface KeyRing {
  /** The key that signs at `now`, or undefined when none can (the service then answers 503). */
  signer(now: number): { kid: string; privateKey: KeyObject } | undefined;
  /** The public keys to publish at `now`. */
  published(now: number): PublishedJwk[];
}

function toMs(value: number | Date | string | undefined, fallback: number, where: string): number {
  if (value === undefined) return fallback;
  const ms = typeof value === 'number' ? value : new Date(value).getTime();
  if (!Number.isFinite(ms)) throw new TypeError(`${where}: not a valid time`);
  return ms;
}

function importPrivateKey(input: SigningKeyInput['privateKey'], where: string): KeyObject {
  let key: KeyObject;
  try {
    key = privateKeyFrom(input);
  } catch (error) {
    throw new TypeError(`${where}: private key ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new TypeError(`${where}: must be an EC P-256 key (tokens are ES256)`);
  }
  return key;
}

/** Builds the key ring; throws a TypeError naming the bad key for any configuration mistake. */
export function createKeyRing(keys: readonly SigningKeyInput[], tokenTtlMs: number, skewMs: number): KeyRing {
  const seen = new Set<string>();
  const ring: RingKey[] = keys.map((input, i) => {
    const where = `signingKeys.${i}`;
    if (seen.has(input.kid)) throw new TypeError(`${where}.kid: duplicate kid "${input.kid}"`);
    seen.add(input.kid);
    const privateKey = importPrivateKey(input.privateKey, `${where}.privateKey`);
    const { kty, crv, x, y } = createPublicKey(privateKey).export({ format: 'jwk' });
    const activeFrom = toMs(input.activeFrom, Number.NEGATIVE_INFINITY, `${where}.activeFrom`);
    const retiredAt = toMs(input.retiredAt, Number.POSITIVE_INFINITY, `${where}.retiredAt`);
    // A key retired at or before it activates never signs: alone, the service would start and answer 503 forever.
    if (retiredAt <= activeFrom) throw new TypeError(`${where}.retiredAt: must be after activeFrom (the key would never sign)`);
    return { kid: input.kid, privateKey, jwk: { kty: kty!, crv, x, y, kid: input.kid, alg: 'ES256', use: 'sig' }, activeFrom, retiredAt };
  });
  if (!ring.some((k) => k.retiredAt === Number.POSITIVE_INFINITY || k.retiredAt > Date.now())) {
    throw new TypeError('signingKeys: every key is retired; add a key that can sign');
  }
  // Stable order: by activation, configuration order breaking ties (the later one wins).
  const byActivation = ring.map((k, i) => ({ k, i })).sort((a, b) => a.k.activeFrom - b.k.activeFrom || a.i - b.i).map((e) => e.k);

  /**
   * When `key` stops signing, as far as the configuration tells: its own `retiredAt`, or the `activeFrom` of a later
   * key that takes over. A successor without `activeFrom` does not end the key's publication: nothing says since when
   * it signs, so the key it replaced may still have tokens out (it stays published until removed or retired).
   */
  function signingEnds(key: RingKey): number {
    let end = key.retiredAt;
    const position = byActivation.indexOf(key);
    byActivation.forEach((other, i) => {
      if (other === key || !Number.isFinite(other.activeFrom) || other.retiredAt <= other.activeFrom) return;
      const later = other.activeFrom > key.activeFrom || (other.activeFrom === key.activeFrom && i > position);
      if (later && other.activeFrom < end) end = other.activeFrom;
    });
    return end;
  }
  /** The key that signs at `now`: the last by activation that is active and not retired. */
  function chosenAt(now: number): RingKey | undefined {
    let chosen: RingKey | undefined;
    for (const key of byActivation) if (key.activeFrom <= now && now < key.retiredAt) chosen = key;
    return chosen;
  }
  // Between two consecutive configured moments the signer does not change: the end of the last stretch a key signs
  // in. A key can sign again after a later key retires (a temporary key), which `signingEnds` alone does not see.
  const moments = [...new Set(ring.flatMap((k) => [k.activeFrom, k.retiredAt]).filter(Number.isFinite))].sort((a, b) => a - b);
  const stretchStarts = [Number.NEGATIVE_INFINITY, ...moments];
  function lastSigning(key: RingKey): number {
    let last = Number.NEGATIVE_INFINITY;
    stretchStarts.forEach((start, i) => {
      if (chosenAt(start) === key) last = stretchStarts[i + 1] ?? Number.POSITIVE_INFINITY;
    });
    return last;
  }
  // Never past the key's own `retiredAt` (every stretch ends at or before it); a key that signs is always published.
  const ends = new Map(ring.map((k) => [k, Math.max(signingEnds(k), lastSigning(k))] as const));

  return {
    signer(now) {
      const chosen = chosenAt(now);
      return chosen && { kid: chosen.kid, privateKey: chosen.privateKey };
    },
    published(now) {
      const out: PublishedJwk[] = [];
      for (const key of byActivation) if (now < ends.get(key)! + tokenTtlMs + skewMs) out.push(key.jwk);
      return out;
    },
  };
}
