import type { KeyObject } from 'node:crypto';
import { errors, jwtVerify, type CryptoKey, type JWTVerifyGetKey, type JWTVerifyOptions, type JWTVerifyResult } from 'jose';

/** Most keys of a set tried for one token: a token that several more keys match is refused, not tried on each. */
const MAX_CANDIDATES = 8;

/**
 * `jwtVerify`, trying each candidate when several keys of a JWK set match the token (no `kid`, or a shared one):
 * jose's sets do not choose among them (`JWKSMultipleMatchingKeys`, which yields the candidates). The first key
 * whose signature verifies decides, claims included; a token no candidate verifies fails as a bad signature, and
 * one with more than {@link MAX_CANDIDATES} candidates as jose failed it.
 */
export async function jwtVerifyWithCandidates(
  token: string,
  key: KeyObject | JWTVerifyGetKey,
  options: JWTVerifyOptions,
): Promise<JWTVerifyResult> {
  try {
    return await jwtVerify(token, key, options);
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    return jwtVerifyWithEach(token, await candidateKeys(error), options);
  }
}

/** The keys jose found matching a token, at most {@link MAX_CANDIDATES}: with more, `error` itself is thrown. */
export async function candidateKeys(error: errors.JWKSMultipleMatchingKeys): Promise<CryptoKey[]> {
  const candidates: CryptoKey[] = [];
  for await (const candidate of error) {
    if (candidates.length === MAX_CANDIDATES) throw error;
    candidates.push(candidate);
  }
  return candidates;
}

/**
 * `jwtVerify` with each key in turn: the first whose signature verifies decides, claims included; a token none
 * verifies fails as a bad signature.
 */
export async function jwtVerifyWithEach(
  token: string,
  candidates: readonly CryptoKey[],
  options: JWTVerifyOptions,
): Promise<JWTVerifyResult> {
  let failure: unknown = new errors.JWSSignatureVerificationFailed();
  for (const candidate of candidates) {
    try {
      return await jwtVerify(token, candidate, options);
    } catch (attempt) {
      // Only a signature another key may verify moves on: a claim failure comes after a good signature.
      if (!(attempt instanceof errors.JWSSignatureVerificationFailed)) throw attempt;
      failure = attempt;
    }
  }
  throw failure;
}
