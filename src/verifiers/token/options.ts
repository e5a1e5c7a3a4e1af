/** Per-route token options: what a route may change of the global token configuration. */
export interface TokenRouteOptions {
  /** Token binding for this route, or `false` to not require binding here (e.g. a login route). */
  binding?: TokenBindingOptions | false;
  /** Require single-use tokens (`jti` replay protection) on this route. */
  replay?: boolean;
}

/**
 * Token binding as Approov does it: the claim (default `pay`) holds base64 SHA-256 of the listed header's UTF-8
 * value (default `authorization`). With several headers, every one must be present and their values are joined
 * with a line feed (`\n`) before hashing.
 */
export interface TokenBindingOptions {
  /** Claim holding the binding hash. Default `pay`. */
  claim?: string;
  /** Lower-case header names bound, in order (several: all required, joined with `\n`). Default `['authorization']`. */
  headers?: readonly string[];
  /**
   * Accept a token that has no binding claim at all (a present claim must still match). Default false: a missing
   * claim is `token_binding_mismatch`. Approov's failover service issues tokens without `pay`; turning this on keeps
   * them working during a failover, at the price of unbound tokens being accepted while it lasts.
   */
  allowMissingClaim?: boolean;
}
