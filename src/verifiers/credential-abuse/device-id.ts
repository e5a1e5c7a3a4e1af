/** The device a verified token names, for the per-device counters. */

/** The longest device id read; a longer claim is read as missing. */
const DEVICE_ID_MAX_LENGTH = 1024;

/**
 * The device id of a verified token: the first of `deviceClaims` that holds one. A string of 1 to 1,024 characters
 * is read as it is; a number only when it is a safe integer, as its decimal string (`42` and `"42"` are one device,
 * as the `device` verifier reads them). Any other value is read as missing and the next claim is tried: a fraction,
 * NaN, an infinity, or an integer beyond 2^53 (JSON parsing already rounded it, so two devices could share one
 * spelling, and `1e21` would be counted as `"1e+21"`), as are an empty or over-long string, a boolean or an object.
 * With no claim holding one the login has no device id: the per-device counters are not kept for it, while the
 * username + IP lock and the IP-key budgets still count it, as on a `token: false` route.
 */
export function deviceIdOf(claims: Readonly<Record<string, unknown>>, deviceClaims: readonly string[]): string | undefined {
  for (const claim of deviceClaims) {
    const value = claims[claim];
    if (typeof value === 'string' && value.length > 0 && value.length <= DEVICE_ID_MAX_LENGTH) return value;
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  }
  return undefined;
}
