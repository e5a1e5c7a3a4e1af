/**
 * The composition root: the built-in verifier modules and the default store, assembled over the framework-free
 * engine in `core/`. `createShield` is what users call; the engine itself knows no verifier.
 */
import { createShieldEngine, type Shield } from './core/shield.js';
import { composeSchemas, type ShieldConfig } from './core/config.js';
import type { VerifierModule } from './core/module.js';
import { parseBody as parseBodyWith } from './core/body.js';
import { MemoryStore } from './stores/memory.js';
import { parseQueryString } from './verifiers/payload-shield/query-parser.js';
import { credentialsModule } from './verifiers/credential-abuse/module.js';
import { deviceModule } from './verifiers/device-risk/module.js';
import { payloadModule } from './verifiers/payload-shield/module.js';
import { tokenModule } from './verifiers/token/module.js';

/** The modules every shield has, in their fixed order: token → device → credentials → payload. */
export const BUILT_IN_MODULES: readonly VerifierModule[] = Object.freeze([
  tokenModule,
  deviceModule,
  credentialsModule,
  payloadModule,
] as VerifierModule[]);

const parseForm = (text: string): unknown => parseQueryString(text).value;

const DEFAULTS = { modules: BUILT_IN_MODULES, createStore: () => new MemoryStore(), parseForm };

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
 * naming every bad option.
 */
export function createShield(config: ShieldConfig): Shield {
  return createShieldEngine(config, DEFAULTS);
}

/** The schema `createShield` validates a configuration with when no modules of your own are added. */
export const shieldConfigSchema = composeSchemas(BUILT_IN_MODULES).config;
