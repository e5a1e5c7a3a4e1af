import { SHIELD_CODES, type CodeTable } from './codes.js';
import { isZodSchema, verifierProblem, type ShieldConfig } from './config.js';
import { ShieldConfigError } from './errors.js';
import type { ModuleDeps, ModuleInstance, VerifierModule } from './module.js';
import { ShieldDecision } from './request-state.js';
import type { Verifier } from './verifier.js';

/** What the engine builds from its modules and the validated config. */
export interface AssembledModules {
  /** Every verifier, in the fixed order. */
  readonly verifiers: readonly Verifier[];
  /** The route-options key each verifier reads (its module's key); plain `verifiers` have none. */
  readonly routeKeys: readonly (string | undefined)[];
  /** The built-in codes plus those the modules declared. */
  readonly codes: CodeTable;
  /** Decision fields that expose modules' per-request memos. */
  readonly decisionFields: readonly { readonly field: string; readonly memoKey: string }[];
  /** Headers the modules read as credentials or proofs. */
  readonly sensitiveHeaders: readonly string[];
  /** Client-safe problem `detail` per code, from the configured modules' `problemDetails`. */
  readonly problemDetails: Readonly<Record<string, string>>;
  /** The API namespaces modules add to the shield, by module key. */
  readonly apis: ReadonlyMap<string, object>;
}

/** The built-in modules plus the user's own, keys checked for clashes (with each other and the engine's options). */
export function collectModules(builtIn: readonly VerifierModule[], config: ShieldConfig): readonly VerifierModule[] {
  const modules = [...builtIn, ...userModules(config)];
  const keys = new Set<string>();
  for (const module of modules) {
    if (keys.has(module.key) || BASE_KEYS.has(module.key)) {
      throw new ShieldConfigError([{ path: `modules.${module.key}`, message: 'a module with this key is already registered' }]);
    }
    keys.add(module.key);
  }
  return modules;
}

/**
 * Builds each configured module's verifiers in the fixed order: app integrity first (nothing else runs for a
 * request from something that is not the app), then the device, then credentials (which need the token's device
 * id), then the payload (the most expensive): each module's `order`, ties by registration; plain `verifiers` last.
 */
export function assembleModules(
  modules: readonly VerifierModule[],
  sections: Readonly<Record<string, unknown>>,
  plain: readonly Verifier[],
  deps: ModuleDeps,
): AssembledModules {
  const verifiers: Verifier[] = [];
  const routeKeys: (string | undefined)[] = [];
  const codes: Record<string, { status: number; title: string }> = { ...SHIELD_CODES };
  const decisionFields: { field: string; memoKey: string }[] = [];
  const sensitiveHeaders: string[] = [];
  const problemDetails: Record<string, string> = {};
  const apis = new Map<string, object>();
  const ordered = modules.map((module, index) => ({ module, index })).sort(
    (a, b) => (a.module.order ?? 1000) - (b.module.order ?? 1000) || a.index - b.index,
  );
  const fieldOwners = new Map<string, string>();
  for (const { module } of ordered) {
    for (const [code, info] of Object.entries(module.codes ?? {})) codes[code] ??= info;
    // Checked for every registered module, configured or not: the name is the module's, not its config's.
    if (module.decisionField !== undefined) {
      const problem = decisionFieldProblem(module.decisionField, fieldOwners);
      if (problem !== undefined) throw new ShieldConfigError([{ path: `modules.${module.key}.decisionField`, message: problem }]);
      fieldOwners.set(module.decisionField.field, module.key);
    }
    const section = sections[module.key];
    if (section === undefined) continue;
    try {
      const created = module.create(section, deps);
      const built = isInstance(created) ? created.verifiers : created;
      if (isInstance(created)) apis.set(module.key, created.api);
      for (const verifier of Array.isArray(built) ? (built as readonly Verifier[]) : [built as Verifier]) {
        // Module-built verifiers skip the config schema that checks plain ones; the loop trusts the same fields.
        const problem = verifierProblem(verifier);
        if (problem !== undefined) throw new ShieldConfigError([{ path: module.key, message: problem }]);
        verifiers.push(verifier);
        routeKeys.push(module.key);
      }
      sensitiveHeaders.push(...(module.sensitiveHeaders?.(section) ?? []));
      for (const [code, detail] of Object.entries(module.problemDetails?.(section) ?? {})) problemDetails[code] ??= detail;
      if (module.decisionField) decisionFields.push(module.decisionField);
    } catch (error) {
      if (error instanceof ShieldConfigError) throw error;
      throw new ShieldConfigError([{ path: module.key, message: (error as Error).message }]);
    }
  }
  for (const verifier of plain) {
    verifiers.push(verifier);
    routeKeys.push(undefined);
  }
  return { verifiers, routeKeys, codes: Object.freeze(codes), decisionFields, sensitiveHeaders, problemDetails: Object.freeze(problemDetails), apis };
}

/**
 * Why a module's `decisionField` cannot be used, or undefined: the field is written onto every Decision after the
 * Decision's own, so it must not name one of them (see `ShieldDecision.isMember`) nor another module's field.
 */
function decisionFieldProblem(value: unknown, owners: ReadonlyMap<string, string>): string | undefined {
  const { field, memoKey } = (typeof value === 'object' && value !== null ? value : {}) as { field?: unknown; memoKey?: unknown };
  if (typeof field !== 'string' || field === '' || typeof memoKey !== 'string') return 'must be { field, memoKey }: strings, field not empty';
  if (ShieldDecision.isMember(field)) return `${JSON.stringify(field)} is a field of every Decision`;
  const owner = owners.get(field);
  return owner === undefined ? undefined : `${JSON.stringify(field)} is already the decision field of module ${JSON.stringify(owner)}`;
}

/** A `{ verifiers, api }` answer of `create` (a Verifier has `verify`, an array is a list of them). */
function isInstance(value: unknown): value is ModuleInstance {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'verifiers' in value && 'api' in value;
}

/** The engine's own config keys: no module may take one. */
const BASE_KEYS = new Set([
  'mode', 'trustProxy', 'ipv4Prefix', 'ipv6Prefix', 'proxyHeader', 'store', 'modules', 'verifiers', 'verifierTimeoutMs',
  'onDecision', 'timings', 'redactHeaders', 'logHeaders', 'onDeny', 'onError', 'routes', 'problemTypeBase',
]);

/** The user's own modules, read before validation: they contribute to the schemas the rest is validated with. */
function userModules(config: ShieldConfig): readonly VerifierModule[] {
  const modules = (config as { modules?: unknown } | null | undefined)?.modules;
  if (modules === undefined) return [];
  const valid =
    Array.isArray(modules) &&
    modules.every(
      (m: unknown) =>
        typeof m === 'object' &&
        m !== null &&
        typeof (m as VerifierModule).key === 'string' &&
        typeof (m as VerifierModule).create === 'function' &&
        isZodSchema((m as VerifierModule).configSchema),
    );
  if (!valid) throw new ShieldConfigError([{ path: 'modules', message: 'must be an array of verifier modules { key, configSchema, create(config, deps) }' }]);
  return modules as VerifierModule[];
}
