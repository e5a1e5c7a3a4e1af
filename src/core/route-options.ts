import type { CredentialRouteOptions } from '../verifiers/credential-abuse/options.js';
import type { DeviceRouteOptions } from '../verifiers/device-risk/policy.js';
import type { PayloadRouteOptions } from '../verifiers/payload-shield/options.js';
import type { TokenRouteOptions } from '../verifiers/token/options.js';

/**
 * `enforce` denies; `monitor` records the deny (onDecision) and lets the request through. The switch lives in the
 * core loop: verifiers always report what they found, the core decides whether it blocks.
 */
export type Mode = 'enforce' | 'monitor';

/**
 * Options for one route, given to an adapter (`expressShield(shield, route)`, Fastify's `config.shield`) or through
 * the shield config's `routes` table. Route options are merged over the global ones one level deep: a route's
 * `token: { binding: false }` changes only that token option.
 */
export interface RouteOptions {
  /** Mode of every verifier on this route, over the global `mode`. */
  mode?: Mode;
  /** Per-verifier mode on this route (`{ token: 'monitor' }`) or `'off'` to skip that verifier here. */
  verifiers?: Readonly<Record<string, Mode | 'off'>>;
  /** Token options for this route, or `false` to skip the token verifier here. */
  token?: TokenRouteOptions | false;
  /** Device policy for this route (e.g. `{ sensitivity: 'payments' }`), or `false` to skip device checks here. */
  device?: DeviceRouteOptions | false;
  /** Credential-abuse options: `{ login: { username: 'body.email' } }` makes this a login route. */
  credentials?: CredentialRouteOptions | false;
  /** Payload-shield options for this route (limits, schemas, exclusions, patches), or `false` to skip it. */
  payload?: PayloadRouteOptions | false;
}

/** Route options after merging; `undefined` keys mean "the verifier's own configuration applies". */
export type ResolvedRouteOptions = Readonly<RouteOptions>;
