import ipaddr from 'ipaddr.js';

/** Whom `shield.credentials.reset` unlocks: at least one field, each a non-empty string. */
export interface CredentialResetTarget {
  /** A username as the login sends it (normalised as logins are): its locks on every IP key are lifted. */
  username?: string;
  /** A client IP address: the counters of its IP key (its /64 for IPv6 by default) are reset. */
  ip?: string;
  /** A device id as the token's device claim carries it (`did` by default): the device's counters are reset. */
  device?: string;
}

/** A counter `reset` cleared. */
export type CredentialCounterName = 'username-locks' | 'ip-failures' | 'ip-usernames' | 'device-failures' | 'device-usernames';

/** What `shield.credentials.reset` did. */
export interface CredentialResetResult {
  /** The counters reset, by name (`ip-usernames` includes the distinct-username block of the IP key). */
  readonly cleared: readonly CredentialCounterName[];
  /** The IP key the `ip` was aggregated to (e.g. `2001:db8:1:2::/64`), when an `ip` was given. */
  readonly ipKey?: string;
}

/** The credential module's API on the shield: `shield.credentials`. */
export interface CredentialsApi {
  /**
   * Unlocks a username, an IP key and/or a device for a support desk, on whatever store the shield uses (every
   * instance sharing the store sees it at once). Rejects with a TypeError for a bad target, and when the store
   * cannot answer (nothing is reported cleared then; retry).
   */
  reset(target: CredentialResetTarget): Promise<CredentialResetResult>;
}

const FIELDS = ['username', 'ip', 'device'] as const;

/**
 * Checks a reset target and returns it typed, or throws a TypeError naming the problem: a call that would reset
 * nothing (no field, an empty or non-string value, an unknown field, an IP that is not an address) never passes.
 */
export function parseResetTarget(target: unknown): CredentialResetTarget {
  if (typeof target !== 'object' || target === null || Array.isArray(target)) {
    throw new TypeError('credentials.reset needs an object { username?, ip?, device? }');
  }
  const record = target as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    if (!(FIELDS as readonly string[]).includes(name)) throw new TypeError(`credentials.reset: unknown field "${name}"`);
  }
  const out: CredentialResetTarget = {};
  for (const name of FIELDS) {
    const value = record[name];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.trim().length === 0 || value.length > 1024) {
      throw new TypeError(`credentials.reset: ${name} must be a non-empty string of at most 1024 characters`);
    }
    out[name] = value;
  }
  if (out.username === undefined && out.ip === undefined && out.device === undefined) {
    throw new TypeError('credentials.reset needs at least one of username, ip, device');
  }
  if (out.ip !== undefined && !isAddress(out.ip)) {
    throw new TypeError('credentials.reset: ip must be an IPv4 (dotted quad) or IPv6 address');
  }
  return out;
}

function isAddress(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text) || (text.includes(':') && ipaddr.IPv6.isValid(text));
}
