/**
 * The composition root: the built-in verifier modules and the default store, assembled over the framework-free
 * engine in `core/`. `createShield` is what users call; the engine itself knows no verifier.
 */
import { createShieldEngine, type Shield as EngineShield } from './core/shield.js';
import { composeSchemas, type BaseShieldConfig } from './core/config.js';
import type { Decision as EngineDecision } from './core/decision.js';
import type { VerifierModule } from './core/module.js';
import type { AttestationClaims } from './core/verifier.js';
import type { RouteOptions as EngineRouteOptions } from './core/route-options.js';
import type { ChannelOptions } from './verifiers/channel/options.js';
import type { CredentialAbuseOptions, CredentialRouteOptions } from './verifiers/credential-abuse/options.js';
import type { CredentialsApi } from './verifiers/credential-abuse/reset.js';
import { ShieldConfigError } from './core/errors.js';
import type { DeviceRiskOptions } from './verifiers/device-risk/options.js';
import type { DeviceRouteOptions } from './verifiers/device-risk/policy.js';
import type { DeviceRiskMemo } from './verifiers/device-risk/verifier.js';
import type { PayloadRouteOptions, PayloadShieldOptions } from './verifiers/payload-shield/options.js';
import type { TokenOptions } from './verifiers/token/config.js';
import type { TokenRouteOptions } from './verifiers/token/options.js';
import { parseBody as parseBodyWith } from './core/body.js';
import { MemoryStore } from './stores/memory.js';
import { parseQueryString } from './verifiers/payload-shield/query-parser.js';
import { channelModule } from './verifiers/channel/module.js';
import { credentialsModule } from './verifiers/credential-abuse/module.js';
import { deviceModule } from './verifiers/device-risk/module.js';
import { payloadModule } from './verifiers/payload-shield/module.js';
import { tokenModule } from './verifiers/token/module.js';

/** The modules every shield has, in their fixed order: token → channel → device → credentials → payload. */
export const BUILT_IN_MODULES: readonly VerifierModule[] = Object.freeze([
  tokenModule,
  channelModule,
  deviceModule,
  credentialsModule,
  payloadModule,
] as VerifierModule[]);

const parseForm = (text: string): unknown => parseQueryString(text).value;

/**
 * Options for one route, given to an adapter (`expressShield(shield, route)`, Fastify's `config.shield`) or through
 * the `routes` table: the engine's `mode` and `verifiers`, and one key per built-in module (`false` turns that module
 * off on the route). Merged over the global options one level deep.
 */
export interface RouteOptions extends EngineRouteOptions {
  /** Token options for this route, or `false` to skip the token verifier here. */
  token?: TokenRouteOptions | false;
  /** `false` skips the channel (pin-set version) check on this route. */
  channel?: false;
  /** Device policy for this route (e.g. `{ sensitivity: 'payments' }`), or `false` to skip device checks here. */
  device?: DeviceRouteOptions | false;
  /** Credential-abuse options: `{ login: { username: 'body.email' } }` makes this a login route. */
  credentials?: CredentialRouteOptions | false;
  /** Payload-shield options for this route (limits, schemas, exclusions, patches), or `false` to skip it. */
  payload?: PayloadRouteOptions | false;
}

/** The config sections of the built-in modules. */
export interface BuiltInModuleConfigs {
  /** The attestation-token verifier. Omit it to run without token checks. */
  token?: TokenOptions;
  /** Channel integrity: refuse tokens whose pin-set version claim is older than `minPinSetVersion`. */
  channel?: ChannelOptions;
  /** Device and app integrity (Play Integrity, App Attest, token claims) and the device policy. */
  device?: DeviceRiskOptions;
  /** Credential-stuffing defence on login routes. */
  credentials?: CredentialAbuseOptions;
  /** The payload shield (limits, schemas, injection detection, virtual patches). */
  payload?: PayloadShieldOptions;
}

/**
 * The shield configuration: the engine's options, the built-in modules' sections, and `Extra` for the route options
 * of your own modules (their config sections are typed by the second parameter of `createShield`).
 */
export type ShieldConfig<ExtraRoute extends object = object> = Omit<BaseShieldConfig, 'routes'> &
  BuiltInModuleConfigs & {
    /** Route table: `'METHOD /path/:param'` → route options, or `false` to exempt the route. */
    routes?: Record<string, (RouteOptions & NoInfer<ExtraRoute>) | false>;
  };

/**
 * The shield's verdict on one request; `device` is the device module's verdict when it ran. `Claims` types
 * `attestation.claims`: by default the `AttestationClaims` interface, which you can augment for the whole app.
 */
export interface Decision<Claims extends object = AttestationClaims> extends EngineDecision<Claims> {
  /** The normalised device verdict and the policy's reasons, when the device-risk verifier ran. Server-side only. */
  readonly device?: DeviceRiskMemo;
}

/** The APIs the built-in modules add to the shield. */
export interface BuiltInModuleApis {
  /**
   * Credential support operations: `reset({ username?, ip?, device? })` unlocks for a support desk. Rejects with
   * `ShieldConfigError` when the shield has no `credentials` section.
   */
  readonly credentials: CredentialsApi;
}

/** A shield built by `createShield`: route options and decisions typed with the built-in modules, and their APIs. */
export type Shield<ExtraRoute extends object = object> = EngineShield<RouteOptions & ExtraRoute, Decision> & BuiltInModuleApis;

/** `shield.credentials` of a shield without the credential module: a reset must never silently do nothing. */
const CREDENTIALS_OFF: CredentialsApi = Object.freeze({
  reset: () =>
    Promise.reject(new ShieldConfigError([{ path: 'credentials', message: 'credentials.reset needs the credentials section in createShield' }])),
});

const DEFAULTS = { modules: BUILT_IN_MODULES, createStore: () => new MemoryStore() };

/**
 * Parses raw body bytes by content type as the shield does: JSON, URL-encoded forms (null-prototype objects with
 * bracket nesting, so `__proto__` can never pollute), text; see `core/body.ts`.
 */
export function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  return parseBodyWith(raw, contentType, parseForm);
}

/**
 * Builds a shield from its configuration. The configuration is validated (and keys imported) here, once, against the
 * schemas of the built-in modules and your own (`modules`); an invalid configuration throws `ShieldConfigError`
 * naming every bad option. Type your own modules' options with the type parameters:
 * `createShield<{ appVersions?: AppVersionRoute | false }, { appVersions?: AppVersionConfig }>({ modules: [...] })`.
 */
export function createShield<ExtraRoute extends object = object, ExtraConfig extends object = object>(
  // NoInfer: the extra types come from the type arguments only, never from the config literal (a misspelt option must
  // stay an excess-property error, and a route's options must not become required everywhere).
  config: ShieldConfig<ExtraRoute> & NoInfer<ExtraConfig>,
): Shield<ExtraRoute> {
  const shield = createShieldEngine(config as BaseShieldConfig, DEFAULTS) as unknown as Shield<ExtraRoute>;
  if (!('credentials' in shield)) Object.defineProperty(shield, 'credentials', { value: CREDENTIALS_OFF, enumerable: true });
  return shield;
}

/** The schema `createShield` validates a configuration with when no modules of your own are added. */
export const shieldConfigSchema = composeSchemas(BUILT_IN_MODULES).config;
