import { errors as joseErrors, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import { decodeDigest, digestMatches } from '../../core/binding-digest.js';
import { deepFreeze } from '../../core/deep-freeze.js';
import { headerValue, type ShieldRequest } from '../../core/request.js';
import type { ResolvedRouteOptions } from '../../core/route-options.js';
import type { Attestation, CacheLookup, Verifier, VerifierContext, VerifierOutcome } from '../../core/verifier.js';
import { MemoryStore } from '../../stores/memory.js';
import type { Store } from '../../stores/store.js';
import type { ResolvedTokenOptions } from './config.js';
import { importKeySource, type KeySource } from './key-source.js';
import { jwtVerifyWithCandidates, jwtVerifyWithEach } from './candidate-keys.js';
import { StaleKeys } from './remote-key-set.js';
import type { TokenRouteOptions } from './options.js';
import { bindingExempt, bindingHeaderValue, CONTENT_DIGEST_HEADER, contentDigestOf, createBindingResolver } from './binding.js';
import { generic } from './generic-errors.js';
import { rememberMaterial, sameMaterial, type RememberedMaterial } from './remembered-material.js';
import { ignoreHookResult } from '../../core/hooks.js';
import { toSeconds } from './seconds.js';

/** Name of the token verifier in Decision results and per-route `verifiers` modes. */
export const TOKEN_VERIFIER = 'token';

interface VerifiedToken {
  /** The whole token: the cache is keyed by its tail (see `cacheKey`), so a hit is confirmed against this. */
  readonly token: string;
  readonly attestation: Attestation;
  /** Decoded binding claims, by claim name, filled on first use (the claims never change for a token). */
  readonly bindingDigests: Map<string, Buffer | null>;
  /**
   * Per binding claim, the last header material whose SHA-256 matched it. One value per claim name (the names come
   * from the configuration), so this is bounded; a repeat request is compared with it in constant time instead of
   * hashing again (`sameMaterial`). Only ever set after a real digest match.
   */
  readonly bindingMatched: Map<string, RememberedMaterial>;
  readonly jti: string | undefined;
  /** Epoch ms after which the token must not be used (exp, or iat + maxTokenAge, plus tolerance). */
  readonly usableUntil: number;
  /**
   * Epoch ms until which a cache hit stands for a verification: `usableUntil`, but at most an hour after this one
   * (a minute for a token without an expiry), after which the token is verified again.
   */
  readonly cachedUntil: number;
  readonly generation: unknown;
}

/** A token that passed every check but its key's standing: only a stale remote set verified it (see `StaleKeys`). */
interface Undecided {
  readonly verified: VerifiedToken;
  /** The answer once binding and replay pass too: the key set's unavailability. */
  readonly undecided: unknown;
}

/** Longest a verification is reused from the cache; a token without an expiry is verified again after a minute. */
const MAX_CACHED_MS = 3_600_000;
const NO_EXPIRY_CACHED_MS = 60_000;

/** Characters of a token's end that key the verified-token cache: 192 bits of its signature in base64url. */
const CACHE_KEY_CHARS = 32;

/** The verified-token cache key of a token: its last characters (a slice, not a copy; see the cache). */
const cacheKey = (token: string): string => (token.length > CACHE_KEY_CHARS ? token.slice(-CACHE_KEY_CHARS) : token);

/** A pass says whether the verified-token cache answered (`cache` on the result, for hit-rate metrics). */
const PASS_HIT: VerifierOutcome = Object.freeze({ outcome: 'pass', cache: 'hit' });
const PASS_MISS: VerifierOutcome = Object.freeze({ outcome: 'pass', cache: 'miss' });
const pass = (cache: CacheLookup): VerifierOutcome => (cache === 'hit' ? PASS_HIT : PASS_MISS);
const MISSING: VerifierOutcome = Object.freeze({ outcome: 'deny', code: 'token_missing' });
const deny = (
  code: 'token_invalid' | 'token_expired' | 'token_replayed' | 'token_binding_mismatch' | 'content_digest_invalid',
  detail: string,
  cache?: CacheLookup,
): VerifierOutcome => ({ outcome: 'deny', code, detail, cache });

/** A compact JWS: three base64url segments, nothing else (a JWE has five; whitespace or padding is malformed). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const MEMO_CONSUMED_JTI = 'token.consumedJti';
const MEMO_CONSUMED_TOKEN = 'token.consumed';
/**
 * The token this request verified in full (a cache miss): a re-check of the request (a route-level check) reuses
 * it, so the attestation keeps its identity and the verifiers after this one are not judged stale by the core.
 */
const MEMO_VERIFIED = 'token.verified';

/** jose error codes that mean "this token is not acceptable" rather than "could not check". */
const INVALID_CODES = new Set([
  'ERR_JWS_INVALID', 'ERR_JWT_INVALID', 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JOSE_ALG_NOT_ALLOWED', 'ERR_JOSE_NOT_SUPPORTED', 'ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JWE_INVALID',
]);

/** Dependencies the shield hands to the token verifier. */
export interface TokenVerifierDeps {
  /** Where single-use token ids are remembered; the shield's store (MemoryStore unless configured). */
  store: Store;
  /**
   * True when the module added the body-stage `token-body-digest` verifier. Without it, a binding that lists
   * `content-digest` (given only in an adapter's route options) is refused rather than left unchecked against the body.
   */
  bodyDigestChecked?: boolean;
}

/**
 * Builds the attestation-token verifier: verifies a JWT an off-device attestation service issued (signature with
 * the configured key source, `exp`/`nbf`/`iss`/`aud`/age), then per request the token binding and single-use rule.
 *
 * Each distinct token is verified once and cached (bounded LRU, until the token's expiry, and only while the key
 * material is unchanged); binding and replay are checked on every request, cached or not.
 */
export function createTokenVerifier(options: ResolvedTokenOptions, deps: TokenVerifierDeps): Verifier {
  const keys: KeySource = importKeySource(options);
  const clockToleranceSec = toSeconds(options.clockTolerance);
  const maxTokenAgeSec = options.maxTokenAge === undefined ? undefined : toSeconds(options.maxTokenAge);
  const verifyOptions = {
    algorithms: [...keys.algorithms],
    issuer: options.issuer,
    audience: options.audience,
    subject: options.subject,
    clockTolerance: clockToleranceSec,
    maxTokenAge: maxTokenAgeSec,
    requiredClaims: options.requiredClaims,
    ...(options.typ !== undefined ? { typ: options.typ } : {}),
  };
  // Keyed by the token's last characters (its signature), not the whole token: a header value is a new string on
  // every request, and hashing all of a JWS (hundreds of characters) for the lookup cost more than the rest of a
  // cached check. A hit counts only when the stored token equals the presented one, so a token that merely ends
  // like a verified one (a copied signature) is a miss and is verified in full. Expiry is each entry's `cachedUntil`,
  // read against the check's clock (`ctx.now`, read once per request anyway): an lru-cache TTL would read the clock
  // again on every lookup. An expired entry stays until evicted or replaced (an lru-cache TTL without `ttlAutopurge`
  // also kept it until looked up); `max` bounds the cache either way.
  const cache = options.verifiedCacheSize > 0 ? new LRUCache<string, VerifiedToken>({ max: options.verifiedCacheSize }) : undefined;
  const replayStore = replayStoreOf(options.replay, deps.store);
  const bindingFor = createBindingResolver(options.binding);
  const provider = options.provider;

  function readToken(request: ShieldRequest): string | undefined | null {
    const raw = request.headers[options.header];
    if (raw === undefined || raw === '') return undefined;
    if (typeof raw !== 'string') return null; // the header was sent twice: ambiguous, refuse
    if (options.scheme === undefined) return raw.trim();
    const space = raw.indexOf(' ');
    if (space === -1 || raw.slice(0, space).toLowerCase() !== options.scheme.toLowerCase()) return null;
    return raw.slice(space + 1).trim();
  }

  async function verifySignatureAndClaims(token: string, now: number): Promise<VerifiedToken | Undecided | VerifierOutcome> {
    // A remote set refetched while this verification ran (a rotation landing) may have withdrawn the key it used:
    // the result is then not cached under the new set's identity (see `cache.set` below).
    const generationBefore = keys.generation();
    const verifyAt = { ...verifyOptions, currentDate: new Date(now) };
    let payload: JWTPayload;
    let undecided: StaleKeys | undefined;
    try {
      ({ payload } = await jwtVerifyWithCandidates(token, keys.key, verifyAt));
    } catch (error) {
      if (!(error instanceof StaleKeys)) return classifyJoseError(error, keys.remote);
      // Only keys of a set past its max age match, and the endpoint is failing: whether they were withdrawn cannot be
      // decided, but a token they do not verify, or whose claims fail, is refused whatever the current set holds
      // (`failOpen` must not pass it, and an expired token must read token_expired, which the client refreshes).
      try {
        ({ payload } = await jwtVerifyWithEach(token, error.candidates, verifyAt));
      } catch (refused) {
        return classifyJoseError(refused, true);
      }
      undecided = error;
    }
    if (options.claimsCheck) {
      let verdict: unknown;
      try {
        verdict = options.claimsCheck(payload);
      } catch {
        verdict = 'claims check threw';
      }
      // Only `true` or nothing accepts: a Promise (an async check) or any other value would otherwise pass unchecked.
      if (verdict !== true && verdict !== undefined) {
        ignoreHookResult(verdict); // an async check's rejection is handled (it refuses either way)
        return deny('token_invalid', typeof verdict === 'string' ? verdict : verdict instanceof Promise ? 'claims check must be synchronous' : 'claims check failed');
      }
    }
    const jti = typeof payload.jti === 'string' && payload.jti.length > 0 ? payload.jti : undefined;
    let usableUntil = typeof payload.exp === 'number' ? (payload.exp + clockToleranceSec) * 1000 : Number.POSITIVE_INFINITY;
    if (maxTokenAgeSec !== undefined && typeof payload.iat === 'number') {
      usableUntil = Math.min(usableUntil, (payload.iat + maxTokenAgeSec + clockToleranceSec) * 1000);
    }
    // jose compares in whole seconds, so it accepts up to a second past these bounds (a fractional `exp`, the second
    // `maxTokenAge` ends in): the shield's exact bound wins, or a single-use token's record (kept until `usableUntil`)
    // would be gone while the token still verified.
    if (now >= usableUntil) return deny('token_expired', 'token expired');
    const verified: VerifiedToken = {
      token,
      // Frozen to the last nested object: every request with this token while it is cached gets this one object.
      attestation: Object.freeze({ provider, claims: deepFreeze(payload) }),
      bindingDigests: new Map(),
      bindingMatched: new Map(),
      jti,
      usableUntil,
      // A token with nbf in the future never reaches here; one without exp is cached only briefly.
      cachedUntil: Number.isFinite(usableUntil) ? Math.min(usableUntil, now + MAX_CACHED_MS) : now + NO_EXPIRY_CACHED_MS,
      generation: keys.generation(), // read after jwtVerify: a remote set may just have been (re)fetched
    };
    // Never cached (nor remembered for a re-check): a hit would pass a token whose key may be withdrawn.
    if (undecided !== undefined) return { verified, undecided: undecided.undecided };
    if (cache && verified.cachedUntil > now && verified.generation === generationBefore) cache.set(cacheKey(token), verified);
    return verified;
  }

  function checkBinding(ctx: VerifierContext, verified: VerifiedToken, cache: CacheLookup): VerifierOutcome | undefined {
    const binding = bindingFor(ctx.route);
    if (!binding) return undefined;
    let actual = verified.bindingDigests.get(binding.claim);
    if (actual === undefined) {
      const claim = verified.attestation.claims[binding.claim];
      actual = typeof claim === 'string' ? decodeDigest(claim, 'either') ?? null : null;
      verified.bindingDigests.set(binding.claim, actual);
    }
    if (actual === null) {
      if (bindingExempt(binding, verified.attestation.claims)) return undefined;
      return deny('token_binding_mismatch', `no usable "${binding.claim}" claim`, cache);
    }
    const input = bindingInput(ctx.request, binding.headers);
    if (typeof input !== 'string') return { ...input, cache };
    if (binding.bindsContentDigest) {
      if (deps.bodyDigestChecked !== true) {
        return deny('token_binding_mismatch', 'content-digest bound only in adapter route options: list it in token.binding or the routes table', cache);
      }
      // Refused here, before the body is read; the body stage recomputes the digest (token-body-digest).
      const parsed = contentDigestOf(ctx, headerValue(ctx.request, CONTENT_DIGEST_HEADER) as string);
      if (!parsed.ok) return deny('content_digest_invalid', parsed.reason, cache);
    }
    const matched = verified.bindingMatched.get(binding.claim);
    if (matched !== undefined && sameMaterial(matched, input)) return undefined;
    if (!digestMatches(actual, input)) {
      return deny('token_binding_mismatch', 'binding hash differs', cache);
    }
    const remembered = rememberMaterial(input);
    if (remembered !== undefined) verified.bindingMatched.set(binding.claim, remembered);
    return undefined;
  }

  /** `record: false` only reads the `jti` record: a token answered "retry" must not be spent by it. */
  async function checkReplay(ctx: VerifierContext, verified: VerifiedToken, cache: CacheLookup, record = true): Promise<VerifierOutcome> {
    if (!verified.jti) return deny('token_invalid', 'single-use token without jti', cache);
    // Its jti is remembered until the token expires: a token that never does could be used again once it is forgotten.
    if (!Number.isFinite(verified.usableUntil)) return deny('token_invalid', 'single-use token without exp', cache);
    if (ctx.memo.get(MEMO_CONSUMED_JTI) === verified.jti) return pass(cache); // this request already consumed it
    const key = `jti:${provider}:${verified.jti}`;
    if (!record) return (await replayStore.get(key)) === undefined ? pass(cache) : deny('token_replayed', 'jti already used', cache);
    const ttl = Math.max(1_000, verified.usableUntil - ctx.now);
    const fresh = await replayStore.setIfAbsent(key, '1', ttl);
    if (!fresh) return deny('token_replayed', 'jti already used', cache);
    ctx.memo.set(MEMO_CONSUMED_JTI, verified.jti);
    return pass(cache);
  }

  async function consumeOnce(ctx: VerifierContext, token: string, verified: VerifiedToken, cache: CacheLookup): Promise<VerifierOutcome> {
    if (ctx.memo.get(MEMO_CONSUMED_TOKEN) === token) return pass(cache); // this request already consumed it
    if (!(await options.consume!(token, verified.attestation.claims))) return deny('token_replayed', 'token already consumed', cache);
    ctx.memo.set(MEMO_CONSUMED_TOKEN, token);
    return pass(cache);
  }

  /**
   * Binding and replay, on every request; `cache` says whether the verified token came from the cache. The claims
   * reach the request (`ctx.attestation`, then the Decision and the verifiers after this one) only once both passed:
   * in monitor mode a denied token lets the request on, and a stolen token's claims must not speak for it.
   */
  function afterVerification(
    ctx: VerifierContext,
    verified: VerifiedToken,
    token: string,
    cache: CacheLookup,
  ): VerifierOutcome | Promise<VerifierOutcome> {
    const bindingDenied = checkBinding(ctx, verified, cache);
    if (bindingDenied) return bindingDenied;
    const routeToken = ctx.route.token as TokenRouteOptions | undefined;
    const replay = routeToken?.replay ?? options.replay !== false;
    if (!replay) {
      ctx.attestation = verified.attestation;
      return pass(cache);
    }
    const checked = options.consume ? consumeOnce(ctx, token, verified, cache) : checkReplay(ctx, verified, cache);
    return checked.then((outcome) => {
      if (outcome.outcome === 'pass') ctx.attestation = verified.attestation;
      return outcome;
    });
  }

  /**
   * A token everything but its key's standing accepts (`Undecided`): binding and replay still refuse it, as they would
   * whatever the key set holds; otherwise "cannot decide" (503, or a pass with `failOpen`, its claims not reaching
   * the request). With `failOpen` the token is used, so it is consumed as a pass would; without, the 503 asks the
   * client to retry with it, so the `jti` record is only read (and a `consume` hook, which cannot just read, not called).
   */
  async function undecidedAfterChecks(ctx: VerifierContext, verified: VerifiedToken, token: string, undecided: unknown): Promise<VerifierOutcome> {
    const bindingDenied = checkBinding(ctx, verified, 'miss');
    if (bindingDenied) return bindingDenied;
    const routeToken = ctx.route.token as TokenRouteOptions | undefined;
    if (routeToken?.replay ?? options.replay !== false) {
      let replay: VerifierOutcome | undefined;
      if (options.failOpen) replay = await (options.consume ? consumeOnce(ctx, token, verified, 'miss') : checkReplay(ctx, verified, 'miss'));
      else if (!options.consume) replay = await checkReplay(ctx, verified, 'miss', false);
      if (replay?.outcome === 'deny') return replay;
    }
    throw undecided instanceof Error ? undecided : new Error('key source failed');
  }

  function verify(ctx: VerifierContext): VerifierOutcome | Promise<VerifierOutcome> {
    // A re-check of the request (a route-level check with other token options) starts over: an attestation an
    // earlier run left must not speak for a token this run refuses.
    ctx.attestation = undefined;
    const token = readToken(ctx.request);
    if (token === undefined) return MISSING;
    if (token === null) return deny('token_invalid', 'malformed token header');
    // Only tokens that passed every check below are ever cached, so a hit needs no re-check of their shape.
    const cached = cache?.get(cacheKey(token));
    if (cached !== undefined && cached.token === token && cached.cachedUntil > ctx.now && cached.generation === keys.generation()) {
      return afterVerification(ctx, cached, token, 'hit');
    }
    // Everything from here is a cache miss (with the cache off, every presented token is one).
    const earlier = ctx.memo.get(MEMO_VERIFIED) as VerifiedToken | undefined;
    if (earlier !== undefined && earlier.token === token) return afterVerification(ctx, earlier, token, 'hit');
    if (token.length > options.maxTokenBytes) return deny('token_invalid', 'token too large', 'miss');
    if (!COMPACT_JWS.test(token)) return deny('token_invalid', 'not a compact JWS', 'miss');
    return verifySignatureAndClaims(token, ctx.now).then((result) => {
      if (!('attestation' in result)) {
        if ('undecided' in result) return undecidedAfterChecks(ctx, result.verified, token, result.undecided);
        return result.outcome === 'deny' ? { ...result, cache: 'miss' } : result;
      }
      ctx.memo.set(MEMO_VERIFIED, result);
      return afterVerification(ctx, result, token, 'miss');
    });
  }

  return {
    name: TOKEN_VERIFIER,
    stage: 'headers',
    mode: options.mode,
    failOpen: options.failOpen,
    timeoutMs: keys.remote ? options.jwksTimeoutMs + 1_000 : undefined,
    // `token: false` on a route skips the token check there, and only it (`false` for the whole route would turn
    // off the credential, device and payload checks too).
    appliesTo: (route) => route.token !== false,
    sensitiveHeaders: (route) => {
      const binding = bindingFor(route);
      return binding ? [options.header, ...binding.headers] : [options.header];
    },
    verify: options.genericErrors ? (ctx) => generic(verify(ctx)) : verify,
  };
}

/** Joins the values of a multi-header binding; a line feed can never occur inside an HTTP header value. */
const BINDING_SEPARATOR = '\n';

/**
 * The material a binding hashes. One header (Approov's `pay`): its value as sent, exactly as Approov defines it.
 * Several headers: every one must be present and non-empty, and the values are joined with a line feed, so
 * `("Bearer alice", "sess-42")` and `("Bearer alicesess-42", none)` can never hash alike. A value that is not a
 * string (or strings), or with several headers holds a line feed or carriage return (impossible over HTTP, possible
 * from a hand-built request), never matches.
 */
function bindingInput(request: ShieldRequest, headers: readonly string[]): string | VerifierOutcome {
  if (headers.length === 1) {
    const value = bindingHeaderValue(request, headers[0] as string);
    if (value === null) return deny('token_binding_mismatch', 'binding header malformed');
    return value === undefined || value.length === 0 ? deny('token_binding_mismatch', 'binding header absent') : value;
  }
  let input = '';
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i] as string;
    const value = bindingHeaderValue(request, name);
    if (value === undefined || value === '') return deny('token_binding_mismatch', `binding header "${name}" absent`);
    if (value === null || value.includes('\n') || value.includes('\r')) return deny('token_binding_mismatch', `binding header "${name}" malformed`);
    input = i === 0 ? value : input + BINDING_SEPARATOR + value;
  }
  return input;
}

function classifyJoseError(error: unknown, remote: boolean): VerifierOutcome {
  if (error instanceof joseErrors.JWTExpired) return deny('token_expired', 'token expired');
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && INVALID_CODES.has(code)) {
    const claim = (error as { claim?: unknown }).claim;
    return deny('token_invalid', typeof claim === 'string' ? `claim "${claim}" check failed` : code);
  }
  // Key fetch failures, timeouts and anything unexpected: with remote keys we could not decide (fail closed via
  // the core's error path); with local keys the token itself was malformed in a way jose reports differently.
  if (remote) throw error instanceof Error ? error : new Error('key source failed');
  return deny('token_invalid', typeof code === 'string' ? code : 'unverifiable token');
}

/** Where single-use `jti` records go: the given store, a MemoryStore of their own when sized, else the shield's. */
function replayStoreOf(replay: ResolvedTokenOptions['replay'], shared: Store): Store {
  if (typeof replay !== 'object') return shared;
  if (replay.store) return replay.store;
  return replay.maxEntries === undefined ? shared : new MemoryStore({ maxEntries: replay.maxEntries });
}
