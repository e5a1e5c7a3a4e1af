/**
 * A query-string / form-body parser with bracket syntax (`a[b][c]=1`, `a[]=1&a[]=2`), in the spirit of `qs`, that
 * cannot pollute prototypes: every object it builds has a null prototype, so a `__proto__` key is an ordinary own
 * property the shield can see and deny. It also reports repeated keys (HTTP parameter pollution) and dangerous keys.
 */
import { percentDecode } from './normalise.js';

/** Limits that keep parsing linear and the result small. */
export interface QueryParseLimits {
  /** Pairs parsed at most; the rest are ignored and `truncated` is set. */
  maxParams: number;
  /** Bracket segments honoured per key; deeper segments stay one literal key (as `qs` does). */
  maxDepth: number;
  /** Largest numeric index that builds an array; larger indices become object keys (no huge sparse arrays). */
  maxArrayIndex: number;
}

/** Default limits (the same spirit as `qs`: 1000 pairs, depth 5, index 20). */
export const DEFAULT_QUERY_LIMITS: QueryParseLimits = { maxParams: 1000, maxDepth: 5, maxArrayIndex: 20 };

/** The parsed query plus what the parser noticed on the way. */
export interface ParsedQuery {
  /** Null-prototype object tree of strings, arrays and objects. */
  value: Record<string, unknown>;
  /** The largest number of times one full key was repeated (1 = no repetition, 0 = empty query). */
  maxRepeats: number;
  /** True when a key segment was `__proto__`, `constructor` or `prototype` (dotted or bracketed). */
  pollution: boolean;
  /** True when more than `maxParams` pairs were present. */
  truncated: boolean;
}

const POLLUTION_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

/** True when a (possibly dotted) key names a prototype-pollution vector: `__proto__`, `constructor.prototype`... */
export function isPollutionKey(key: string): boolean {
  if (POLLUTION_SEGMENTS.has(key)) return true;
  if (key.indexOf('__proto__') !== -1) return true;
  // Dotted paths (`constructor.prototype.x`) are expanded by some merge helpers.
  return key.indexOf('constructor') !== -1 && key.indexOf('prototype') !== -1;
}

function splitKey(key: string, maxDepth: number): string[] {
  const open = key.indexOf('[');
  if (open <= 0 || key.indexOf(']', open) === -1) return [key];
  const segments = [key.slice(0, open)];
  let i = open;
  while (i < key.length && key.charCodeAt(i) === 91 /* [ */) {
    const close = key.indexOf(']', i + 1);
    if (close === -1) break;
    if (segments.length > maxDepth) {
      // Too deep: keep the rest as one literal segment rather than building more levels.
      segments.push(key.slice(i));
      return segments;
    }
    segments.push(key.slice(i + 1, close));
    i = close + 1;
  }
  if (i < key.length) segments.push(key.slice(i));
  return segments;
}

type Container = Record<string, unknown> | unknown[];

function newContainer(nextSegment: string, limits: QueryParseLimits): Container {
  if (nextSegment === '') return [];
  if (/^\d{1,6}$/.test(nextSegment) && Number(nextSegment) <= limits.maxArrayIndex) return [];
  return Object.create(null) as Record<string, unknown>;
}

/**
 * The container for the segments below `prior`, a value a name already held (`id=x&id[k]=1`): an object keeping it
 * under `''` (as the form-field reader does), so no value a client sent drops out of the shield's reading while a
 * framework's flat parser still hands it to the handler.
 */
function containerBelow(prior: unknown, nextSegment: string, limits: QueryParseLimits): Container {
  if (prior === undefined) return newContainer(nextSegment, limits);
  const kept = Object.create(null) as Record<string, unknown>;
  kept[''] = prior;
  return kept;
}

function toObject(array: unknown[]): Record<string, unknown> {
  const obj = Object.create(null) as Record<string, unknown>;
  for (let i = 0; i < array.length; i++) if (i in array) obj[String(i)] = array[i];
  return obj;
}

function isIndex(segment: string, limits: QueryParseLimits): boolean {
  return /^\d{1,6}$/.test(segment) && Number(segment) <= limits.maxArrayIndex;
}

