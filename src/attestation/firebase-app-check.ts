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
  mode?: TokenOptions['mode'];
  failOpen?: boolean;
}

/**
 * Token options for Firebase App Check: header `x-firebase-appcheck`, RS256 from Google's App Check JWKS (cached
 * no longer than 6 hours), `iss` = `https://firebaseappcheck.googleapis.com/<projectNumber>`, `aud` containing
 * `projects/<projectNumber>`, and `sub` among `appIds` when given.
 */
export function firebaseAppCheck(options: FirebaseAppCheckOptions): TokenOptions {
  const projectNumber = String(options.projectNumber);
  if (!/^\d+$/.test(projectNumber)) throw new TypeError('firebaseAppCheck: projectNumber must be the numeric project number');
  const audience = [`projects/${projectNumber}`];
  if (options.projectId) audience.push(`projects/${options.projectId}`);
  const appIds = options.appIds ? new Set(options.appIds) : undefined;
  return {
    provider: 'firebase-app-check',
    header: 'x-firebase-appcheck',
    jwksUrl: options.jwksUrl ?? FIREBASE_APP_CHECK_JWKS_URL,
    jwksCacheMaxAgeMs: Math.min(options.jwksCacheMaxAgeMs ?? SIX_HOURS_MS, SIX_HOURS_MS),
    algorithms: ['RS256'],
    issuer: `https://firebaseappcheck.googleapis.com/${projectNumber}`,
    audience,
    requiredClaims: ['exp', 'sub'],
    ...(appIds
      ? { claimsCheck: (claims) => (typeof claims.sub === 'string' && appIds.has(claims.sub) ? true : 'sub is not an accepted app id') }
      : {}),
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.failOpen !== undefined ? { failOpen: options.failOpen } : {}),
  };
}
