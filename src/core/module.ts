import type * as z from 'zod/mini';
import type { ClientIpResolver } from './client-ip.js';
import type { Store } from './store.js';
import type { Verifier } from './verifier.js';

/** What the engine hands a module when it builds the module's verifiers. */
export interface ModuleDeps {
  /** The shield's store (MemoryStore unless configured): replay, counters, lockouts. */
  readonly store: Store;
  /** The shield's client-IP resolver (`trustProxy` applied), for verifiers that key on the client. */
  readonly ipResolver: ClientIpResolver;
  /**
   * The whole validated shield config, for a module whose behaviour follows another's setting (the credential
   * verifier answers `token_invalid` when `token.genericErrors` is on). Read, never imported: modules stay independent.
   */
  readonly config: Readonly<Record<string, unknown>>;
}

/** A denial code a module adds, with the HTTP status and the generic title of its problem response. */
export interface ModuleCode {
  readonly status: number;
  readonly title: string;
}

/**
 * One integrity as the engine sees it: the built-in token, device, credential and payload verifiers are modules,
 * and so is a user's own. A module owns one key of the shield config (`createShield({ [key]: config })`) and of the
 * route options (`routes: { 'POST /x': { [key]: routeOptions | false } }`); `false` on a route turns the module off
 * there. The engine validates both with the module's schemas at `createShield`, builds the module's verifiers once,
 * and runs them in `order` with the same modes, deadlines, fail-closed handling and result checks as any other.
 *
 * Type the module's options into `createShield` with its type parameters (route options, then the config section):
 * `createShield<{ appVersions?: { allowed?: string[] } | false }, { appVersions?: { allowed: string[] } }>(...)`.
 */
export interface VerifierModule<Config = unknown> {
  /** The module's key in the shield config and in route options; also the default verifier name. */
  readonly key: string;
  /** Position in the fixed order, lower first. Built-ins: token 100, device 200, credentials 300, payload 400. Default 1000. */
  readonly order?: number;
  /**
   * Validates the module's section of the shield config (a zod 4 schema, classic `zod` or `zod/mini`); the module is
   * off when the section is absent.
   */
  readonly configSchema: z.core.$ZodType<Config>;
  /** Validates the module's route options, zod 4 (`false` is always accepted and turns the module off on the route). */
  readonly routeSchema?: z.core.$ZodType;
  /** Denial codes the module's verifiers use beyond the built-in ones (`deny` with any other code is an error). */
  readonly codes?: Readonly<Record<string, ModuleCode>>;
  /**
   * Client-safe `detail` text for the problem responses of some codes, from the module's config (the token module
   * names the header it reads, for `token_missing`). Sent to clients: never a secret, a token or a reason that helps
   * an attacker.
   */
  problemDetails?(config: Config): Readonly<Record<string, string>>;
  /** Header names the module reads as credentials, bindings or proofs: masked in what `onDecision` sees. */
  sensitiveHeaders?(config: Config): readonly string[];
  /** A Decision field that exposes the module's per-request memo (`decision.device` is the device memo). */
  readonly decisionField?: { readonly field: string; readonly memoKey: string };
  /**
   * Builds the module's verifiers from its validated config; throwing fails `createShield` with the module's key.
   * A module with an API of its own returns `{ verifiers, api }`: the shield then carries `api` at `shield[key]`
   * (e.g. `shield.credentials.reset(...)`).
   */
  create(config: Config, deps: ModuleDeps): Verifier | readonly Verifier[] | ModuleInstance;
}

/** What `create` returns for a module that adds an API namespace to the shield. */
export interface ModuleInstance {
  readonly verifiers: Verifier | readonly Verifier[];
  /** Set on the shield at the module's key; its key must not be one of the shield's own properties. */
  readonly api: object;
}

/** Identity helper that infers a module's config type from its schema. */
export function defineVerifierModule<Config>(module: VerifierModule<Config>): VerifierModule<Config> {
  return module;
}
