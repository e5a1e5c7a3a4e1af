/**
 * `mobile-api-shield/client`: obtains attestation tokens from the attestation service and attaches them to API
 * requests. Runtime-agnostic: it only uses `fetch` and WebCrypto (`crypto.subtle`), so it runs in React Native,
 * browsers, Deno and Node 20 alike.
 */
import { decodeJwt } from 'jose';
import type { AppAttestAttester, AppAttestKeyStorage, PlatformAttester } from './attesters.js';

export type { AppAttestAttester, AppAttestKeyStorage, PlatformAttester, PlayIntegrityAttester } from './attesters.js';
export { verifyPinSet, refreshPinSet, pinPolicyFor, checkServedPins, PinSetError, MAX_PINSET_LIFETIME_SECONDS } from './pinset.js';
export type { PinSetErrorCode, VerifyPinSetOptions, VerifiedPinSet, PinSetState, HostPinPolicy, PinCheck, PinSetHost, PinSetPayload } from './pinset.js';

/** Options of {@link createAttestationClient}. */
export interface AttestationClientOptions {
  /** Base URL of the attestation service, e.g. `https://api.example.com`. */
  serviceUrl: string;
  /** The service's route prefix. Default `/attest`. */
  prefix?: string;
  /** The native attestation calls. */
  attester: PlatformAttester;
  /** Header the shield reads the token from. Default `x-attestation-token`. */
  header?: string;
  /**
   * Request header the token is bound to (the shield's `token.binding.headers`), or false for unbound tokens.
   * Default `authorization`: a request carrying it gets a token whose `pay` claim is the SHA-256 of its value.
   */
  bindTo?: string | false;
  /**
   * The version of the verified signed pin set the app holds (`payload.version` of `verifyPinSet` /
   * `refreshPinSet`), sent as `pinSetVersion` inside the signed client data of every token request. A service
   * configured with its own `pinSetVersion` stamps it as the token's `psv` claim, which a shield with
   * `channel.minPinSetVersion` requires: without it, such a shield refuses the app's calls with 403
   * `channel_stale_pins`.
   *
   * A number, or a function read each time a token is needed (cache hits included), since the app refreshes its
   * pin set at runtime: a cached token is only reused for the version it was issued for, so a higher version gets
   * a fresh token. `undefined` sends no version (a token without `psv`). Any other value than a non-negative safe
   * integer rejects `getToken` / `fetch` with `AttestationClientError` (`status` 0, `code` `bad_pin_set_version`)
   * before the service is called; an exception thrown by the function is passed on as it is.
   */
  pinSetVersion?: number | (() => number | undefined | Promise<number | undefined>);
  /**
   * Fetch a new token this many seconds before the cached one expires. Default 30. The expiry is counted on the
   * device's clock from receipt, for the `expiresIn` the service answers; with a service that sends none, for the
   * token's own `exp - iat` (read without verifying), and from the service's `expiresAt` only for a token without
   * usable `iat`/`exp`. A token is never cached for more than a day (the service's longest `tokenTtl`).
   */
  refreshMarginSeconds?: number;
  /** The fetch to use. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Clock, epoch ms (tests). Default `Date.now`. */
  now?: () => number;
}

/** A token obtained from the service. */
export interface ClientToken {
  token: string;
  /** Epoch seconds, on the service's clock (the token's `exp`). */
  expiresAt: number;
}

/** The attestation client. */
export interface AttestationClient {
  /**
   * A valid token (from the cache while it has more than the refresh margin left), bound to `bindValue` if given and
   * carrying the `pinSetVersion` read now.
   */
  getToken(bindValue?: string): Promise<ClientToken>;
  /**
   * `fetch` with the token attached (bound to the request's binding header when present). When the API answers
   * 401 `token_expired`, the client drops the token, gets a new one and retries once (bodies that can be re-sent).
   */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
  /**
   * Drops every cached token, those still being requested too (e.g. on logout): a request in flight still answers
   * its own caller, but its token is not cached, and later callers get a new one.
   */
  clear(): void;
}

/**
 * A failure talking to the attestation service: `status` and problem `code` of its answer. The client's own codes:
 * `network` (`status` 0: no answer, or the answer broke off while being read), `bad_response` (a success `status`
 * whose body is not the JSON object expected, or has a field of the wrong type: e.g. a captive portal's page) and
 * `bad_pin_set_version` (`status` 0: not sent, the `pinSetVersion` option gave an unusable value).
 */
export class AttestationClientError extends Error {
  override readonly name = 'AttestationClientError';
  constructor(
    readonly status: number,
    readonly code: string,
    message = `attestation service answered ${status} ${code}`,
  ) {
    super(message);
  }
}

