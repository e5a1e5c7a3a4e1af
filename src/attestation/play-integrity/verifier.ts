import { createHash, createPublicKey, createSecretKey, webcrypto } from 'node:crypto';
import { compactDecrypt, compactVerify, errors as joseErrors } from 'jose';
import type { Store } from '../../stores/store.js';
import {
  checkRequestDetails,
  checkVerdict,
  normaliseDigest,
  type PlayIntegrityRequirements,
} from './checks.js';
import { PlayIntegrityError } from './errors.js';
import type { DeviceLevel, PlayIntegrityPayload } from './payload.js';
import { judgementTime } from '../time.js';
import { checkPlayIntegrityOptionRanges } from './option-ranges.js';

/**
 * Decodes a token through Google's `decodeIntegrityToken` endpoint (standard requests with Google-managed keys) and
 * resolves its `tokenPayloadExternal`. Injected so the library never owns Google credentials and tests never reach
 * the network. Only tokens of the compact JWE shape reach it (others are `malformed_token` before any call).
 * Rejecting says one of two things:
 * - "this token is invalid": a {@link PlayIntegrityError}, or an error whose `status` or `code` is an HTTP 4xx
 *   (Google answers 400 for a token it cannot decode; its client libraries set `status`/`code`), except 408 and 429.
 *   The proof fails `decode_failed` (the request is judged without it; never passed by `failOpen`).
 * - "cannot decide": anything else (transport error, 5xx, 408, 429). The shield fails closed, or passes with `failOpen`.
 */
export type PlayIntegrityDecoder = (token: string) => Promise<unknown>;

/** Options of {@link createPlayIntegrityVerifier}. */
export interface PlayIntegrityOptions {
  /** The app's package name; `requestPackageName` and `appIntegrity.packageName` must equal it. */
  packageName: string;
  /** Base64 AES-256 response-encryption key from the Play Console (local decryption). */
  decryptionKey?: string;
  /** Base64 DER (SubjectPublicKeyInfo) EC P-256 response-verification key from the Play Console. */
  verificationKey?: string;
  /** Used instead of local decryption when no keys are configured; see {@link PlayIntegrityDecoder} for its rejections. */
  decoder?: PlayIntegrityDecoder;
  /** Allowed signing-certificate SHA-256 digests (base64url as Google reports them, or hex). */
  certificateDigests?: readonly string[];
  /** Minimum `appIntegrity.versionCode`; a verdict without one (an `UNEVALUATED` app) is refused `version_too_old`. */
  minVersionCode?: number;
  /** Maximum age of `timestampMillis`. Default 120 000 ms. */
  maxAgeMs?: number;
  /** Tolerated clock difference for timestamps in the future. Default 30 000 ms. */
  clockSkewMs?: number;
  /** Verdict requirements; see {@link PlayIntegrityRequirements} for defaults. */
  requirements?: PlayIntegrityRequirements;
  /** When set, each token is accepted once (its SHA-256 kept for maxAge + skew). */
  replay?: { store: Store; keyPrefix?: string };
  /**
   * Accept Google's test verdicts (`testingDetails.isTestingResponse`), which license testers and internal test
   * tracks receive whatever the device. Default false: they are refused with `test_response`.
   */
  allowTestResponses?: boolean;
  /** Largest token accepted, in characters. Default 16 384. */
  maxTokenLength?: number;
}

/** What the request must bind the token to. */
export interface PlayIntegrityBinding {
  /** Expected `requestDetails.nonce` (classic requests), or several acceptable ones. */
  nonce?: string | readonly string[];
  /** Expected `requestDetails.requestHash` (standard requests), or several acceptable ones. */
  requestHash?: string | readonly string[];
  /** Epoch ms to judge freshness against; default now. A non-finite time throws a TypeError (cannot decide). */
  now?: number;
}

/** A verified verdict. */
export interface VerifiedPlayIntegrity {
  readonly payload: PlayIntegrityPayload;
  /** Device levels, lower levels implied by higher ones. */
  readonly levels: DeviceLevel[];
  /** `requestDetails.timestampMillis`. */
  readonly issuedAt: number;
  /** How the token was opened. */
  readonly via: 'local' | 'decoder';
}

/** A Play Integrity verifier with its keys imported once. */
export interface PlayIntegrityVerifier {
  /** Resolves once the keys are imported (verify awaits it too; call it to surface bad keys at startup). */
  ready(): Promise<void>;
  /**
   * Verifies `token`; rejects with {@link PlayIntegrityError} for a bad verdict, another error when undecidable (a
   * TypeError for a `binding.now` that is not a finite time).
   */
  verify(token: string, binding: PlayIntegrityBinding): Promise<VerifiedPlayIntegrity>;
}

