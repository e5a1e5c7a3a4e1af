import { randomUUID, X509Certificate } from 'node:crypto';
import { SignJWT } from 'jose';
import { createClientIpResolver } from '../../core/client-ip.js';
import { endpointProblem, type EndpointRequest, type EndpointResponse, type Endpoints } from '../../core/endpoints.js';
import { ShieldConfigError } from '../../core/errors.js';
import { createAttestationChallenges } from '../app-attest/challenges.js';
import { createAppAttestRegistry } from '../app-attest/registry.js';
import { AppAttestError } from '../app-attest/errors.js';
import { createPlayIntegrityVerifier } from '../play-integrity/verifier.js';
import { PlayIntegrityError } from '../play-integrity/errors.js';
import { verdictClaims, type IssuedDeviceVerdict } from './claims.js';
import { androidVerdict, appleRefusal, iosVerdict } from './verdicts.js';
import { createKeyRing, type PublishedJwk } from './key-ring.js';
import { attestationServiceOptionsSchema, type AttestationServiceOptions } from './options.js';
import { createServiceRateLimiter } from './rate-limit.js';
import { AttestationCallTimeoutError, createCallDeadlines } from './deadlines.js';
import { checkIssueArguments } from './issue-input.js';
import {
  androidClientData,
  bodyStructureProblem,
  androidTokenRequest,
  challengeRequest,
  clientDataHash,
  iosClientData,
  iosRegisterRequest,
  iosTokenRequest,
  parseClientData,
  parseRequest,
} from './requests.js';
import { ENGLISH } from '../../core/zod-locale.js';
import { callHook } from '../../core/hooks.js';

/** The attestation service: an {@link Endpoints} set to mount with `expressEndpoints` / `koaEndpoints` / `fastifyEndpoints`. */
export interface AttestationService extends Endpoints {
  /** The public keys currently published (what `GET /.well-known/jwks.json` answers). */
  jwks(now?: number): { keys: PublishedJwk[] };
  /**
   * Issues a token for an already verified verdict (used by the routes; exposed for custom evidence flows). Rejects
   * with a TypeError naming the argument for a verdict of the wrong shape, a `subject` that is not 1 to 256
   * characters, a `binding` that is not a base64 SHA-256 digest (it is signed as canonical padded base64) or a
   * `pinSetVersion` that is not a non-negative integer.
   */
  issueToken(verdict: IssuedDeviceVerdict, subject: string, binding?: string, pinSetVersion?: number): Promise<IssuedToken>;
}

/** A token the service issued. */
export interface IssuedToken {
  token: string;
  /** Expiry, epoch seconds (the token's `exp`). */
  expiresAt: number;
}

/** Problem codes of the attestation service (besides the core's `payload_*`, `shield_unavailable`). */
export const ATTESTATION_SERVICE_CODES = {
  attestation_challenge_invalid: { status: 401, title: 'Challenge unknown, expired or already used' },
  attestation_invalid: { status: 401, title: 'Attestation evidence rejected' },
  attestation_key_unknown: { status: 401, title: 'App Attest key not registered' },
  attestation_key_exists: { status: 409, title: 'App Attest key already registered' },
  device_untrusted: { status: 403, title: 'Device not trusted' },
  attestation_rate_limited: { status: 429, title: 'Too many requests' },
} as const;

type ServiceCode = keyof typeof ATTESTATION_SERVICE_CODES;

function problem(code: ServiceCode, extra?: Record<string, string>): EndpointResponse {
  const { status, title } = ATTESTATION_SERVICE_CODES[code];
  return endpointProblem(status, code, title, extra);
}

function invalidFields(fields: string[]): EndpointResponse {
  const response = endpointProblem(422, 'payload_invalid', 'Request failed validation');
  return { ...response, body: { ...(response.body as object), fields: [...new Set(fields)].slice(0, 10) } };
}

const NO_STORE = { 'cache-control': 'no-store' } as const;

/** Installation ids in their own key space, apart from App Attest key ids. */
function installKeyOf(installationId: string | undefined): string | undefined {
  return installationId === undefined ? undefined : `i:${installationId}`;
}

