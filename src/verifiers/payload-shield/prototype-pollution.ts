/**
 * Prototype pollution: keys that reach `Object.prototype` when a handler merges or assigns input
 * (`{"__proto__": {...}}`, `a[__proto__][x]=1`, `constructor[prototype][x]=1`, dotted `__proto__.x=1`), and path
 * values that do the same through a path setter: a JSON Patch `path` (`/__proto__/isAdmin`, fast-json-patch
 * CVE-2021-4279), `_.set(obj, body.path, body.value)` with `constructor.prototype.isAdmin`.
 */
import { isPollutionKey } from './query-parser.js';
import { SEVERITY, type RuleHit } from './types.js';

/** Rule id for a prototype-pollution key (or path value). */
export const PROTO_RULE = 'proto-pollution-key';

const HIT: RuleHit = Object.freeze({ ruleId: PROTO_RULE, category: 'proto', severity: SEVERITY.critical });

/** Returns the rule hit when `key` is a prototype-pollution vector. */
export function detectPollutionKey(key: string): RuleHit | undefined {
  return isPollutionKey(key) ? HIT : undefined;
}

/** Names (lower-cased) of parameters whose value a handler uses as a property path: JSON Patch, path setters. */
const PATH_NAMES = new Set(['path', 'from', 'key', 'field', 'prop', 'property', 'pointer', 'attribute', 'attr', 'keypath', 'key_path', 'fieldpath', 'field_path', 'propertypath', 'property_path', 'proppath', 'prop_path', 'propertyname', 'property_name', 'fieldname', 'field_name', 'jsonpath', 'json_path', 'jsonpointer', 'json_pointer']);

/** `__proto__` / `constructor` + `prototype` need this much text. */
const MIN_PATH_LENGTH = 9;

/**
 * Returns the rule hit when `value`, the value of a parameter called `name` (lower-cased) that names a property
 * path, has a `__proto__` segment or a `constructor` segment followed by `prototype`. A segment ends at what JSON
 * Pointers, dotted and bracket paths delimit with (`/`, `.`, `[`, `]`, quotes) or at the value's ends: prose that
 * mentions `obj.__proto__` or `constructor.prototype` between spaces does not fire.
 */
export function detectPollutionPath(value: string, name: string): RuleHit | undefined {
  if (value.length < MIN_PATH_LENGTH || !PATH_NAMES.has(name)) return undefined;
  for (let at = value.indexOf('__proto__'); at !== -1; at = value.indexOf('__proto__', at + 1)) {
    if (isSegmentStart(value, at) && isSegmentEnd(value, at + 9)) return HIT;
  }
  for (let at = value.indexOf('constructor'); at !== -1; at = value.indexOf('constructor', at + 1)) {
    if (!isSegmentStart(value, at)) continue;
    let next = at + 11;
    const from = next;
    while (next < value.length && isDelimiter(value.charCodeAt(next))) next++;
    if (next > from && value.startsWith('prototype', next) && isSegmentEnd(value, next + 9)) return HIT;
  }
  return undefined;
}

/** `/`, `.`, `[`, `]`, `"`, `'`, backtick: what separates the segments of a pointer or a property path. */
function isDelimiter(c: number): boolean {
  return c === 47 || c === 46 || c === 91 || c === 93 || c === 34 || c === 39 || c === 96;
}

function isSegmentStart(s: string, at: number): boolean {
  return at === 0 || isDelimiter(s.charCodeAt(at - 1));
}

function isSegmentEnd(s: string, end: number): boolean {
  return end === s.length || isDelimiter(s.charCodeAt(end));
}