/** Reads `container[segment]`, converting an array to an object when the segment is not an index. */
function ensureObjectFor(parent: Container, segment: string, limits: QueryParseLimits): Container {
  if (Array.isArray(parent) && segment !== '' && !isIndex(segment, limits)) return toObject(parent);
  return parent;
}

function assign(
  root: Record<string, unknown>,
  segments: string[],
  value: string,
  limits: QueryParseLimits,
): void {
  let parent: Container = root;
  const chain: { holder: Container; key: string }[] = [];
  for (let depth = 0; depth < segments.length; depth++) {
    const segment = segments[depth]!;
    const converted = ensureObjectFor(parent, segment, limits);
    if (converted !== parent) {
      // Re-link the converted object where the array used to be.
      const link = chain[chain.length - 1];
      if (link) (link.holder as Record<string, unknown>)[link.key] = converted;
      parent = converted;
    }
    const last = depth === segments.length - 1;
    if (Array.isArray(parent)) {
      if (segment === '') {
        if (last) {
          parent.push(value);
          return;
        }
        const child = newContainer(segments[depth + 1]!, limits);
        parent.push(child);
        chain.push({ holder: parent, key: String(parent.length - 1) });
        parent = child;
        continue;
      }
      const index = Number(segment);
      if (last) {
        // Pushed, not copied: a copy per repeat made `a[0]=&` repeated n times cost n² (maxParamRepeats is judged after).
        const current = parent[index];
        if (current === undefined) parent[index] = value;
        else if (Array.isArray(current)) current.push(value);
        else parent[index] = [current, value];
        return;
      }
      let child = parent[index];
      if (child === null || typeof child !== 'object') {
        child = containerBelow(child, segments[depth + 1]!, limits);
        parent[index] = child;
      }
      chain.push({ holder: parent, key: segment });
      parent = child as Container;
      continue;
    }
    const key = segment === '' ? String(Object.keys(parent).length) : segment;
    if (last) {
      const existing = parent[key];
      if (existing === undefined) parent[key] = value;
      else if (Array.isArray(existing)) existing.push(value);
      else parent[key] = [existing, value];
      return;
    }
    let child = parent[key];
    if (child === null || typeof child !== 'object') {
      child = containerBelow(child, segments[depth + 1]!, limits);
      parent[key] = child;
    }
    chain.push({ holder: parent, key });
    parent = child as Container;
  }
}

/**
 * Parses a raw (percent-encoded) query string or form body. Pairs split on `&`, names and values are
 * percent-decoded with `+` as space, bracketed names nest. Never throws.
 */
export function parseQueryString(raw: string, limits: QueryParseLimits = DEFAULT_QUERY_LIMITS): ParsedQuery {
  const value = Object.create(null) as Record<string, unknown>;
  const result: ParsedQuery = { value, maxRepeats: 0, pollution: false, truncated: false };
  if (raw.length === 0) return result;
  const counts = new Map<string, number>();
  let start = raw.charCodeAt(0) === 63 /* ? */ ? 1 : 0;
  let pairs = 0;
  while (start <= raw.length) {
    let end = raw.indexOf('&', start);
    if (end === -1) end = raw.length;
    if (end > start) {
      if (pairs >= limits.maxParams) {
        result.truncated = true;
        break;
      }
      pairs++;
      const pair = raw.slice(start, end);
      const eq = pair.indexOf('=');
      const name = percentDecode(eq === -1 ? pair : pair.slice(0, eq), true);
      const val = eq === -1 ? '' : percentDecode(pair.slice(eq + 1), true);
      // `a[]=1&a[]=2` is how clients send arrays on purpose; only plain repeated names count as pollution.
      const repeats = name.endsWith('[]') ? 1 : (counts.get(name) ?? 0) + 1;
      if (repeats > 1 || !counts.has(name)) counts.set(name, repeats);
      if (repeats > result.maxRepeats) result.maxRepeats = repeats;
      const segments = splitKey(name, limits.maxDepth);
      for (const segment of segments) if (isPollutionKey(segment)) result.pollution = true;
      assign(value, segments, val, limits);
    }
    start = end + 1;
  }
  return result;
}
