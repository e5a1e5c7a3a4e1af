import { decodeCborSequence } from './cbor.js';
import { AppAttestError } from './errors.js';

/**
 * How the app binary was distributed, as iOS 27+ reports it in every attestation and assertion
 * (`apple_validation_category_01`). Unknown numbers are kept as `unknown:<n>` so future categories still parse.
 */
export type AppAttestValidationCategory =
  | 'invalid'
  | 'operating-system'
  | 'testflight'
  | 'development'
  | 'app-store'
  | 'enterprise'
  | 'developer-id'
  | 'uncategorized'
  | `unknown:${number}`;

/** Apple's authenticator-data extensions. */
export interface AppAttestExtensions {
  readonly validationCategory?: AppAttestValidationCategory;
  /** The distributed app's version (`apple_bundle_version_01`). */
  readonly bundleVersion?: string;
}

/** The channels a shipped app comes through. */
const STORE_CATEGORIES: ReadonlySet<string> = new Set(['app-store', 'testflight']);

/**
 * True when a build came through a channel a shipped app does not: neither the App Store nor TestFlight, nor a
 * development build on a development key. The one rule behind the device policy's `unexpectedDistribution` and the
 * attestation service's refusal of the same evidence. An unreported category (before iOS 27) is not unexpected.
 */
export function isUnexpectedDistribution(category: string | undefined, environment: string): boolean {
  return category !== undefined && !STORE_CATEGORIES.has(category) && !(category === 'development' && environment === 'development');
}

const CATEGORIES: Readonly<Record<number, AppAttestValidationCategory>> = {
  0: 'invalid',
  1: 'operating-system',
  2: 'testflight',
  3: 'development',
  4: 'app-store',
  5: 'enterprise',
  6: 'developer-id',
  10: 'uncategorized',
};

/** Authenticator data carry at most a COSE key and the extension map after the fixed part. */
const MAX_TRAILING_ITEMS = 2;

/**
 * Reads the extension map that ends authenticator data when the ED flag (0x80) is set. `trailing` is what follows
 * the fixed part and the attested credential data; when that credential data is present, its COSE key comes first.
 * Apple documents long key names for attestations and short ones for assertions; both are accepted.
 */
export function readExtensions(trailing: Uint8Array, hasCoseKey: boolean): AppAttestExtensions {
  let items: unknown[];
  try {
    items = decodeCborSequence(trailing, MAX_TRAILING_ITEMS + 1);
  } catch {
    throw new AppAttestError('malformed', 'authenticator data extensions are not CBOR');
  }
  if (items.length > MAX_TRAILING_ITEMS || items.length !== (hasCoseKey ? 2 : 1)) {
    throw new AppAttestError('malformed', 'authenticator data extensions missing or followed by other data');
  }
  const map = items.at(-1);
  const get = (long: string, short: string): unknown => {
    if (map instanceof Map) return map.get(long) ?? map.get(short);
    if (typeof map === 'object' && map !== null) {
      const record = map as Record<string, unknown>;
      return Object.hasOwn(record, long) ? record[long] : Object.hasOwn(record, short) ? record[short] : undefined;
    }
    throw new AppAttestError('malformed', 'authenticator data extensions are not a map');
  };
  const category = get('apple_validation_category_01', 'validationCategory');
  const version = get('apple_bundle_version_01', 'bundleVersion');
  const out: { validationCategory?: AppAttestValidationCategory; bundleVersion?: string } = {};
  if (typeof category === 'number' && Number.isInteger(category) && category >= 0 && category < 2 ** 32) {
    out.validationCategory = CATEGORIES[category] ?? `unknown:${category}`;
  }
  if (typeof version === 'string' && version.length > 0 && version.length <= 64) out.bundleVersion = version;
  return out;
}
