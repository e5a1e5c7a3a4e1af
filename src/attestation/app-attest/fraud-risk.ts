import type { KeyObject, X509Certificate } from 'node:crypto';
import { privateKeyFrom } from '../../core/private-key.js';
import { SignJWT } from 'jose';
import type { AppAttestEnvironment } from './environment.js';
import { verifyAppAttestReceipt, type VerifiedAppAttestReceipt } from './receipt.js';
import { judgementTime } from '../time.js';

/** Apple's receipt exchange endpoints ("Assessing fraud risk"). */
export const APP_ATTEST_RISK_URLS: Readonly<Record<AppAttestEnvironment, string>> = {
  production: 'https://data.appattest.apple.com/v1/attestationData',
  development: 'https://data-development.appattest.apple.com/v1/attestationData',
};

/** An App Store Connect key with DeviceCheck enabled, which signs the request token. */
export interface DeviceCheckCredentials {
  /** The key's id (JWT `kid`). */
  keyId: string;
  /** Your Apple Developer Team ID (JWT `iss`). */
  teamId: string;
  /** The `.p8` private key (PEM or KeyObject, P-256). */
  privateKey: string | KeyObject;
}

/** Options of {@link refreshAppAttestRisk}. */
export interface AppAttestRiskRefreshOptions {
  /** The receipt stored for the key (from its attestation, or the last refresh). */
  receipt: Uint8Array | string;
  environment: AppAttestEnvironment;
  credentials: DeviceCheckCredentials;
  /** `TEAMID.bundleId` and the attested key, to verify the new receipt. */
  appId: string;
  publicKey: KeyObject;
  /** The HTTP client (injected: proxies, timeouts, tests). Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Endpoint override; default Apple's for `environment`. */
  url?: string;
  /** Abort the exchange after this long. Default 5 000 ms. */
  timeoutMs?: number;
  /** Epoch ms to judge the new receipt against; default now. A non-finite time throws a TypeError before Apple is asked. */
  now?: number;
  /** Trust anchor overriding Apple Root CA - G3 (tests, private CAs). */
  trustAnchor?: X509Certificate | string;
}

/** The outcome of an exchange: a verified `RECEIPT` with its risk metric, or "too early" (HTTP 304). */
export type AppAttestRiskRefresh =
  | { readonly status: 'refreshed'; readonly receipt: VerifiedAppAttestReceipt }
  | { readonly status: 'not_modified' };

/** Apple refused the exchange (400 wrong environment / bad receipt, 401, 404, 429, 5xx) or answered garbage. */
export class AppAttestRiskError extends Error {
  override readonly name = 'AppAttestRiskError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Exchanges a stored receipt with Apple for a fresh one carrying the fraud risk metric (field 17: roughly how many
 * keys were attested for this app on the device in the past 30 days). The request is authorised by an ES256 JWT
 * signed with the DeviceCheck key; the new receipt is verified (PKCS#7 chain to Apple Root CA - G3, App ID, key,
 * type `RECEIPT`) before it is returned. Store it in place of the old one: it is the input of the next refresh,
 * allowed after its `notBefore`.
 */
export async function refreshAppAttestRisk(options: AppAttestRiskRefreshOptions): Promise<AppAttestRiskRefresh> {
  // Checked before the exchange: a receipt Apple hands over cannot be judged with it, and it would be spent.
  const now = judgementTime(options.now, 'refreshAppAttestRisk');
  const fetchFn = options.fetch ?? globalThis.fetch;
  const receipt = typeof options.receipt === 'string' ? options.receipt : Buffer.from(options.receipt).toString('base64');
  const key = privateKeyFrom(options.credentials.privateKey);
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: options.credentials.keyId })
    .setIssuer(options.credentials.teamId)
    .setIssuedAt()
    .sign(key);
  const response = await fetchFn(options.url ?? APP_ATTEST_RISK_URLS[options.environment], {
    method: 'POST',
    // Apple takes the bare JWT, without a scheme.
    headers: { authorization: token, 'content-type': 'application/octet-stream' },
    body: receipt,
    signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
  });
  if (response.status === 304) return { status: 'not_modified' };
  if (response.status !== 200) throw new AppAttestRiskError(response.status, `Apple answered ${response.status}`);
  const body = (await response.text()).trim();
  if (body.length === 0 || body.length > 96 * 1024 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
    throw new AppAttestRiskError(200, 'Apple answered something other than a base64 receipt');
  }
  const verified = verifyAppAttestReceipt({
    receipt: body,
    appId: options.appId,
    publicKey: options.publicKey,
    type: 'RECEIPT',
    now,
    ...(options.trustAnchor !== undefined ? { trustAnchor: options.trustAnchor } : {}),
  });
  return { status: 'refreshed', receipt: verified };
}
