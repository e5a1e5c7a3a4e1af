import type { KeyObject, X509Certificate } from 'node:crypto';
import { createExpiringCache } from '../../core/expiring-cache.js';
import type { Store } from '../../stores/store.js';
import { verifyAppAssertion, toPublicKey } from './assertion.js';
import { verifyAppAttestation, type VerifiedAppAttestation } from './attestation.js';
import { toBytes } from './bytes.js';
import type { AppAttestEnvironment } from './environment.js';
import { AppAttestError } from './errors.js';
import type { AppAttestExtensions } from './extensions.js';
import { refreshAppAttestRisk, type AppAttestRiskRefresh, type DeviceCheckCredentials } from './fraud-risk.js';
import type { MacAccessControl } from './mac-access-control.js';
import { judgementTime } from '../time.js';

/** Options of {@link createAppAttestRegistry}. */
export interface AppAttestRegistryOptions {
  store: Store;
  teamId: string;
  bundleId: string;
  environment: AppAttestEnvironment;
  /** Store key prefix. Default `appattest:`. */
  keyPrefix?: string;
  /** How long a registered key (and its counter) is kept. Default 400 days; re-attest before it lapses. */
  keyTtlMs?: number;
  /** How long a key read from the store is reused in-process, saving a store read and a key import. Default 60 s. */
  keyCacheTtlMs?: number;
  /** Maximum cached keys. Default 10 000. */
  keyCacheSize?: number;
  /** Trust anchor overriding Apple's root (tests, private CAs). */
  trustAnchor?: X509Certificate | string;
  /**
   * Receipt handling at registration: verified (PKCS#7 chain to Apple Root CA - G3; App ID, key and client data
   * hash) and stored with the key, for the fraud-risk exchange. Default: verified with Apple's anchors; with an
   * overridden `trustAnchor`, only when `receipt.trustAnchor` is given too (synthetic chains carry no real receipt).
   */
  receipt?: { verify?: boolean; trustAnchor?: X509Certificate | string; maxAgeMs?: number };
}

/** What the registry stores per key (JSON). */
export interface StoredAppAttestKey {
  /** Format version. */
  v: 1;
  /** Base64 DER SubjectPublicKeyInfo. */
  spki: string;
  /** `TEAMID.bundleId` the key was attested for. */
  appId: string;
  environment: AppAttestEnvironment;
  /** Epoch ms of registration. */
  registeredAt: number;
  /** The macOS access-control extension of the attestation, when there was one. */
  macAccessControl?: MacAccessControl;
}

/** The receipt stored with a key (kept apart from the key record, which every assertion reads). */
export interface StoredAppAttestReceipt {
  /** Base64 PKCS#7. */
  receipt: string;
  type: 'ATTEST' | 'RECEIPT';
  createdAt: number;
  expiresAt: number;
  notBefore?: number;
  riskMetric?: number;
}

/** Input to {@link AppAttestRegistry.register}. */
export interface AppAttestRegistrationInput {
  attestationObject: Uint8Array | string;
  /** The one-time challenge the server issued and the app hashed (or `clientDataHash`). */
  challenge?: Uint8Array | string;
  clientDataHash?: Uint8Array | string;
  keyId: Uint8Array | string;
  /** When to judge the attestation and stamp the record (epoch ms or Date); default now. A non-finite time throws a TypeError. */
  now?: number | Date;
}

/** Input to {@link AppAttestRegistry.verifyAssertion}. */
export interface AppAttestAssertionCheck {
  keyId: Uint8Array | string;
  assertion: Uint8Array | string;
  clientData?: Uint8Array | string;
  clientDataHash?: Uint8Array | string;
  /** Further accepted client data hashes (see `AppAssertionInput.alternativeClientDataHashes`). */
  alternativeClientDataHashes?: readonly Uint8Array[];
}