type WebCryptoKey = webcrypto.CryptoKey;

const DECRYPT_OPTIONS = { keyManagementAlgorithms: ['A256KW'], contentEncryptionAlgorithms: ['A256GCM'] };
const VERIFY_OPTIONS = { algorithms: ['ES256'] };
/** A compact JWE: five base64url segments (dots between); anything else is rejected before any crypto or decoder. */
const COMPACT_TOKEN = /^[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){4}$/;

/**
 * Creates a Play Integrity verifier. Keys are validated synchronously (a wrong key length or curve throws here) and
 * imported as WebCrypto keys once; each token is then decrypted (JWE A256KW + A256GCM), its inner JWS (ES256)
 * verified, and the payload checked: requestDetails first, then the verdicts.
 */
export function createPlayIntegrityVerifier(options: PlayIntegrityOptions): PlayIntegrityVerifier {
  // Before the defaults: a NaN or unknown value would switch its check off rather than fall back to the default.
  checkPlayIntegrityOptionRanges(options);
  const maxAgeMs = options.maxAgeMs ?? 120_000;
  const clockSkewMs = options.clockSkewMs ?? 30_000;
  const maxTokenLength = options.maxTokenLength ?? 16_384;
  const requirements = options.requirements ?? {};
  const app = {
    packageName: options.packageName,
    certificateDigests: options.certificateDigests ? new Set(options.certificateDigests.map(normaliseDigest)) : undefined,
    minVersionCode: options.minVersionCode,
  };
  const keys = importKeys(options);
  if (keys === undefined && options.decoder === undefined) {
    throw new TypeError('Play Integrity needs decryptionKey + verificationKey, or a decoder');
  }
  // Surface import failures on verify, but do not leave an unhandled rejection behind meanwhile.
  keys?.catch(() => undefined);

  /**
   * The verdict, and the bytes that identify the token for replay: the signed JWS inside the encryption (local keys;
   * Google's ECDSA signature makes it unique per token, and the encryption authenticates it), or the token's segments
   * decoded (a decoder). Never the token's text: base64url's unused trailing bits let one token be written many
   * ways, each decrypting to the same verdict. Nor the verdict alone: two devices' verdicts for the same request
   * made in the same millisecond are byte for byte the same, and the second device is no replay.
   */
  async function open(token: string): Promise<{ payload: unknown; via: 'local' | 'decoder'; identity: Uint8Array }> {
    // Before the decoder too: a client's garbage must be refused here, not become the decoder's "cannot decide".
    if (token.length > maxTokenLength || !COMPACT_TOKEN.test(token)) {
      throw new PlayIntegrityError('malformed_token');
    }
    if (keys === undefined) return { payload: await decode(options.decoder!, token), via: 'decoder', identity: decodedSegments(token) };
    const { aes, ec } = await keys;
    let jws: Uint8Array;
    try {
      ({ plaintext: jws } = await compactDecrypt(token, aes, DECRYPT_OPTIONS));
    } catch (error) {
      throw classifyJoseError(error, 'decrypt_failed');
    }
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(jws, ec, VERIFY_OPTIONS));
    } catch (error) {
      throw classifyJoseError(error, 'bad_signature');
    }
    try {
      return { payload: JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('utf8')), via: 'local', identity: jws };
    } catch {
      throw new PlayIntegrityError('malformed_payload');
    }
  }

  return {
    async ready() {
      await keys;
    },
    async verify(token, binding) {
      // Refused before any decoding (or decoder call): a given time that cannot judge freshness decides nothing. The
      // clock itself is read after decoding, so a slow decoder does not make the verdict look younger.
      const givenNow = binding.now === undefined ? undefined : judgementTime(binding.now, 'Play Integrity verify');
      if (typeof token !== 'string' || token.length === 0) throw new PlayIntegrityError('malformed_token');
      const { payload, via, identity } = await open(token);
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
        throw new PlayIntegrityError('malformed_payload');
      }
      const verdict = payload as PlayIntegrityPayload;
      const now = givenNow ?? Date.now();
      const issuedAt = checkRequestDetails(verdict, {
        packageName: options.packageName,
        nonce: binding.nonce,
        requestHash: binding.requestHash,
        now,
        maxAgeMs,
        clockSkewMs,
      });
      // A test verdict is static text chosen in the Play Console, not an evaluation of this device.
      const testing = (verdict.testingDetails as { isTestingResponse?: unknown } | undefined)?.isTestingResponse;
      if (testing !== undefined && testing !== false && options.allowTestResponses !== true) {
        throw new PlayIntegrityError('test_response');
      }
      const levels = checkVerdict(verdict, app, requirements);
      if (options.replay) {
        // Keyed by the token's content, not its spelling (see `open`).
        const id = createHash('sha256').update(identity).digest('base64url');
        const first = await options.replay.store.setIfAbsent(
          `${options.replay.keyPrefix ?? 'pi:seen:'}${id}`,
          '1',
          maxAgeMs + clockSkewMs,
        );
        if (!first) throw new PlayIntegrityError('replayed');
      }
      return { payload: verdict, levels, issuedAt, via };
    },
  };
}

