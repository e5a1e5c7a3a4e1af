/**
 * The rules a pin configuration must meet before it is emitted or signed. Pinning's failure mode is a bricked app,
 * so an enforcing set without a backup is an error, not a warning.
 */
import type { CertificatePin } from './compute-pins.js';
import { DATE_PATTERN, HOST_PATTERN, PIN_PATTERN } from './pinset-payload.js';

/** One host's pins as a team writes them (publisher config, CLI, formats). */
export interface HostPinConfig {
  /** Pins of keys in the current chain (base64 SHA-256 SPKI). */
  pins: readonly string[];
  /** Pins of keys not yet in use: the next certificate's key, an offline backup key. */
  backupPins?: readonly string[];
  /** Pin subdomains too. Default false. */
  includeSubdomains?: boolean;
  /** Enforce the pins. Default true; `false` is the emergency switch (report only). */
  enforce?: boolean;
  /** `yyyy-MM-dd` (or a Date) after which clients stop enforcing; keeps an app that is never updated working. */
  expiresAt?: string | Date;
}

/** A rule's finding: `code` is stable, `message` is for humans. */
export interface PinFinding {
  readonly host: string;
  readonly code:
    | 'host_invalid'
    | 'pin_malformed'
    | 'too_few_pins'
    | 'no_current_pin'
    | 'pin_not_in_chain'
    | 'only_backup_in_chain'
    | 'no_backup_pin'
    | 'expiry_invalid'
    | 'expiry_past'
    | 'expiry_near'
    | 'root_only';
  readonly message: string;
}

/** What `validatePinConfig` found: errors block emitting or signing, warnings are printed. */
export interface PinValidation {
  readonly errors: readonly PinFinding[];
  readonly warnings: readonly PinFinding[];
}

/** Options of `validatePinConfig`. */
export interface ValidatePinsOptions {
  /** The chain the host serves now, when known: a backup must be outside it, and root-only pinning is flagged. */
  chain?: readonly CertificatePin[];
  /** Default: now. */
  now?: Date;
  /** Warn when an expiration is this many days away or less. Default 30. */
  warnWithinDays?: number;
}

/** Raised when a configuration with errors would be emitted or signed. */
export class PinValidationError extends Error {
  readonly errors: readonly PinFinding[];
  constructor(errors: readonly PinFinding[]) {
    super(`Refusing an unsafe pin configuration:\n${errors.map((e) => `  - ${e.host}: ${e.message}`).join('\n')}`);
    this.name = 'PinValidationError';
    this.errors = errors;
  }
}

const DAY_MS = 86_400_000;

/**
 * `yyyy-MM-dd` of a Date (its UTC day) or of a `yyyy-MM-dd` string naming a real calendar day; undefined otherwise.
 * Other strings are refused, not parsed: `new Date('2027-6-1')` is local midnight, a day earlier in UTC east of it.
 */
export function toPinDate(value: string | Date | undefined): string | undefined {
  const day = value instanceof Date ? (Number.isNaN(value.getTime()) ? undefined : value.toISOString().slice(0, 10)) : value;
  if (typeof day !== 'string' || !DATE_PATTERN.test(day)) return undefined;
  // The pattern lets 2027-02-30 through; Date rolls it over to March 2, so a day that does not exist differs.
  return new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) === day ? day : undefined;
}

/**
 * Checks every host of a pin configuration. Errors: a malformed host or pin, an enforcing host with fewer than two
 * distinct pins, without a backup outside the current chain, or, with the chain known, with no pin (current or
 * backup) of that chain (apps would refuse the server they are pinned to), an unreadable expiration. Warnings: an
 * expiration past or near, only a root pinned, no current pin (backups alone), the chain matching only a backup.
 */
export function validatePinConfig(hosts: Readonly<Record<string, HostPinConfig>>, options: ValidatePinsOptions = {}): PinValidation {
  const errors: PinFinding[] = [];
  const warnings: PinFinding[] = [];
  const now = options.now ?? new Date();
  const warnMs = (options.warnWithinDays ?? 30) * DAY_MS;
  const chainPins = new Set(options.chain?.map((c) => c.sha256));
  for (const [host, config] of Object.entries(hosts)) {
    if (!HOST_PATTERN.test(host)) errors.push({ host, code: 'host_invalid', message: 'not a lower-case DNS host name' });
    const pins = Array.isArray(config?.pins) ? config.pins : [];
    const backups = Array.isArray(config?.backupPins) ? config.backupPins : [];
    for (const pin of [...pins, ...backups]) {
      if (typeof pin !== 'string' || !PIN_PATTERN.test(pin)) {
        errors.push({ host, code: 'pin_malformed', message: `${JSON.stringify(pin)} is not a base64 SHA-256 pin` });
      }
    }
    const all = new Set([...pins, ...backups]);
    if (config?.enforce !== false) {
      if (all.size < 2) {
        errors.push({ host, code: 'too_few_pins', message: `an enforcing pin set needs at least two pins, has ${all.size}` });
      }
      // Apps accept a chain matching any pin, current or backup (a switched certificate awaits its promotion).
      if (options.chain && ![...all].some((p) => chainPins.has(p))) {
        errors.push({ host, code: 'pin_not_in_chain', message: 'no pin, current or backup, is in the chain the server serves now: apps would refuse it' });
      } else if (pins.length === 0) {
        warnings.push({ host, code: 'no_current_pin', message: 'no current pin: backups alone are enforced, check one is the key the server uses' });
      } else if (options.chain && !pins.some((p) => chainPins.has(p))) {
        warnings.push({ host, code: 'only_backup_in_chain', message: 'the served chain matches only a backup pin: promote it to pins' });
      }
      const outside = options.chain ? [...all].filter((p) => !chainPins.has(p)) : backups.filter((p) => !pins.includes(p));
      if (all.size >= 2 && outside.length === 0) {
        errors.push({
          host,
          code: 'no_backup_pin',
          message: options.chain
            ? 'every pin is in the current chain: add a backup pin of a key not yet in use'
            : 'no backup pin: add a pin of a key not yet in use to backupPins',
        });
      }
    }
    if (config?.expiresAt !== undefined) {
      const date = toPinDate(config.expiresAt);
      if (date === undefined) errors.push({ host, code: 'expiry_invalid', message: 'expiresAt is not a yyyy-MM-dd calendar date' });
      else {
        const left = Date.parse(`${date}T00:00:00Z`) - now.getTime();
        if (left <= 0) warnings.push({ host, code: 'expiry_past', message: `pins expired on ${date}: clients no longer enforce them` });
        else if (left <= warnMs) {
          warnings.push({ host, code: 'expiry_near', message: `pins expire on ${date}, in ${Math.ceil(left / DAY_MS)} day(s)` });
        }
      }
    }
    if (options.chain) {
      const roles = pins.map((p) => options.chain?.find((c) => c.sha256 === p)?.role);
      if (roles.length > 0 && roles.every((r) => r === 'root')) {
        warnings.push({
          host,
          code: 'root_only',
          message: 'only the root is pinned: any certificate that root issues passes, pin the intermediate or leaf key too',
        });
      }
    }
  }
  return { errors, warnings };
}

/** Throws `PinValidationError` when the configuration has errors; returns the warnings otherwise. */
export function assertPinConfig(hosts: Readonly<Record<string, HostPinConfig>>, options?: ValidatePinsOptions): readonly PinFinding[] {
  const result = validatePinConfig(hosts, options);
  if (result.errors.length > 0) throw new PinValidationError(result.errors);
  return result.warnings;
}