const MAX_CACHED = 16;
/**
 * The longest a token is cached, ms: one day, the service's longest `tokenTtl`. A longer `expiresIn`, `exp - iat` or
 * `expiresAt` is a broken answer; capped (rather than refused, as the token itself may be fine) it cannot keep a token
 * cached for ever. A fixed bound, not the one `expiresAt` gives: that is the service's clock, which the device's may
 * be minutes ahead of, the very skew the lifetime is read to avoid.
 */
const MAX_LIFETIME_MS = 86_400_000;

/** A cached token and the device-clock instant (epoch ms) it stops being handed out. */
interface CachedToken {
  token: ClientToken;
  freshUntil: number;
}
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard padded base64; hand-written because `btoa`/`Buffer` are not everywhere React Native runs. */
function base64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    out += B64[a >> 2]! + B64[((a & 3) << 4) | ((b ?? 0) >> 4)]!;
    out += b === undefined ? '=' : B64[((b & 15) << 2) | ((c ?? 0) >> 6)]!;
    out += c === undefined ? '=' : B64[c & 63]!;
  }
  return out;
}

/** Unpadded base64url, as the service computes an Android request hash. */
function base64url(bytes: Uint8Array): string {
  return base64(bytes).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/** The problem `code` of an error response, or `http_<status>`. */
async function problemCode(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { code?: unknown };
    if (typeof body.code === 'string') return body.code;
  } catch {
    // Not JSON: fall through.
  }
  return `http_${response.status}`;
}

/** The `pinSetVersion` option's current value, checked: the service would refuse anything else (422). */
async function readPinSetVersion(option: AttestationClientOptions['pinSetVersion']): Promise<number | undefined> {
  const value: unknown = typeof option === 'function' ? await option() : option;
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    const shown = typeof value === 'number' ? String(value) : typeof value;
    throw new AttestationClientError(0, 'bad_pin_set_version', `pinSetVersion must be a non-negative safe integer (got ${shown})`);
  }
  return value;
}

/**
 * The token's lifetime in seconds, `exp - iat`, or undefined when it is not a JWS whose payload carries both as
 * numbers with `exp >= iat`. Decoded without verifying the signature: the client only needs the timing (the shield
 * verifies), and a forged lifetime only changes when this client asks for a new token.
 */
function tokenLifetime(token: string): number | undefined {
  let claims: { iat?: unknown; exp?: unknown };
  try {
    claims = decodeJwt(token);
  } catch {
    return undefined;
  }
  const { iat, exp } = claims;
  if (typeof iat !== 'number' || typeof exp !== 'number') return undefined;
  const lifetime = exp - iat;
  // Finite also rules out NaN and an overflow of two huge claims to Infinity.
  return Number.isFinite(lifetime) && lifetime >= 0 ? lifetime : undefined;
}

