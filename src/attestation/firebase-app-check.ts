import type { TokenOptions } from '../verifiers/token/config.js';

/** Google's published App Check JWK set. */
export const FIREBASE_APP_CHECK_JWKS_URL = 'https://firebaseappcheck.googleapis.com/v1/jwks';
const SIX_HOURS_MS = 6 * 3_600_000;

/** Options of the Firebase App Check preset. */
export interface FirebaseAppCheckOptions {
  /** The Firebase project number (the `iss` and `aud` refer to it). */
  projectNumber: string | number;
  /** The project id; when given, `aud` may name it instead of the number. */
  projectId?: string;
  /** Accepted Firebase app ids (the token's `sub`); every app of the project when omitted. */
  appIds?: readonly string[];
  /** JWKS URL override (tests, proxies). Default Google's App Check JWKS. */
  jwksUrl?: string | URL;
  /** Milliseconds the JWKS is cached; capped at 6 hours as Google asks. */
  jwksCacheMaxAgeMs?: number;
  /**
   * Replay protection for limited-use tokens, as Firebase defines it: Firebase marks the token consumed and says
   * whether it already was. Pass firebase-admin's `(token) => getAppCheck().verifyToken(token, { consume: true })`
   * (or anything resolving `{ alreadyConsumed }`). Applies on routes with token replay protection (all routes unless
   * a route sets `token: { replay: false }`); an already consumed token is `token_replayed`, a rejection is "cannot
   * decide" (503 unless failOpen).
   */
  consume?: (token: string) => Promise<{ alreadyConsumed?: boolean }>;
  mode?: TokenOptions['mode'];
  failOpen?: boolean;
}

/**
 * Token options for Firebase App Check: header `x-firebase-appcheck`, RS256 from Google's App Check JWKS (cached
 * no longer than 6 hours), header `typ` = `JWT`, `iss` = `https://firebaseappcheck.googleapis.com/<projectNumber>`,
 * `aud` an array containing `projects/<projectNumber>`, `sub` a non-empty string (among `appIds` when given), and
 * with `consume`, limited-use tokens accepted once.
 */
export function firebaseAppCheck(options: FirebaseAppCheckOptions): TokenOptions {
  const projectNumber = String(options.projectNumber);
  if (!/^\d+$/.test(projectNumber)) throw new TypeError('firebaseAppCheck: projectNumber must be the numeric project number');
  const audience = [`projects/${projectNumber}`];
  if (options.projectId) audience.push(`projects/${options.projectId}`);
  const appIds = options.appIds ? new Set(options.appIds) : undefined;
  const consume = options.consume;
  return {
    provider: 'firebase-app-check',
    header: 'x-firebase-appcheck',
    jwksUrl: options.jwksUrl ?? FIREBASE_APP_CHECK_JWKS_URL,
    jwksCacheMaxAgeMs: Math.min(options.jwksCacheMaxAgeMs ?? SIX_HOURS_MS, SIX_HOURS_MS),
    algorithms: ['RS256'],
    issuer: `https://firebaseappcheck.googleapis.com/${projectNumber}`,
    audience,
    typ: 'JWT',
    requiredClaims: ['exp', 'sub'],
    // firebase-admin's checks beyond the signature: `aud` an array, `sub` (the app id) a non-empty string.
    claimsCheck: (claims) => {
      if (!Array.isArray(claims.aud)) return 'aud is not an array';
      if (typeof claims.sub !== 'string' || claims.sub.length === 0) return 'sub is not a non-empty string';
      if (appIds && !appIds.has(claims.sub)) return 'sub is not an accepted app id';
      return true;
    },
    ...(consume
      ? { replay: true, consume: async (token: string) => (await consume(token)).alreadyConsumed !== true }
      : {}),
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.failOpen !== undefined ? { failOpen: options.failOpen } : {}),
  };
}
