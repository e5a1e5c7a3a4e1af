/**
 * Freezes plain data shared between requests: an object every request carrying the same token is handed (verified
 * claims, a device judgement) must not be changed by one request's handler for the next.
 */

/** Freezes `value` and every object and array in it (plain, acyclic data such as parsed JSON); returns `value`. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
