/**
 * `enforce` denies; `monitor` records the deny (onDecision) and lets the request through. The switch lives in the
 * core loop: verifiers always report what they found, the core decides whether it blocks.
 */
export type Mode = 'enforce' | 'monitor';

/**
 * Options for one route, given to an adapter (`expressShield(shield, route)`, Fastify's `config.shield`) or through
 * the shield config's `routes` table. Route options are merged over the global ones one level deep: a route's
 * `token: { binding: false }` changes only that token option.
 *
 * Each verifier module adds its own key (`token`, `device`, `credentials`, `payload`, and yours) by declaration
 * merging; `false` under a module's key turns that module off on the route.
 */
export interface RouteOptions {
  /** Mode of every verifier on this route, over the global `mode`. */
  mode?: Mode;
  /** Per-verifier mode on this route (`{ token: 'monitor' }`) or `'off'` to skip that verifier here. */
  verifiers?: Readonly<Record<string, Mode | 'off'>>;
}

/**
 * Route options after merging, as verifiers see them: each module reads its own key (`route.token`), which the
 * engine validated with the module's route schema. `undefined` means "the module's own configuration applies".
 */
export type ResolvedRouteOptions = Readonly<RouteOptions> & { readonly [moduleKey: string]: unknown };
