/**
 * The signed pin set's payload and its schema. Shared by the server (publisher, CLI) and the runtime-agnostic
 * client (`mobile-api-shield/client`): this file must import nothing from `node:`.
 */
import * as z from 'zod/mini';

/** A base64 SHA-256 (exactly 32 bytes: 43 characters and one `=`). */
export const PIN_PATTERN = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
/** A DNS host name (lower case, no trailing dot, labels of 1-63), the form hosts are keyed by in a pin set. */
export const HOST_PATTERN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** A calendar date `yyyy-MM-dd`, the form OkHttp-free pinning libraries (NSC, TrustKit, RN) take for expirations. */
export const DATE_PATTERN = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$/;

/** The pins of one host in a signed pin set. */
export interface PinSetHost {
  /** base64 SHA-256 SPKI pins of keys in the current chain. */
  readonly pins: readonly string[];
  /** Pins of keys not yet in use (the next certificate's key, an offline backup key). */
  readonly backupPins: readonly string[];
  /** Pin the host's subdomains too. */
  readonly includeSubdomains: boolean;
  /** `false` is the emergency switch: the client reports mismatches but does not block. */
  readonly enforce: boolean;
  /** `yyyy-MM-dd` after which the client stops enforcing this host's pins (never-brick). */
  readonly expiresAt?: string;
}

/** What a signed pin set asserts. Times are epoch seconds. */
export interface PinSetPayload {
  /** Monotonic: a client never accepts a version lower than the last one it accepted (no rollback). */
  readonly version: number;
  readonly issuedAt: number;
  /** After this the client should fetch a newer set, but keeps using this one meanwhile. */
  readonly softExpiry: number;
  /** After this the set is refused: pins from a set this old are not enforced at all. */
  readonly hardExpiry: number;
  readonly hosts: Readonly<Record<string, PinSetHost>>;
}

/**
 * Schema of one host's pins inside a pin set. Unknown fields are dropped, not refused: a field a newer server adds
 * must not make older apps refuse every new pin set.
 */
export const pinSetHostSchema = z
  .object({
    pins: z.array(z.string().check(z.regex(PIN_PATTERN, 'must be a base64 SHA-256 pin'))).check(z.maxLength(32)),
    backupPins: z._default(z.array(z.string().check(z.regex(PIN_PATTERN, 'must be a base64 SHA-256 pin'))).check(z.maxLength(32)), []),
    includeSubdomains: z._default(z.boolean(), false),
    enforce: z._default(z.boolean(), true),
    expiresAt: z.optional(z.string().check(z.regex(DATE_PATTERN, 'must be a yyyy-MM-dd date'))),
  });

const epochSeconds = z.number().check(z.int(), z.nonnegative(), z.maximum(253_402_300_799));

/** Schema of a pin set's payload, checked by the client after the signature verifies. */
export const pinSetPayloadSchema = z
  .object({
    version: z.number().check(z.int(), z.positive(), z.maximum(Number.MAX_SAFE_INTEGER)),
    issuedAt: epochSeconds,
    softExpiry: epochSeconds,
    hardExpiry: epochSeconds,
    hosts: z.record(z.string().check(z.regex(HOST_PATTERN, 'must be a lower-case host name')), pinSetHostSchema),
  }).check(z.refine((p) => p.softExpiry <= p.hardExpiry && p.issuedAt <= p.softExpiry, 'must have issuedAt ≤ softExpiry ≤ hardExpiry'));

/**
 * The longest compact JWS of a pin set, in characters: clients refuse a longer one unread (bounding what a fetched
 * body costs them), so signers refuse to make one. 80 hosts of 64 pins each is already over it.
 */
export const MAX_PINSET_JWS_LENGTH = 256 * 1024;

/**
 * The longest a pin set may live, in seconds from its signing time (`hardExpiry - issuedAt`): 31 536 000, 365 days,
 * the highest `hardExpirySeconds` the publisher accepts (its default is 30 days). Signers refuse to sign a longer
 * set, and `verifyPinSet` refuses it, and refuses a set signed more than its clock tolerance in the future: a set an
 * app accepts is enforced at most this long (plus that tolerance) after the app's own clock saw it, whoever signed
 * it. That bounds what a stolen signing key (say a retired one old builds still embed) can do with one forged set;
 * it does not stop that key from signing new ones while apps trust it.
 */
export const MAX_PINSET_LIFETIME_SECONDS = 31_536_000;

/** The JWS `typ` of a signed pin set, so a pin set can never pass as an attestation token or vice versa. */
export const PINSET_JWS_TYPE = 'pinset+jws';
