import type { Store } from '../../stores/store.js';

/** A fixed-window limit: at most `limit` requests per `windowMs`. */
export interface WindowLimit {
  limit: number;
  windowMs: number;
}

/** Per-route, per-IP and per-device request limits of the attestation service, counted in the Store. */
export interface ServiceRateLimiter {
  /**
   * Counts one request of `route` from the IP key `ip`, and of the device the request names (`deviceHint`, when it
   * names one) on that IP key. Resolves the seconds to wait when a limit is exceeded, undefined otherwise. Store
   * errors reject (the service then fails closed with 503).
   *
   * A device the request names is not yet proven (anyone can send a key id or an installation id): counted per IP
   * key, it cannot exhaust the budget of the device that owns it from anywhere else, and still keeps one device from
   * taking a whole IP key's budget (a NAT shared by many devices).
   */
  hit(route: string, ip: string, deviceHint: string | undefined): Promise<number | undefined>;
  /** Counts one request of `route` by a device its evidence proved (an App Attest key that signed the assertion), on every IP key. */
  hitProvenDevice(route: string, device: string): Promise<number | undefined>;
}

/**
 * Rate limits on the store's atomic `increment`: every instance of the service shares the counters, and concurrent
 * requests can never both take the last slot.
 */
export function createServiceRateLimiter(
  store: Store,
  prefix: string,
  limits: { ip: WindowLimit; device: WindowLimit },
): ServiceRateLimiter {
  async function over(key: string, limit: WindowLimit): Promise<number | undefined> {
    const { count, ttlMs } = await store.increment(key, limit.windowMs);
    return count > limit.limit ? Math.max(1, Math.ceil(ttlMs / 1000)) : undefined;
  }
  return {
    async hit(route, ip, deviceHint) {
      const ipKey = `${prefix}rl:ip:${route}:${ip}`;
      if (deviceHint !== undefined) {
        // An IP key already over its budget is refused before any device counter is written: the device hint is the
        // client's choice, and a new one per request would otherwise add a key each (evicting App Attest counters
        // and lockouts from a bounded MemoryStore, growing Redis).
        const ipCount = Number(await store.get(ipKey));
        if (ipCount >= limits.ip.limit) return over(ipKey, limits.ip);
        // That read is not atomic: requests in flight together all pass it. The devices an IP key names in a window
        // are also held to its budget (each admitted device costs the IP key a request) in one atomic step, so a
        // burst naming a new device per request writes at most `ip.limit` device counters (stores without
        // `reserveMember`, which both built-in ones have, keep the read alone).
        if (store.reserveMember) {
          const named = await store.reserveMember(`${prefix}rl:devs:${route}:${ip}`, deviceHint, limits.ip.limit, limits.ip.windowMs);
          if (!named.granted) return over(ipKey, limits.ip);
        }
        // Then the device: a request its own limit refuses takes nothing from the IP key's budget, so one device
        // behind a NAT shared by many (carrier-grade NAT) cannot use up theirs by repeating itself.
        const byDevice = await over(`${prefix}rl:dev:${route}:${deviceHint}:${ip}`, limits.device);
        if (byDevice !== undefined) return byDevice;
      }
      return over(ipKey, limits.ip);
    },
    hitProvenDevice(route, device) {
      return over(`${prefix}rl:proven:${route}:${device}`, limits.device);
    },
  };
}