/** Runs the decoder; a rejection that says "invalid token" (see {@link PlayIntegrityDecoder}) is a verdict. */
async function decode(decoder: PlayIntegrityDecoder, token: string): Promise<unknown> {
  try {
    return await decoder(token);
  } catch (error) {
    if (error instanceof PlayIntegrityError) throw error;
    const { status, code } = (typeof error === 'object' && error !== null ? error : {}) as { status?: unknown; code?: unknown };
    if (isTokenRejection(status) || isTokenRejection(code)) throw new PlayIntegrityError('decode_failed');
    throw error;
  }
}

/** An HTTP 4xx about the request itself; 408 and 429 say "try later", not "this token". */
function isTokenRejection(status: unknown): boolean {
  const n = typeof status === 'string' && /^\d{3}$/.test(status) ? Number(status) : status;
  return typeof n === 'number' && n >= 400 && n <= 499 && n !== 408 && n !== 429;
}

/**
 * A token as its bytes: each dot-separated segment base64url-decoded, prefixed by its length, so every spelling of
 * the same segments (trailing bits, which the decoder ignores) gives the same bytes.
 */
function decodedSegments(token: string): Uint8Array {
  const parts: Buffer[] = [];
  for (const segment of token.split('.')) {
    const bytes = Buffer.from(segment, 'base64url');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  }
  return Buffer.concat(parts);
}

/** One-shot convenience: builds a verifier (importing keys) and verifies one token. Prefer the factory per app. */
export async function verifyPlayIntegrityToken(
  token: string,
  options: PlayIntegrityOptions & PlayIntegrityBinding,
): Promise<VerifiedPlayIntegrity> {
  return createPlayIntegrityVerifier(options).verify(token, options);
}

function importKeys(options: PlayIntegrityOptions): Promise<{ aes: WebCryptoKey; ec: WebCryptoKey }> | undefined {
  if (options.decryptionKey === undefined && options.verificationKey === undefined) return undefined;
  if (options.decryptionKey === undefined || options.verificationKey === undefined) {
    throw new TypeError('Play Integrity needs both decryptionKey and verificationKey');
  }
  const aesBytes = Buffer.from(options.decryptionKey, 'base64');
  // Validate synchronously so a misconfiguration fails at startup, not on the first request.
  if (createSecretKey(aesBytes).symmetricKeySize !== 32) {
    throw new TypeError('Play Integrity decryptionKey must be a base64 AES-256 key (32 bytes)');
  }
  const ecDer = Buffer.from(options.verificationKey, 'base64');
  let curve: string | undefined;
  try {
    curve = createPublicKey({ key: ecDer, format: 'der', type: 'spki' }).asymmetricKeyDetails?.namedCurve;
  } catch {
    throw new TypeError('Play Integrity verificationKey must be base64 DER SubjectPublicKeyInfo');
  }
  if (curve !== 'prime256v1') throw new TypeError('Play Integrity verificationKey must be an EC P-256 key');
  const subtle = webcrypto.subtle;
  return Promise.all([
    subtle.importKey('raw', aesBytes, 'AES-KW', false, ['unwrapKey']),
    subtle.importKey('spki', ecDer, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']),
  ]).then(([aes, ec]) => ({ aes: aes, ec }));
}

/** jose errors are verdicts about the token; anything else (a bug, a platform failure) propagates. */
function classifyJoseError(error: unknown, reason: 'decrypt_failed' | 'bad_signature'): Error {
  if (error instanceof joseErrors.JOSEError) {
    if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWEDecryptionFailed) {
      return new PlayIntegrityError(reason);
    }
    return new PlayIntegrityError(reason === 'decrypt_failed' ? 'decrypt_failed' : 'bad_signature', error.code);
  }
  if (error instanceof TypeError || error instanceof SyntaxError) return new PlayIntegrityError('malformed_token');
  return error instanceof Error ? error : new Error('Play Integrity verification failed');
}
