/**
 * Prototype pollution: keys that reach `Object.prototype` when a handler merges or assigns input
 * (`{"__proto__": {...}}`, `a[__proto__][x]=1`, `constructor[prototype][x]=1`, dotted `__proto__.x=1`), and path
 * values that do the same through a path setter: a JSON Patch `path` (`/__proto__/isAdmin`, fast-json-patch
 * CVE-2021-4279), `_.set(obj, body.path, body.value)` with `constructor.prototype.isAdmin`, and the keys of a JSON
 * document sent as a string (a GraphQL multipart `operations` field, a `text/plain` body) that the handler parses,
 * and of the documents in that document's string values, a few levels down.
 */
import { isSchemaPropertyName } from './json-schema-names.js';
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

/**
 * Returns the rule hit for a string value (not a key): a property path (`detectPollutionPath`), or a JSON document
 * with a polluting key (`detectPollutionInDocument`). `schemaPropertyNames`: the route's opt-in exemption
 * (`prototypePollution: 'except-schema-property-names'`).
 */
export function detectPollutionValue(value: string, name: string, schemaPropertyNames: boolean): RuleHit | undefined {
  const path = detectPollutionPath(value, name);
  if (path !== undefined || value.length < MIN_DOCUMENT_LENGTH) return path;
  // Read for every value: one character decides for almost all of them (a document starts with `{` or `[`).
  const c = value.charCodeAt(0);
  return c === 123 || c === 91 || isJsonSpace(c) ? detectPollutionInDocument(value, schemaPropertyNames) : undefined;
}

/** `{"__proto__":` needs this much text. */
const MIN_DOCUMENT_LENGTH = 13;
/** A key that needs decoding is read only up to this length (`constructor` with every character `\uXXXX`). */
const MAX_ESCAPED_KEY = 66;
/** Levels of a parsed document the schema exemption follows (deeper: no exemption). */
const MAX_EXEMPTION_DEPTH = 64;
/**
 * Levels of documents in string values (`{"b":"{\"__proto__\":1}"}`) read below a value's own document: a handler
 * parses a field, then that field's field; a fixed number, so no client can make the reading recurse deeper.
 */
export const MAX_NESTED_DOCUMENT_LEVELS = 3;
/** Characters of nested documents decoded per value, all levels together (a bound besides the value's own length). */
export const MAX_NESTED_DOCUMENT_CHARS = 256 * 1024;
/** What is left of MAX_NESTED_DOCUMENT_CHARS for the value being read (single-threaded, reset per value). */
let nestedBudget = 0;

/** What `keyAt` reads a JSON string as. */
const OTHER = 0;
const PROTO = 1;
const CONSTRUCTOR = 2;
const PROTOTYPE = 3;
type Key = typeof OTHER | typeof PROTO | typeof CONSTRUCTOR | typeof PROTOTYPE;

/**
 * Returns the rule hit when `s` is a JSON document (first non-space character `{` or `[`) with a `"__proto__"` key,
 * or a `"prototype"` key after a `"constructor"` key: a handler that `JSON.parse`s the string and merges it pollutes
 * as with the same JSON body, whose keys the walk reads. A NoSQL operator in a string is caught the same way
 * (`nosqli-operator-in-string`). Linear: the strings of the document are found with `indexOf`, and only one of a
 * key's lengths is compared (a key with an escape, `"\u005f_proto__"`, is decoded as `JSON.parse` would). A string
 * value that is itself a document (encoded twice: `{"b":"{\"__proto__\":1}"}`) is read too, as a handler that parses
 * the field's field would: MAX_NESTED_DOCUMENT_LEVELS deep and MAX_NESTED_DOCUMENT_CHARS long at most.
 */
export function detectPollutionInDocument(s: string, schemaPropertyNames = false): RuleHit | undefined {
  nestedBudget = MAX_NESTED_DOCUMENT_CHARS;
  return documentHit(s, schemaPropertyNames, 0);
}

/** `detectPollutionInDocument` for a document `level` strings deep (0: the value itself). */
function documentHit(s: string, schemaPropertyNames: boolean, level: number): RuleHit | undefined {
  let i = 0;
  while (isJsonSpace(s.charCodeAt(i))) i++;
  const first = s.charCodeAt(i);
  if (first !== 123 && first !== 91) return undefined;
  // Without the words or an escape that could spell them, no key can be one (most documents stop here).
  if (s.indexOf('__proto__', i) === -1 && s.indexOf('prototype', i) === -1 && s.indexOf('\\u', i) === -1) return undefined;
  let constructorSeen = false;
  let backslash = s.indexOf('\\', i);
  for (let open = s.indexOf('"', i); open !== -1; ) {
    let close = s.indexOf('"', open + 1);
    while (close !== -1 && isEscaped(s, close)) close = s.indexOf('"', close + 1);
    if (close === -1) break;
    if (backslash !== -1 && backslash <= open) backslash = s.indexOf('\\', open + 1);
    const escaped = backslash !== -1 && backslash < close;
    const key = keyAt(s, open, close, escaped);
    if (key !== OTHER && isKey(s, close + 1)) {
      if (key === CONSTRUCTOR) constructorSeen = true;
      else if (key === PROTO || constructorSeen) return schemaPropertyNames && onlySchemaPropertyNames(s) ? undefined : HIT;
    } else if (escaped && opensDocument(s, open + 1) && !isKey(s, close + 1)) {
      // A string value that is a document: keys in it need escaped quotes, so only one with a backslash is read.
      const nested = nestedDocumentHit(s, open, close, schemaPropertyNames, level);
      if (nested !== undefined) return nested;
    }
    open = s.indexOf('"', close + 1);
  }
  return undefined;
}

