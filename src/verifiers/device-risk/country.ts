import { headerValue, type ShieldRequest } from '../../core/request.js';

/**
 * Resolves a country from the client IP (e.g. a local GeoIP database lookup), synchronously. A two-letter code (any
 * case) is the country; `undefined`, `null` (what GeoIP libraries answer for an unknown address), `XX` or any other
 * value (a promise included) is "no country", and the base policy judges the device. A resolver that throws is the
 * verifier's error (503, or a pass with `failOpen`), as for any other failure to decide.
 */
export type CountryResolver = (ip: string) => string | undefined | null;

/** Where the request's country comes from. */
export interface CountryOptions {
  /**
   * Headers a CDN sets with the viewer's country, read in order, and only when the request came through a trusted
   * proxy (anyone can send `cf-ipcountry` directly). None by default: name the one your CDN sets and overwrites
   * (`['cf-ipcountry']` behind Cloudflare, `['cloudfront-viewer-country']` behind CloudFront). A header the proxy in
   * front passes through as the client sent it lets the client pick its market.
   */
  headers?: readonly string[];
  /** Used when no trusted header gives a country. */
  resolver?: CountryResolver;
}

/** ISO 3166-1 alpha-2, plus Cloudflare's `T1` (Tor); `XX` (unknown) is treated as absent. */
const COUNTRY = /^[A-Z][A-Z0-9]$/;

/** Builds the per-request country lookup. */
export function createCountryLookup(
  options: CountryOptions = {},
): (request: ShieldRequest, ip: string, fromTrustedProxy: boolean) => string | undefined {
  // No default: behind a proxy that does not set (and overwrite) a header, the client writes it. Both CDNs' headers
  // by default let a client behind CloudFront send `cf-ipcountry`, and one behind Cloudflare `cloudfront-viewer-country`.
  const headers = (options.headers ?? []).map((h) => h.toLowerCase());
  const resolver = options.resolver;
  return (request, ip, fromTrustedProxy) => {
    if (fromTrustedProxy) {
      for (const name of headers) {
        const country = normalise(headerValue(request, name));
        if (country !== undefined) return country;
      }
    }
    return resolver ? normalise(resolver(ip)) : undefined;
  };
}

/** A country code, or undefined for anything else: the resolver is user code, so its answer is checked, not trusted. */
function normalise(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length !== 2) return undefined;
  const upper = value.toUpperCase();
  return upper !== 'XX' && COUNTRY.test(upper) ? upper : undefined;
}
