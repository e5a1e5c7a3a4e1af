/**
 * The platform side of attestation, supplied by the app: thin wrappers around the native Play Integrity and App
 * Attest calls (a React Native module, a Kotlin/Swift bridge, or a simulator in tests).
 */

/** Android: Play Integrity. */
export interface PlayIntegrityAttester {
  readonly platform: 'android';
  /**
   * Asks Play Integrity for a token whose request hash (standard request) or nonce (classic request) is
   * `requestHash`, and resolves the integrity token. The client computes it: the unpadded base64url SHA-256 of the
   * request's client data (the service's challenge with the installation id, binding and pin-set version), so
   * Google's signature covers every field the issued token carries.
   */
  requestIntegrityToken(requestHash: string): Promise<string>;
  /** A stable id the app generated for this installation; becomes the token's `sub` (not attested). */
  installationId?: string;
}

/** Where the App Attest key id is kept between launches (Keychain / secure storage). */
export interface AppAttestKeyStorage {
  /** The stored key id; `undefined`, `null` or `''` when none is stored (as Expo SecureStore and AsyncStorage answer). */
  get(): Promise<string | null | undefined> | string | null | undefined;
  /**
   * Stores a registered key id. Without `remove`, also forgets it (`undefined`) when the service no longer knows it;
   * a `set` that refuses undefined (throws or rejects, as some AsyncStorage and keychain wrappers do) is fine: see
   * `remove`.
   */
  set(keyId: string | undefined): Promise<void> | void;
  /**
   * Forgets the stored key id (`AsyncStorage.removeItem`, `SecureStore.deleteItemAsync`) when the service no longer
   * knows it; when present, `set` is never handed undefined. Forgetting is best effort: when it fails (or `set`
   * refuses undefined) the client goes on registering a new key, whose `set` replaces the lost one. Only if that
   * registration fails too does a later lookup read the lost id back, which costs one refused token request before
   * the next registration.
   */
  remove?(): Promise<void> | void;
}

/** iOS: App Attest (`DCAppAttestService`). Binary results are base64. */
export interface AppAttestAttester {
  readonly platform: 'ios';
  /** `generateKey()`: a new key id (base64). */
  generateKey(): Promise<string>;
  /** `attestKey(keyId, clientDataHash)`: the attestation object (base64). */
  attestKey(keyId: string, clientDataHash: Uint8Array): Promise<string>;
  /** `generateAssertion(keyId, clientDataHash)`: the assertion (base64). */
  generateAssertion(keyId: string, clientDataHash: Uint8Array): Promise<string>;
  /** Keeps the registered key id; without it the key is registered once per client object. */
  keyStorage?: AppAttestKeyStorage;
}

/** The platform attester the app supplies. */
export type PlatformAttester = PlayIntegrityAttester | AppAttestAttester;