/**
 * Reads the string value from quote `open` to quote `close` of `s` as the document it holds, one level down. Past
 * MAX_NESTED_DOCUMENT_LEVELS or MAX_NESTED_DOCUMENT_CHARS the check cannot decide: it denies when the undecoded
 * text still has a polluting word or an escape that could spell one (the gate `documentHit` starts with).
 */
function nestedDocumentHit(s: string, open: number, close: number, schemaPropertyNames: boolean, level: number): RuleHit | undefined {
  const length = close - open - 1;
  if (level >= MAX_NESTED_DOCUMENT_LEVELS || length > nestedBudget) return mayPollute(s, open + 1, close) ? HIT : undefined;
  nestedBudget -= length;
  let text: unknown;
  try {
    text = JSON.parse(s.slice(open, close + 1));
  } catch {
    return undefined; // not a JSON string: the handler's parse of the document around it fails first
  }
  return typeof text === 'string' ? documentHit(text, schemaPropertyNames, level + 1) : undefined;
}

/**
 * True when `s` from `from` to `to` has `__proto__`, `prototype` or a `\u` escape. Searched in that span only: the
 * spans of sibling strings do not overlap, so reading every one of them stays linear.
 */
function mayPollute(s: string, from: number, to: number): boolean {
  const span = s.slice(from, to);
  return span.indexOf('__proto__') !== -1 || span.indexOf('prototype') !== -1 || span.indexOf('\\u') !== -1;
}

/**
 * True when the JSON string text from `from` starts, after white space (raw or escaped: `\n`, `\t`, `\r`), with
 * `{` or `[`: the start of a document a handler would parse.
 */
function opensDocument(s: string, from: number): boolean {
  let i = from;
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 123 || c === 91) return true;
    if (isJsonSpace(c)) i++;
    else if (c === 92 && (s.charCodeAt(i + 1) === 110 || s.charCodeAt(i + 1) === 116 || s.charCodeAt(i + 1) === 114)) i += 2;
    else return false;
  }
}

/** JSON white space: space, tab, line feed, carriage return. */
function isJsonSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** True when the quote at `at` is escaped (an odd run of backslashes before it). */
function isEscaped(s: string, at: number): boolean {
  let run = 0;
  while (s.charCodeAt(at - 1 - run) === 92) run++;
  return run % 2 === 1;
}

/** True when the string ending before `from` is followed by `:` (after white space): an object key. */
function isKey(s: string, from: number): boolean {
  while (isJsonSpace(s.charCodeAt(from))) from++;
  return s.charCodeAt(from) === 58;
}

/** Which of the polluting words the JSON string from quote `open` to quote `close` spells. */
function keyAt(s: string, open: number, close: number, escaped: boolean): Key {
  const length = close - open - 1;
  if (!escaped) {
    if (length === 9) return s.startsWith('__proto__', open + 1) ? PROTO : s.startsWith('prototype', open + 1) ? PROTOTYPE : OTHER;
    return length === 11 && s.startsWith('constructor', open + 1) ? CONSTRUCTOR : OTHER;
  }
  if (length > MAX_ESCAPED_KEY) return OTHER;
  let text: unknown;
  try {
    text = JSON.parse(s.slice(open, close + 1));
  } catch {
    return OTHER;
  }
  return text === '__proto__' ? PROTO : text === 'prototype' ? PROTOTYPE : text === 'constructor' ? CONSTRUCTOR : OTHER;
}

/**
 * The schema exemption for a document in a string (rare: a key was found): true when the document parses and each
 * `__proto__` key, and each `constructor` key over a `prototype` key, names a JSON Schema property, as the walk
 * exempts them in a JSON body. A document that does not parse, or nests deeper than the walk follows, is not exempt.
 */
function onlySchemaPropertyNames(s: string): boolean {
  let document: unknown;
  try {
    document = JSON.parse(s);
  } catch {
    return false;
  }
  return namedBySchema(document, undefined, 0);
}

function namedBySchema(node: unknown, parent: string | undefined, depth: number): boolean {
  if (typeof node !== 'object' || node === null) return true;
  if (depth > MAX_EXEMPTION_DEPTH) return false;
  if (Array.isArray(node)) return node.every((item) => namedBySchema(item, undefined, depth + 1));
  const record = node as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const value = record[key];
    const polluting = key === '__proto__' || (key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype'));
    if (polluting && !isSchemaPropertyName(parent, value)) return false;
    if (!namedBySchema(value, key, depth + 1)) return false;
  }
  return true;
}
