import type { Store } from '../../stores/store.js';

/** A fixed-window limit: at most `limit` requests per `windowMs`. */
export interface WindowLimit {
  limit: number;
  windowMs: number;
}

/** Per-route, per-IP and per-device request limits of the attestation service, counted in the Store. */
export interface ServiceRateLimiter {
  /**
   * Counts one request of `route` from `ip` (and `device`, when known). Resolves the seconds to wait when a limit
   * is exceeded, undefined otherwise. Store errors reject (the service then fails closed with 503).
   */
  hit(route: string, ip: string, device: string | undefined): Promise<number | undefined>;
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
    async hit(route, ip, device) {
      const byIp = await over(`${prefix}rl:ip:${route}:${ip}`, limits.ip);
      if (byIp !== undefined) return byIp;
      if (device === undefined) return undefined;
      return over(`${prefix}rl:dev:${route}:${device}`, limits.device);
    },
  };
}