/** Registered App Attest keys in a {@link Store}, and the per-request assertion check against them. */
export interface AppAttestRegistry {
  /**
   * Verifies an attestation and stores the key with counter 0. Fails with `key_already_registered` when the key id
   * is already known (a key is attested exactly once).
   */
  register(input: AppAttestRegistrationInput): Promise<VerifiedAppAttestation>;
  /**
   * Verifies an assertion with the stored key and atomically raises the stored counter: of two concurrent requests
   * carrying the same counter exactly one passes (`counter_not_increasing` for the other). `unknown_key` when the
   * key id was never registered. Store errors reject (fail closed).
   */
  verifyAssertion(
    input: AppAttestAssertionCheck,
  ): Promise<{ keyId: string; counter: number; key: StoredAppAttestKey; extensions?: AppAttestExtensions }>;
  /** The receipt stored for a key, if any. */
  receipt(keyId: Uint8Array | string): Promise<StoredAppAttestReceipt | undefined>;
  /**
   * Exchanges the key's stored receipt with Apple (see `refreshAppAttestRisk`; `fetch` is injected) and stores the
   * verified new one in its place. `not_modified` when Apple says it is too early.
   */
  refreshRisk(
    keyId: Uint8Array | string,
    options: { credentials: DeviceCheckCredentials; fetch?: typeof fetch; url?: string; timeoutMs?: number; now?: number },
  ): Promise<AppAttestRiskRefresh>;
  /**
   * Revokes a key (e.g. a device reported lost). The stored counter becomes a tombstone: it is raised above any
   * counter a device can sign, atomically, so every instance refuses the key on its next assertion (`key_revoked`)
   * even while it still holds the key in its cache. The record stays, so the key cannot be registered again.
   */
  revoke(keyId: Uint8Array | string): Promise<void>;
}

/** Assertion counters are 32-bit: a stored counter above that is a revocation tombstone. */
const REVOKED_COUNTER = 2 ** 32;

interface CachedKey {
  record: StoredAppAttestKey;
  publicKey: KeyObject;
}

const DAY_MS = 86_400_000;

