/**
 * JSON Schema documents name properties with arbitrary keys, `__proto__` and `constructor` included (the official
 * test suite has them). A key below `properties` (or another keyword that maps names to schemas) whose value is a
 * schema made only of schema keywords is a property name. The exemption is opt-in per route
 * (`prototypePollution: 'except-schema-property-names'`): a naive deep merge that walked into such a key would still
 * set schema keywords (`type`, `default`...) on `Object.prototype`, so it suits only handlers that store or validate
 * schemas without merging them.
 */

/** JSON Schema keywords whose value maps property names to schemas. */
const SCHEMA_NAME_MAPS = new Set(['properties', 'patternProperties', 'dependentSchemas', '$defs', 'definitions']);
/** JSON Schema (2020-12 and draft-07) keywords: a schema whose keys are all in here is a schema, not a payload. */
const SCHEMA_KEYWORDS = new Set([
  'type', 'enum', 'const', 'format', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum',
  'exclusiveMaximum', 'multipleOf', 'items', 'prefixItems', 'minItems', 'maxItems', 'uniqueItems', 'contains',
  'properties', 'patternProperties', 'additionalProperties', 'required', 'minProperties', 'maxProperties',
  'propertyNames', 'dependentRequired', 'dependentSchemas', 'allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else',
  '$ref', '$id', '$schema', '$comment', '$anchor', '$defs', 'definitions', 'title', 'description', 'default',
  'examples', 'example', 'deprecated', 'readOnly', 'writeOnly', 'nullable', 'unevaluatedProperties', 'unevaluatedItems',
]);

/** True when a key under `parent` whose value is `value` names a JSON Schema property (`"properties": {"__proto__": {"type": "string"}}`). */
export function isSchemaPropertyName(parent: unknown, value: unknown): boolean {
  if (typeof parent !== 'string' || !SCHEMA_NAME_MAPS.has(parent)) return false;
  if (typeof value === 'boolean') return true;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  for (const key in value) if (!SCHEMA_KEYWORDS.has(key)) return false;
  return true;
}
