/**
 * Standard Schema v1 (https://standardschema.dev), the interface zod >= 4 (classic and mini), valibot, arktype and
 * others implement: route schemas are any object with a `~standard` property. The spec is types only and asks
 * libraries to copy it rather than depend on a package, so these are the spec's shapes, written out here.
 */

/** One problem a validator reports; the payload shield reads only its `path` (and zod's `code`), never a value. */
export interface StandardSchemaIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** What `validate` answers: the (possibly transformed) value, or the issues. */
export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardSchemaIssue> };

/** The `~standard` property of a Standard Schema v1 validator. */
export interface StandardSchemaProps<Input = unknown, Output = Input> {
  readonly version: 1;
  /** The library (`zod`, `valibot`, `arktype`...). */
  readonly vendor: string;
  /** Validates a value; may answer with a Promise (an async refinement), which the payload shield awaits. */
  readonly validate: (value: unknown) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>;
  readonly types?: { readonly input: Input; readonly output: Output } | undefined;
}

/** A Standard Schema v1 validator (a zod 4 schema, a valibot schema, an arktype type...). */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaProps<Input, Output>;
}

/** Why a value cannot be a route schema, or undefined when it is a Standard Schema v1 validator. */
export function standardSchemaProblem(value: unknown): string | undefined {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) {
    return 'must be a Standard Schema v1 validator (zod >= 4, valibot, arktype...)';
  }
  // zod 3 schemas have `_def` but no `_zod`; 3.24+ even carry a `~standard`, yet their issues and async behaviour
  // differ from zod 4's: refuse them with the fix rather than half-supporting them.
  if ('_def' in value && !('_zod' in value)) {
    return 'route schemas need zod >= 4 or another Standard Schema v1 validator (this looks like a zod 3 schema)';
  }
  const props = (value as { '~standard'?: Partial<StandardSchemaProps> })['~standard'];
  if (typeof props !== 'object' || props === null || props.version !== 1 || typeof props.validate !== 'function') {
    return 'must be a Standard Schema v1 validator (zod >= 4, valibot, arktype...)';
  }
  return undefined;
}