/** Creates a store-backed registry for one app (team + bundle + environment). */
export function createAppAttestRegistry(options: AppAttestRegistryOptions): AppAttestRegistry {
  const { store, teamId, bundleId, environment } = options;
  const prefix = options.keyPrefix ?? 'appattest:';
  const keyTtlMs = options.keyTtlMs ?? 400 * DAY_MS;
  const cache = createExpiringCache<string, CachedKey>({ max: options.keyCacheSize ?? 10_000, ttl: options.keyCacheTtlMs ?? 60_000 });
  const recordKey = (id: string): string => `${prefix}key:${id}`;
  const receiptKey = (id: string): string => `${prefix}rcpt:${id}`;
  const receiptOptions = options.receipt ?? {};
  const verifyReceipt = receiptOptions.verify ?? (options.trustAnchor === undefined || receiptOptions.trustAnchor !== undefined);

  async function storedReceipt(keyIdInput: Uint8Array | string): Promise<StoredAppAttestReceipt | undefined> {
    const raw = await store.get(receiptKey(normaliseKeyId(keyIdInput)));
    return raw === undefined ? undefined : (JSON.parse(raw) as StoredAppAttestReceipt);
  }

  /** Replaces the stored receipt (a refresh race simply keeps one of two equally fresh receipts). */
  async function storeReceipt(keyId: string, value: StoredAppAttestReceipt): Promise<void> {
    await store.delete(receiptKey(keyId));
    await store.setIfAbsent(receiptKey(keyId), JSON.stringify(value), keyTtlMs);
  }
  const counterKey = (id: string): string => `${prefix}ctr:${id}`;

  /**
   * Raises a registered key's counter; undefined when the store no longer holds it. A registered key always has one
   * (register writes 0, revoke a tombstone): one the store lost (expired, or evicted from a bounded MemoryStore by a
   * flood of other keys) must not start over, which would accept old assertions and a revoked key again. A store
   * without `raiseIfPresent` is read first, which leaves the moment between the read and the raise open.
   */
  async function raiseCounter(key: string, counter: number): Promise<boolean | undefined> {
    if (store.raiseIfPresent) return store.raiseIfPresent(key, counter, keyTtlMs);
    if ((await store.get(key)) == null) return undefined; // null too: a store of another contract must not fail open
    return store.setIfGreater(key, counter, keyTtlMs);
  }

  async function loadKey(keyId: string): Promise<CachedKey> {
    const cached = cache.get(keyId);
    if (cached !== undefined) return cached;
    const raw = await store.get(recordKey(keyId));
    if (raw === undefined) throw new AppAttestError('unknown_key');
    let record: StoredAppAttestKey;
    try {
      record = JSON.parse(raw) as StoredAppAttestKey;
    } catch {
      // A corrupt record is our problem, not the client's: fail closed as "cannot decide".
      throw new Error('App Attest key record is corrupt');
    }
    // Registries of both environments may share a store (and the default prefix): a key attested against the
    // development aaguid must not pass as a production device (the App ID, and so the rpIdHash, is the same).
    if (record.environment !== environment) throw new AppAttestError('environment_mismatch', `the key was attested in ${String(record.environment)}`);
    const entry = { record, publicKey: toPublicKey(record.spki) };
    cache.set(keyId, entry);
    return entry;
  }

  return {
    async register(input) {
      // One time for the checks and the record; a non-finite one throws (TypeError) before anything is stored.
      const now = judgementTime(input.now, 'register');
      const verified = verifyAppAttestation({
        ...input,
        now,
        teamId,
        bundleId,
        environment,
        trustAnchor: options.trustAnchor,
        verifyReceipt,
        ...(receiptOptions.trustAnchor !== undefined ? { receiptTrustAnchor: receiptOptions.trustAnchor } : {}),
        ...(receiptOptions.maxAgeMs !== undefined ? { receiptMaxAgeMs: receiptOptions.maxAgeMs } : {}),
      });
      const record: StoredAppAttestKey = {
        v: 1,
        spki: verified.publicKeySpki,
        appId: verified.appId,
        environment,
        registeredAt: now,
        ...(verified.macAccessControl ? { macAccessControl: verified.macAccessControl } : {}),
      };
      const stored = await store.setIfAbsent(recordKey(verified.keyId), JSON.stringify(record), keyTtlMs);
      if (!stored) throw new AppAttestError('key_already_registered');
      await store.setIfGreater(counterKey(verified.keyId), 0, keyTtlMs);
      const r = verified.verifiedReceipt;
      if (r) await storeReceipt(verified.keyId, { receipt: r.receipt, type: r.type, createdAt: r.createdAt, expiresAt: r.expiresAt });
      return verified;
    },

    async verifyAssertion(input) {
      const keyId = normaliseKeyId(input.keyId);
      const { record, publicKey } = await loadKey(keyId);
      const { counter, extensions } = verifyAppAssertion({
        assertion: input.assertion,
        clientData: input.clientData,
        clientDataHash: input.clientDataHash,
        ...(input.alternativeClientDataHashes ? { alternativeClientDataHashes: input.alternativeClientDataHashes } : {}),
        publicKey,
        teamId,
        bundleId,
        registeredAppId: record.appId,
      });
      // Only a verified assertion may move the counter, and only the atomic store decides who wins a race.
      const raised = await raiseCounter(counterKey(keyId), counter);
      if (raised === undefined) throw new AppAttestError('unknown_key', 'the key\'s counter is no longer stored: re-attest');
      if (!raised) {
        // Only the losing path pays for telling a revoked key from a replay.
        const stored = Number(await store.get(counterKey(keyId)));
        throw new AppAttestError(stored >= REVOKED_COUNTER ? 'key_revoked' : 'counter_not_increasing');
      }
      return { keyId, counter, key: record, ...(extensions ? { extensions } : {}) };
    },

    receipt: storedReceipt,

    async refreshRisk(keyIdInput, refresh) {
      const keyId = normaliseKeyId(keyIdInput);
      const { record, publicKey } = await loadKey(keyId);
      // A revoked (or forgotten) key is refused here too: no exchange with Apple, no receipt stored as current.
      const counter = await store.get(counterKey(keyId));
      if (counter === undefined) throw new AppAttestError('unknown_key', 'the key\'s counter is no longer stored: re-attest');
      if (Number(counter) >= REVOKED_COUNTER) throw new AppAttestError('key_revoked');
      const current = await storedReceipt(keyId);
      if (current === undefined) throw new AppAttestError('receipt_invalid', 'no receipt stored for this key');
      const result = await refreshAppAttestRisk({
        ...refresh,
        receipt: current.receipt,
        environment,
        appId: record.appId,
        publicKey,
        ...(receiptOptions.trustAnchor !== undefined ? { trustAnchor: receiptOptions.trustAnchor } : {}),
      });
      if (result.status === 'refreshed') {
        const r = result.receipt;
        await storeReceipt(keyId, {
          receipt: r.receipt,
          type: r.type,
          createdAt: r.createdAt,
          expiresAt: r.expiresAt,
          ...(r.notBefore !== undefined ? { notBefore: r.notBefore } : {}),
          ...(r.riskMetric !== undefined ? { riskMetric: r.riskMetric } : {}),
        });
      }
      return result;
    },

    async revoke(keyIdInput) {
      const keyId = normaliseKeyId(keyIdInput);
      cache.delete(keyId);
      // Deleting the counter would let an instance that still caches the key accept the very first assertion again.
      await store.setIfGreater(counterKey(keyId), REVOKED_COUNTER, keyTtlMs);
    },
  };
}

/** Key ids are stored as standard base64 of the 32-byte hash, whatever encoding the app sent. */
function normaliseKeyId(keyId: Uint8Array | string): string {
  const bytes = toBytes(keyId);
  if (bytes.length !== 32) throw new AppAttestError('malformed', 'key id must be 32 bytes');
  return Buffer.from(bytes).toString('base64');
}
