/**
 * Pin configurations in the forms the mobile pinning libraries take: OkHttp's `CertificatePinner`, Android's
 * Network Security Config, TrustKit, and react-native-ssl-public-key-pinning. Every form but `raw` is a pin
 * configuration a client enforces, so it is validated first and refused when unsafe.
 */
import { PinValidationError, toPinDate, validatePinConfig, type HostPinConfig, type PinFinding, type ValidatePinsOptions } from './validate-pins.js';

/** The output formats of `formatPins`. */
export const PIN_FORMATS = ['raw', 'okhttp', 'nsc', 'trustkit', 'rn'] as const;
/** One of `PIN_FORMATS`. */
export type PinFormat = (typeof PIN_FORMATS)[number];

/** Options of `formatPins`. */
export interface FormatPinsOptions extends ValidatePinsOptions {
  /** TrustKit `kTSKReportUris`: where the app posts pin-failure reports (this library's `/pinning/report`). */
  reportUris?: readonly string[];
}

/** A rendered configuration and the warnings validation raised. */
export interface FormattedPins {
  readonly text: string;
  readonly warnings: readonly PinFinding[];
}

/**
 * Renders the pins of one or more hosts in `format`. Throws `PinValidationError` for a configuration with errors
 * (e.g. an enforcing host with one pin; for `trustkit`, any host with one pin), except for `raw`, which only lists pins.
 */
export function formatPins(
  format: PinFormat,
  hosts: Readonly<Record<string, HostPinConfig>>,
  options: FormatPinsOptions = {},
): FormattedPins {
  if (format === 'raw') {
    const pins = new Set(Object.values(hosts).flatMap((h) => [...h.pins, ...(h.backupPins ?? [])]));
    return { text: `${[...pins].join('\n')}\n`, warnings: [] };
  }
  const { errors, warnings } = validatePinConfig(hosts, options);
  const refused = format === 'trustkit' ? [...errors, ...trustkitTooFewPins(hosts)] : errors;
  if (refused.length > 0) throw new PinValidationError(refused);
  const entries = Object.entries(hosts).map(([host, h]) => ({
    host,
    pins: [...new Set([...h.pins, ...(h.backupPins ?? [])])],
    includeSubdomains: h.includeSubdomains === true,
    enforce: h.enforce !== false,
    expires: toPinDate(h.expiresAt),
  }));
  switch (format) {
    case 'okhttp':
      return { text: okhttp(entries), warnings };
    case 'nsc':
      return { text: nsc(entries), warnings };
    case 'trustkit':
      return { text: `${JSON.stringify(trustkit(entries, options.reportUris), null, 2)}\n`, warnings };
    case 'rn':
      return { text: `${JSON.stringify(reactNative(entries), null, 2)}\n`, warnings };
    default:
      throw new TypeError(`unknown pin format ${JSON.stringify(format)}`);
  }
}

interface Entry {
  host: string;
  pins: string[];
  includeSubdomains: boolean;
  enforce: boolean;
  expires: string | undefined;
}

/** Kotlin for OkHttp. `**.host` matches the host and all its subdomains; OkHttp has no expiry or report-only mode. */
function okhttp(entries: readonly Entry[]): string {
  const lines = ['val certificatePinner = CertificatePinner.Builder()'];
  for (const e of entries) {
    if (!e.enforce) {
      lines.push(`    // ${e.host}: enforce=false in the pin set, not pinned (OkHttp has no report-only mode)`);
      continue;
    }
    if (e.expires) lines.push(`    // ${e.host}: expires ${e.expires}; OkHttp has no expiry, ship an update before then`);
    const pattern = e.includeSubdomains ? `**.${e.host}` : e.host;
    for (const pin of e.pins) lines.push(`    .add("${pattern}", "sha256/${pin}")`);
  }
  lines.push('    .build()');
  return `${lines.join('\n')}\n`;
}

/**
 * Android `res/xml/network_security_config.xml`. Hosts and pins are pattern-checked, so nothing needs escaping in
 * elements; in a comment, which may not hold `--` (every punycode host has it), a host's hyphens are written `&#45;`.
 */
function nsc(entries: readonly Entry[]): string {
  const lines = ['<?xml version="1.0" encoding="utf-8"?>', '<network-security-config>'];
  for (const e of entries) {
    if (!e.enforce) {
      const host = e.host.includes('--') ? e.host.replaceAll('-', '&#45;') : e.host;
      lines.push(`    <!-- ${host}: enforce=false in the pin set, not pinned -->`);
      continue;
    }
    lines.push('    <domain-config>');
    lines.push(`        <domain includeSubdomains="${e.includeSubdomains}">${e.host}</domain>`);
    lines.push(e.expires ? `        <pin-set expiration="${e.expires}">` : '        <pin-set>');
    for (const pin of e.pins) lines.push(`            <pin digest="SHA-256">${pin}</pin>`);
    lines.push('        </pin-set>');
    lines.push('    </domain-config>');
  }
  lines.push('</network-security-config>');
  return `${lines.join('\n')}\n`;
}

/**
 * TrustKit's configuration dictionary (Info.plist `TSKConfiguration` or `TrustKit.initSharedInstance`) as JSON.
 * Every domain has at least two pins, report-only ones included (`trustkitTooFewPins` refuses fewer): TrustKit, on
 * iOS and Android, throws at initialisation for a domain with fewer than two hashes, whatever kTSKEnforcePinning says.
 */
function trustkit(entries: readonly Entry[], reportUris: readonly string[] | undefined): Record<string, unknown> {
  const domains: Record<string, unknown> = {};
  for (const e of entries) {
    domains[e.host] = {
      kTSKEnforcePinning: e.enforce,
      kTSKIncludeSubdomains: e.includeSubdomains,
      ...(e.expires ? { kTSKExpirationDate: e.expires } : {}),
      kTSKPublicKeyHashes: e.pins,
      ...(reportUris && reportUris.length > 0 ? { kTSKReportUris: [...reportUris] } : {}),
    };
  }
  return { kTSKSwizzleNetworkDelegates: false, kTSKPinnedDomains: domains };
}

/**
 * `too_few_pins` for each report-only host with fewer than two distinct pins (an enforcing one is already refused by
 * `validatePinConfig`): TrustKit refuses such a domain at start-up, so the app would crash instead of reporting.
 */
function trustkitTooFewPins(hosts: Readonly<Record<string, HostPinConfig>>): PinFinding[] {
  return Object.entries(hosts).flatMap(([host, h]) => {
    const count = new Set([...(Array.isArray(h?.pins) ? h.pins : []), ...(Array.isArray(h?.backupPins) ? h.backupPins : [])]).size;
    return h?.enforce === false && count < 2
      ? [{ host, code: 'too_few_pins' as const, message: `TrustKit needs at least two pins even report-only (enforce: false), has ${count}` }]
      : [];
  });
}

/** The options object of react-native-ssl-public-key-pinning's `initializeSslPinning` (it has no report-only mode). */
function reactNative(entries: readonly Entry[]): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const e of entries) {
    if (!e.enforce) continue;
    options[e.host] = {
      includeSubdomains: e.includeSubdomains,
      publicKeyHashes: e.pins,
      ...(e.expires ? { expirationDate: e.expires } : {}),
    };
  }
  return options;
}