/** One spelling per key id (base64 or base64url, padded or not), so encodings cannot split a per-device counter. */
function deviceKeyOf(keyId: string | undefined): string | undefined {
  return keyId === undefined ? undefined : `k:${Buffer.from(keyId, 'base64').toString('base64url')}`;
}

/** `ios.trustAnchor` as a certificate; a ShieldConfigError when it is not one. */
function anchorCertificate(anchor: string | X509Certificate): X509Certificate {
  if (anchor instanceof X509Certificate) return anchor;
  try {
    return new X509Certificate(anchor);
  } catch {
    throw new ShieldConfigError([{ path: 'ios.trustAnchor', message: 'must be a PEM certificate or an X509Certificate' }]);
  }
}

/**
 * Creates the self-hosted attestation service: apps prove themselves with Play Integrity or App Attest and get a
 * short-lived ES256 token that a shield configured with the service's JWKS URL (or its keys) verifies.
 *
 * Routes (with the default prefix): `POST /attest/challenge`, `POST /attest/android`, `POST /attest/ios/register`,
 * `POST /attest/ios/token`, `GET /.well-known/jwks.json`. Every route is rate-limited per IP and, where the request
 * names a device, per device, in the Store; a Store that cannot answer gets 503, except on the JWKS route (public
 * keys every verifier needs), which then answers unlimited. Throws {@link ShieldConfigError} for invalid options.
 */