/** A non-empty string: storages answer `null` (Expo SecureStore, AsyncStorage) or `''` for a missing item. */
function isKeyId(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/**
 * Forgets a lost key id in `storage`: `remove()` when it has one, else `set(undefined)`. A failure is ignored (a
 * storage refusing undefined must not block the re-registration): the new key's `set` overwrites the lost one.
 */
async function forgetKey(storage: AppAttestKeyStorage | undefined): Promise<void> {
  try {
    await (storage?.remove ? storage.remove() : storage?.set(undefined));
  } catch {
    // Best effort, as documented on `AppAttestKeyStorage.remove`.
  }
}

function isReplayableBody(body: RequestInit['body']): boolean {
  return body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array || body instanceof ArrayBuffer || body instanceof URLSearchParams;
}

/**
 * Creates an attestation client: it gets a challenge from the service, hands it to the platform attester,
 * exchanges the evidence for a short-lived token, caches it until shortly before `exp` and attaches it to requests.
 */
export function createAttestationClient(options: AttestationClientOptions): AttestationClient {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const base = options.serviceUrl.replace(/\/+$/, '') + (options.prefix ?? '/attest');
  const header = (options.header ?? 'x-attestation-token').toLowerCase();
  const bindHeader = options.bindTo === false ? undefined : (options.bindTo ?? 'authorization').toLowerCase();
  const marginMs = (options.refreshMarginSeconds ?? 30) * 1000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, CachedToken>();
  const pending = new Map<string, Promise<ClientToken>>();
  // Bumped by clear(): a token request started before it answers its caller but is not cached.
  let generation = 0;
  let iosKeyId: string | undefined;
  // The one App Attest key lookup or registration in flight, shared by every caller (each registration costs an
  // App Attest key, Apple's throttle and the service's register budget); dropped once it settles.
  let keyInFlight: Promise<string> | undefined;

  /**
   * POSTs `body` and answers the fields `read` picks from the JSON object the service answered, or rejects with
   * `AttestationClientError`: `read` answers undefined when a field is missing or of the wrong type.
   */
  async function post<T>(path: string, body: unknown, read: (answer: Record<string, unknown>) => T | undefined): Promise<T> {
    let response: Response;
    try {
      response = await doFetch(base + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (error) {
      throw new AttestationClientError(0, 'network', `attestation service unreachable: ${(error as Error).message}`);
    }
    if (!response.ok) throw new AttestationClientError(response.status, await problemCode(response));
    // Read as text, then parse: a broken connection and a body that is not JSON (a captive portal's page) are
    // told apart without relying on the error types each runtime's fetch throws.
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new AttestationClientError(0, 'network', `attestation service answer broke off: ${(error as Error).message}`);
    }
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      throw new AttestationClientError(response.status, 'bad_response', `attestation service answer to ${path} is not JSON`);
    }
    const value = typeof answer === 'object' && answer !== null && !Array.isArray(answer) ? read(answer as Record<string, unknown>) : undefined;
    if (value === undefined) throw new AttestationClientError(response.status, 'bad_response', `unexpected attestation service answer to ${path}`);
    return value;
  }

  function challenge(hint: Record<string, string>): Promise<string> {
    return post('/challenge', hint, (answer) => (typeof answer.challenge === 'string' && answer.challenge !== '' ? answer.challenge : undefined));
  }

  /** POSTs a token request; the token is fresh until `refreshMarginSeconds` before it expires on the device's clock. */
  async function requestToken(path: string, body: unknown): Promise<CachedToken> {
    // Taken before sending: the service issued the token after this instant, so its lifetime counted from here
    // ends no later than the service's `exp`.
    const sentAt = now();
    const { token, expiresAt, expiresIn } = await post(path, body, (answer) => {
      const { token: t, expiresAt: at, expiresIn: ttl } = answer;
      if (typeof t !== 'string' || t === '' || typeof at !== 'number' || !Number.isFinite(at)) return undefined;
      // Absent from an older service; present, it must be a usable duration.
      if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0)) return undefined;
      return { token: t, expiresAt: at, expiresIn: ttl };
    });
    // A lifetime counted from `sentAt` makes the cache independent of the device clock (often minutes off the
    // service's, which would make a clock ahead attest on every call): `expiresIn`, or from an older service that
    // sends none, the token's `exp - iat`. `expiresAt` is the service's clock, the last resort.
    const lifetime = expiresIn ?? tokenLifetime(token);
    const expiresAtMs = Math.min(lifetime !== undefined ? sentAt + lifetime * 1000 : expiresAt * 1000, sentAt + MAX_LIFETIME_MS);
    return { token: { token, expiresAt }, freshUntil: expiresAtMs - marginMs };
  }

  // The registration's answer carries nothing the client uses, but it must still be a JSON object (not a portal page).
  const anyAnswer = (): true => true;

  /** Registers a new App Attest key with the service and keeps it. */
  async function register(attester: AppAttestAttester): Promise<string> {
    const keyId = await attester.generateKey();
    const value = await challenge({ keyId });
    const attestation = await attester.attestKey(keyId, await sha256(value));
    await post('/ios/register', { keyId, attestation, challenge: value }, anyAnswer);
    iosKeyId = keyId;
    await attester.keyStorage?.set(keyId);
    return keyId;
  }

  /**
   * The App Attest key to use: the one held, the stored one, or a newly registered one. With `lost` (a key id the
   * service answered `attestation_key_unknown` for), that key is forgotten and a new one registered, unless another
   * caller already replaced it. Concurrent callers share one lookup or registration.
   */
  async function registeredKey(attester: AppAttestAttester, lost?: string): Promise<string> {
    // A plain lookup in flight may read the lost key back from storage (a storage whose forgetting write has not
    // landed): the caller waits for it, and on that key goes on to replace it (or joins whoever started to meanwhile)
    // rather than spending its one retry on it. Once `keyInFlight` settles it is cleared before this resumes.
    while (keyInFlight !== undefined) {
      const key = await keyInFlight;
      if (key !== lost) return key;
    }
    if (iosKeyId !== undefined && iosKeyId !== lost) return iosKeyId;
    const run = (async () => {
      if (lost !== undefined) {
        iosKeyId = undefined;
        await forgetKey(attester.keyStorage);
      } else {
        const stored: unknown = await attester.keyStorage?.get();
        // Anything but a key id (null, '') means no key: sent as is, the service would refuse it (422) forever.
        if (isKeyId(stored)) return (iosKeyId = stored);
      }
      return register(attester);
    })();
    keyInFlight = run;
    // Not kept once settled: a failed registration is tried again by the next call.
    const settle = () => void (keyInFlight = undefined);
    run.then(settle, settle);
    return run;
  }

  /** The optional fields of the client data the platform signs (through its hash). */
  function signedFields(binding: string | undefined, pinSetVersion: number | undefined): Record<string, string | number> {
    return { ...(binding !== undefined ? { binding } : {}), ...(pinSetVersion !== undefined ? { pinSetVersion } : {}) };
  }

  async function iosToken(
    attester: AppAttestAttester,
    binding: string | undefined,
    pinSetVersion: number | undefined,
    lost?: string,
  ): Promise<CachedToken> {
    const keyId = await registeredKey(attester, lost);
    const value = await challenge({ keyId });
    const clientData = JSON.stringify({ challenge: value, ...signedFields(binding, pinSetVersion) });
    const assertion = await attester.generateAssertion(keyId, await sha256(clientData));
    try {
      return await requestToken('/ios/token', { keyId, assertion, clientData });
    } catch (error) {
      // The service lost the key (revoked, expired): attest a new one, once.
      if (lost === undefined && error instanceof AttestationClientError && error.code === 'attestation_key_unknown') {
        return iosToken(attester, binding, pinSetVersion, keyId);
      }
      throw error;
    }
  }

  async function obtain(binding: string | undefined, pinSetVersion: number | undefined): Promise<CachedToken> {
    const { attester } = options;
    if (attester.platform === 'android') {
      const hint: Record<string, string> = attester.installationId ? { installationId: attester.installationId } : {};
      const value = await challenge(hint);
      // Play signs the hash of the client data: the service trusts the fields inside it, and no others.
      const clientData = JSON.stringify({ challenge: value, ...hint, ...signedFields(binding, pinSetVersion) });
      const integrityToken = await attester.requestIntegrityToken(base64url(await sha256(clientData)));
      return requestToken('/android', { integrityToken, clientData });
    }
    return iosToken(attester, binding, pinSetVersion);
  }

  /** A token for `bindValue` and the cache key it is kept under. */
  async function tokenFor(bindValue: string | undefined): Promise<{ token: ClientToken; key: string }> {
    const binding = bindValue === undefined ? undefined : base64(await sha256(bindValue));
    const pinSetVersion = await readPinSetVersion(options.pinSetVersion);
    // The pin-set version is part of the key (rather than stored beside the token and compared): a token is only
    // ever reused for the exact version it carries, and the single-flight map below gets the same rule for free, so
    // a caller that reads a newer version never joins a request still in flight for the older one. Entries of an
    // older version are not looked up again once the app moved on, and age out of the bounded cache.
    const key = `${binding ?? ''}#${pinSetVersion ?? ''}`;
    return { token: await cachedOrNew(key, binding, pinSetVersion), key };
  }

  async function cachedOrNew(key: string, binding: string | undefined, pinSetVersion: number | undefined): Promise<ClientToken> {
    const cached = cache.get(key);
    if (cached !== undefined && cached.freshUntil > now()) return cached.token;
    const inFlight = pending.get(key);
    if (inFlight !== undefined) return inFlight;
    const started = generation;
    // Only this request's own entry is removed: after clear(), `key` may already name a newer request.
    const settle = () => void (pending.get(key) === promise && pending.delete(key));
    const promise: Promise<ClientToken> = obtain(binding, pinSetVersion).then(
      (fresh) => {
        settle();
        if (started === generation) {
          if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
          cache.set(key, fresh);
        }
        return fresh.token;
      },
      (error: unknown) => {
        settle();
        throw error;
      },
    );
    pending.set(key, promise);
    return promise;
  }

  async function getToken(bindValue?: string): Promise<ClientToken> {
    return (await tokenFor(bindValue)).token;
  }

  /** Sends the request with a token; returns the answer and the cache key of the token it carried. */
  async function attachAndSend(input: string | URL, init: RequestInit, bindValue: string | undefined): Promise<{ response: Response; key: string }> {
    const headers = new Headers(init.headers);
    const { token, key } = await tokenFor(bindValue);
    headers.set(header, token.token);
    return { response: await doFetch(input, { ...init, headers }), key };
  }

  return {
    getToken,
    clear() {
      generation += 1;
      cache.clear();
      pending.clear();
    },
    async fetch(input, init = {}) {
      const bindValue = bindHeader === undefined ? undefined : (new Headers(init.headers).get(bindHeader) ?? undefined);
      const { response, key } = await attachAndSend(input, init, bindValue);
      if (response.status !== 401 || !isReplayableBody(init.body)) return response;
      const code = await problemCode(response.clone());
      if (code !== 'token_expired') return response;
      cache.delete(key);
      return (await attachAndSend(input, init, bindValue)).response;
    },
  };
}