export function createAttestationService(options: AttestationServiceOptions): AttestationService {
  const parsed = attestationServiceOptionsSchema.safeParse(options, ENGLISH);
  if (!parsed.success) {
    throw new ShieldConfigError(parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  }
  const o = parsed.data;
  const ttlMs = o.tokenTtl * 1000;
  let ring: ReturnType<typeof createKeyRing>;
  try {
    ring = createKeyRing(options.signingKeys, ttlMs, o.clockSkew * 1000);
  } catch (error) {
    throw new ShieldConfigError([{ path: 'signingKeys', message: (error as Error).message }]);
  }
  // Every call into the policy and the Store is bounded: one that never settles fails the request (503), never hangs it.
  const deadlines = createCallDeadlines(o.callTimeoutMs);
  const store = deadlines.store(o.store);
  const challenges = createAttestationChallenges({ store, ttlMs: o.challengeTtlMs, keyPrefix: `${o.keyPrefix}chal:` });
  const limiter = createServiceRateLimiter(store, o.keyPrefix, { ip: o.rateLimits.ip, device: o.rateLimits.device });
  const clientIp = createClientIpResolver(o.clientIp ?? {});
  let play: ReturnType<typeof createPlayIntegrityVerifier> | undefined;
  try {
    play = options.android ? createPlayIntegrityVerifier(options.android) : undefined;
  } catch (error) {
    // The schema checks only `packageName`; the verifier checks keys and ranges (a NaN `maxAgeMs` would switch
    // freshness off): its refusal is a configuration error like any other, not a bare TypeError.
    throw new ShieldConfigError([{ path: 'android', message: (error as Error).message }]);
  }
  const ios = o.ios;
  // Parsed once here: the registry would parse a string anchor on each registration, so one that is not a certificate
  // started the service and then refused every genuine device 401 (`chain_invalid`, blamed on the client).
  const trustAnchor = ios?.trustAnchor === undefined ? undefined : anchorCertificate(ios.trustAnchor);
  const registry = ios
    ? createAppAttestRegistry({
        store,
        teamId: ios.teamId,
        bundleId: ios.bundleId,
        environment: ios.environment,
        keyPrefix: `${o.keyPrefix}appattest:`,
        ...(ios.keyTtlMs ? { keyTtlMs: ios.keyTtlMs } : {}),
        ...(trustAnchor ? { trustAnchor } : {}),
      })
    : undefined;

  const paths = {
    challenge: `${o.prefix}/challenge`,
    android: `${o.prefix}/android`,
    iosRegister: `${o.prefix}/ios/register`,
    iosToken: `${o.prefix}/ios/token`,
    jwks: o.jwksPath,
  };
  // The handler dispatches on the path alone: a JWKS path naming a POST route would answer that route with the JWKS.
  if ([paths.challenge, paths.android, paths.iosRegister, paths.iosToken].includes(paths.jwks)) {
    throw new ShieldConfigError([{ path: 'jwksPath', message: `must not be the path of another route of the service (${paths.jwks})` }]);
  }
  const routes: Endpoints['routes'] = [
    { method: 'POST', path: paths.challenge },
    ...(play ? [{ method: 'POST' as const, path: paths.android }] : []),
    ...(registry ? [{ method: 'POST' as const, path: paths.iosRegister }, { method: 'POST' as const, path: paths.iosToken }] : []),
    { method: 'GET', path: paths.jwks },
  ];

  function emit(event: Parameters<NonNullable<typeof o.onEvent>>[0]): void {
    callHook(o.onEvent, event);
  }

  async function issueToken(verdict: IssuedDeviceVerdict, subject: string, binding?: string, pinSetVersion?: number): Promise<IssuedToken> {
    const pay = checkIssueArguments(verdict, subject, binding, pinSetVersion);
    const now = Date.now();
    const signer = ring.signer(now);
    if (signer === undefined) throw new Error('no signing key is active now');
    const iat = Math.floor(now / 1000);
    const exp = iat + o.tokenTtl;
    const token = await new SignJWT({ ...verdictClaims(verdict, pay, pinSetVersion) })
      .setProtectedHeader({ alg: 'ES256', kid: signer.kid, typ: 'JWT' })
      .setIssuer(o.issuer)
      .setAudience(o.audience as string | string[])
      .setSubject(subject)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(signer.privateKey);
    return { token, expiresAt: exp };
  }

  /** The current pin-set version, when the service takes part in pinning. */
  function currentPinSet(): number | undefined {
    const v = o.pinSetVersion;
    if (typeof v !== 'function') return v;
    const current = v();
    // A getter giving no version (NaN from an unset variable) would refuse no version as too new and stamp any the
    // app claims: throw, so the request is answered 503 (fail closed), as the shield's `channel.minPinSetVersion` does.
    if (!Number.isSafeInteger(current) || current < 0) throw new TypeError('pinSetVersion did not give a non-negative integer');
    return current;
  }

  /** An app cannot hold a pin set newer than the one published. */
  function pinSetVersionTooNew(held: number | undefined): boolean {
    const current = currentPinSet();
    return held !== undefined && current !== undefined && held > current;
  }

  /** The `psv` claim: the app's pin-set version, only when the service is configured with the current one. */
  function stampedPinSet(held: number | undefined): number | undefined {
    return currentPinSet() === undefined ? undefined : held;
  }

  /** Applies the policy, then issues: 200 with the token, or 403 `device_untrusted`. */
  async function grant(
    route: string,
    ip: string,
    verdict: IssuedDeviceVerdict,
    subject: string,
    binding?: string,
    pinSetVersion?: number,
  ): Promise<EndpointResponse> {
    const policy = o.policy;
    const ruling = policy ? await deadlines.policy(() => policy(verdict, { ip })) : true;
    // Only `true` and undefined approve: a value of another type from JavaScript code refuses (fails closed).
    if (ruling !== true && ruling !== undefined) {
      emit({ route, outcome: 'refused', reason: typeof ruling === 'string' ? ruling : 'policy', platform: verdict.platform, ip });
      return problem('device_untrusted');
    }
    const issued = await issueToken(verdict, subject, binding, pinSetVersion);
    emit({ route, outcome: 'issued', platform: verdict.platform, ip });
    // `expiresIn` (exp - iat, seconds) lets a client time its cache on its own clock, however far off ours it is.
    const body = { token: issued.token, expiresAt: issued.expiresAt, expiresIn: o.tokenTtl, tokenType: 'attestation' };
    return { status: 200, headers: NO_STORE, body };
  }

  /**
   * Evidence that failed verification is the client's problem (401); anything else is ours (rethrown: 503, reported
   * as an `error` event by `handle`).
   */
  function rejected(route: string, ip: string, platform: 'android' | 'ios', error: unknown): EndpointResponse {
    if (error instanceof AppAttestError) {
      emit({ route, outcome: 'refused', reason: error.reason, platform, ip });
      if (error.reason === 'unknown_key') return problem('attestation_key_unknown');
      if (error.reason === 'key_already_registered') return problem('attestation_key_exists');
      return problem('attestation_invalid');
    }
    if (error instanceof PlayIntegrityError) {
      emit({ route, outcome: 'refused', reason: error.reason, platform, ip });
      return problem('attestation_invalid');
    }
    throw error;
  }

  /** The platform a route serves, for its events. */
  function platformOf(route: string): 'android' | 'ios' | undefined {
    return route === paths.android ? 'android' : route === paths.iosRegister || route === paths.iosToken ? 'ios' : undefined;
  }

  async function consume(route: string, ip: string, challenge: string, platform: 'android' | 'ios'): Promise<EndpointResponse | undefined> {
    if (await challenges.consume(challenge)) return undefined;
    emit({ route, outcome: 'refused', reason: 'challenge_invalid', platform, ip });
    return problem('attestation_challenge_invalid');
  }

  async function handle(request: EndpointRequest): Promise<EndpointResponse> {
    const ip = clientIp.resolve(request.ip, request.headers, request.frameworkIp).ip;
    try {
      return await answer(request, ip);
    } catch (error) {
      // A store that cannot answer, a throwing `policy`: the mount answers 503 (rethrown), and `onEvent` hears it.
      const reason = error instanceof AttestationCallTimeoutError ? { reason: error.reason } : {};
      emit({ route: request.path, outcome: 'error', ...reason, platform: platformOf(request.path), ip });
      throw error;
    }
  }

  async function answer(request: EndpointRequest, ip: string): Promise<EndpointResponse> {
    const ipKey = clientIp.aggregationKey(ip);
    const route = request.path;
    const limited = (retryAfter: number | undefined): EndpointResponse | undefined => {
      if (retryAfter === undefined) return undefined;
      emit({ route, outcome: 'refused', reason: 'rate_limited', ip });
      return problem('attestation_rate_limited', { 'retry-after': String(retryAfter) });
    };

    if (route === paths.jwks) {
      // Public, cacheable data that every verifier needs: a store outage must not take it down with it (verifiers
      // whose cached set expires would then refuse every token), so only a store that answers can refuse it.
      const tooMany = limited(await limiter.hit('jwks', ipKey, undefined).catch(() => undefined));
      if (tooMany) return tooMany;
      return {
        status: 200,
        headers: { 'cache-control': `public, max-age=${o.jwksMaxAge}`, 'content-type': 'application/jwk-set+json' },
        body: { keys: ring.published(Date.now()) },
      };
    }

    // Before any schema reads it: a body whose reading depends on the reader (a key twice) or nests without bound.
    if (bodyStructureProblem(request) !== undefined) return endpointProblem(400, 'payload_malformed', 'Malformed request');

    if (route === paths.challenge) {
      const body = parseRequest(challengeRequest, request.body);
      if (!body.ok) return invalidFields(body.fields);
      const tooMany = limited(await limiter.hit('challenge', ipKey, deviceKeyOf(body.value.keyId) ?? installKeyOf(body.value.installationId)));
      if (tooMany) return tooMany;
      const challenge = await challenges.issue();
      return { status: 200, headers: NO_STORE, body: { challenge, expiresIn: Math.floor(o.challengeTtlMs / 1000) } };
    }

    if (route === paths.android && play) {
      const body = parseRequest(androidTokenRequest, request.body);
      if (!body.ok) return invalidFields(body.fields);
      const data = parseClientData(androidClientData, body.value.clientData);
      if (!data.ok) return invalidFields(data.fields);
      const { challenge, installationId, binding, pinSetVersion } = data.value;
      if (pinSetVersionTooNew(pinSetVersion)) return invalidFields(['clientData.pinSetVersion']);
      const tooMany = limited(await limiter.hit('android', ipKey, installKeyOf(installationId)));
      if (tooMany) return tooMany;
      const refused = await consume(route, ip, challenge, 'android');
      if (refused) return refused;
      let verdict: IssuedDeviceVerdict;
      try {
        // Google signed the hash of the client data (as the classic nonce or the standard request hash): the binding,
        // pin-set version and installation id the token will carry are the ones the app asked for, not a relay's.
        const hash = clientDataHash(body.value.clientData);
        verdict = androidVerdict(await play.verify(body.value.integrityToken, { nonce: hash, requestHash: hash }));
      } catch (error) {
        return rejected(route, ip, 'android', error);
      }
      return grant(route, ip, verdict, installationId ?? `android:${randomUUID()}`, binding, stampedPinSet(pinSetVersion));
    }

    if (route === paths.iosRegister && registry && ios) {
      const body = parseRequest(iosRegisterRequest, request.body);
      if (!body.ok) return invalidFields(body.fields);
      const { keyId, attestation, challenge } = body.value;
      const tooMany = limited(await limiter.hit('ios-register', ipKey, deviceKeyOf(keyId)));
      if (tooMany) return tooMany;
      const refused = await consume(route, ip, challenge, 'ios');
      if (refused) return refused;
      try {
        const verified = await registry.register({ attestationObject: attestation, challenge, keyId });
        emit({ route, outcome: 'registered', platform: 'ios', ip });
        return { status: 201, headers: NO_STORE, body: { keyId: Buffer.from(verified.keyId, 'base64').toString('base64url') } };
      } catch (error) {
        return rejected(route, ip, 'ios', error);
      }
    }

    if (route === paths.iosToken && registry && ios) {
      const body = parseRequest(iosTokenRequest, request.body);
      if (!body.ok) return invalidFields(body.fields);
      const { keyId, assertion, clientData } = body.value;
      const inner = parseClientData(iosClientData, clientData);
      if (!inner.ok) return invalidFields(inner.fields);
      if (pinSetVersionTooNew(inner.value.pinSetVersion)) return invalidFields(['clientData.pinSetVersion']);
      const tooMany = limited(await limiter.hit('ios-token', ipKey, deviceKeyOf(keyId)));
      if (tooMany) return tooMany;
      const refused = await consume(route, ip, inner.value.challenge, 'ios');
      if (refused) return refused;
      let verdict: IssuedDeviceVerdict;
      let refusal: string | undefined;
      try {
        const checked = await registry.verifyAssertion({ keyId, assertion, clientData });
        verdict = iosVerdict(checked.keyId, checked.key.appId, ios.environment, ios.level, {
          ...(checked.extensions ? { extensions: checked.extensions } : {}),
          ...(checked.key.macAccessControl ? { macAccessControl: checked.key.macAccessControl } : {}),
        });
        refusal = appleRefusal(checked, ios.allow);
      } catch (error) {
        return rejected(route, ip, 'ios', error);
      }
      // The key signed this request: its device's budget counts on every IP key (a device hopping IP keys).
      const provenTooMany = limited(await limiter.hitProvenDevice('ios-token', deviceKeyOf(keyId)!));
      if (provenTooMany) return provenTooMany;
      // What the device verifier denies by default is refused here: the token could not tell a shield about it.
      if (refusal !== undefined) {
        emit({ route, outcome: 'refused', reason: refusal, platform: 'ios', ip });
        return problem('device_untrusted');
      }
      return grant(route, ip, verdict, `ios:${verdict.device.id!}`, inner.value.binding, stampedPinSet(inner.value.pinSetVersion));
    }

    // Unreachable: serveEndpoint only hands us the routes we listed.
    return endpointProblem(404, 'not_found', 'Not found');
  }

  return {
    routes,
    maxBodyBytes: o.maxBodyBytes,
    handle,
    jwks: (now = Date.now()) => ({ keys: ring.published(now) }),
    issueToken,
  };
}
