import type { ResolvedRouteOptions } from './route-options.js';

/** A route-table entry's options, or `false` to exempt the route from the shield. */
export type RouteEntry = ResolvedRouteOptions | false;

/**
 * What a request's path resolves to in the table: one entry (or none), or `AMBIGUOUS` when spellings of the path
 * that different routers treat alike land on different entries (see `RouteTable.matchPath`).
 */
export const AMBIGUOUS: unique symbol = Symbol('mobile-api-shield.ambiguous-route');
export type PathMatch = RouteEntry | undefined | typeof AMBIGUOUS;

interface CompiledPattern {
  readonly method: string | undefined;
  /** Segments as written; ':name' matches one non-empty segment, a final '*' matches the rest (zero or more). */
  readonly segments: readonly string[];
  /** The same, lower-cased, for the loose spelling. */
  readonly lower: readonly string[];
  readonly entry: RouteEntry;
  readonly specificity: number;
  readonly order: number;
}

/** The supported key syntax, for error messages. */
export const ROUTE_KEY_SYNTAX =
  '"METHOD /path", "* /path" or "/path"; segments are literal text, ":name" (one segment) or a final "*" (the rest)';

const METHOD = /^(?:[A-Za-z]+|\*)$/;
const PARAM = /^:[A-Za-z_][A-Za-z0-9_]*$/;
/** Characters that mean something in some router's pattern syntax; a literal segment must not contain them. */
const SPECIAL = /[*?(){}[\]+:\\\s]/;

/** Why a route key is not supported, or undefined when it is. Used by config validation at `createShield`. */
export function routeKeyProblem(key: string): string | undefined {
  const parsed = parseKey(key);
  if (parsed === undefined) return `must be ${ROUTE_KEY_SYNTAX}`;
  // Every framework answers HEAD with the GET handler: a HEAD key would give that handler other options than its GET
  // key (an exemption for HEAD ran the protected GET handler unchecked). GET keys cover HEAD.
  if (parsed.method === 'HEAD') return 'HEAD keys are not supported: a GET key covers HEAD (the GET handler answers it)';
  const segments = parsed.path.split('/').slice(1);
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i] as string;
    if (s === '*' && i === segments.length - 1) continue;
    if (s.startsWith(':')) {
      if (!PARAM.test(s)) return `segment "${s}" is not supported: use ${ROUTE_KEY_SYNTAX}`;
      continue;
    }
    if (s === '' && i !== segments.length - 1) return 'empty path segments ("//") are not supported';
    if (SPECIAL.test(s) || s.includes('%') || s === '.' || s === '..') {
      return `segment "${s}" is not supported (router-specific syntax or encoding): use ${ROUTE_KEY_SYNTAX}`;
    }
  }
  return undefined;
}

/**
 * The framework-free `routes` table: `'METHOD /path/:param'` (or `'/path'` / `'* /path'` for every method) mapped to
 * route options. When several patterns match, the most specific wins (literal segments over `:params` over `*`, then
 * a named method over any method), ties by declaration order. `GET` entries cover `HEAD`, which every framework
 * answers with the GET handler.
 *
 * Two ways to match, so that no spelling reaches a handler under looser options than the table gives it:
 * - `matchRoute` takes the route pattern the framework matched (Fastify knows it before any hook runs): the table
 *   is looked up by the handler that will run, never by the request's spelling.
 * - `matchPath` takes the raw path, for a middleware that runs before routing (Express, Koa). It looks the path up
 *   twice: as written (case-sensitive, no decoding, empty segments kept) and in its loosest reading (percent-decoded,
 *   lower-cased, empty and dot segments resolved). Every router resolves a path somewhere between those two, so when
 *   both land on the same entry that is the entry of the handler that runs; when they differ the answer is
 *   `AMBIGUOUS`, and the shield refuses the request rather than guess.
 */
export class RouteTable {
  private readonly exact = new Map<string, RouteEntry>();
  private readonly exactLower = new Map<string, RouteEntry>();
  private readonly patterns: CompiledPattern[] = [];
  /** True when the table is empty: the hot path then skips matching entirely. */
  readonly empty: boolean;
  /**
   * True when some key spells a path segment with a capital: a plain (lower-case) path is then not read alike by
   * every router (a case-insensitive one runs that key's handler for it), so it is looked up both ways too.
   */
  private readonly keysHaveCapitals: boolean;

  constructor(routes: Readonly<Record<string, RouteEntry>> = {}) {
    let order = 0;
    const compiled: CompiledPattern[] = [];
    for (const [key, entry] of Object.entries(routes)) {
      const parsed = parseKey(key);
      if (parsed === undefined) continue; // validated by the config schema before it gets here
      const segments = splitSegments(parsed.path);
      const dynamic = segments.some((s) => s.startsWith(':') || s === '*');
      if (!dynamic) {
        const path = `/${segments.join('/')}`;
        const method = parsed.method ?? '*';
        if (!this.exact.has(`${method} ${path}`)) this.exact.set(`${method} ${path}`, entry);
        const lowerKey = `${method} ${path.toLowerCase()}`;
        if (!this.exactLower.has(lowerKey)) this.exactLower.set(lowerKey, entry);
        continue;
      }
      let specificity = 0;
      for (const s of segments) specificity = specificity * 4 + (s === '*' ? 1 : s.startsWith(':') ? 2 : 3);
      compiled.push({
        method: parsed.method,
        segments,
        lower: segments.map((s) => (s.startsWith(':') ? s : s.toLowerCase())),
        entry,
        specificity: specificity * 2 + (parsed.method ? 1 : 0),
        order: order++,
      });
    }
    compiled.sort((a, b) => b.specificity - a.specificity || a.order - b.order);
    this.patterns = compiled;
    this.empty = this.exact.size === 0 && compiled.length === 0;
    // The exact map's keys are `METHOD /path`: only the path's letters count (the method is always upper-case).
    const pathOf = (key: string): string => key.slice(key.indexOf(' ') + 1);
    this.keysHaveCapitals =
      [...this.exact.keys()].some((k) => pathOf(k) !== pathOf(k).toLowerCase()) || compiled.some((p) => p.segments.some((s, i) => s !== p.lower[i]));
  }

  /**
   * The entry for the route pattern the framework matched (`/orders/:id`, with any prefix), or undefined. Pattern
   * segments that are parameters or wildcards in the framework's syntax are only matched by `:param` / `*` keys.
   */
  matchRoute(method: string, routePattern: string): RouteEntry | undefined {
    if (this.empty) return undefined;
    const segments = splitSegments(routePattern).map((s) => (isDynamicSegment(s) ? DYNAMIC : s.toLowerCase()));
    return this.lookup(method, segments, true);
  }

  /**
   * The entry for a raw request path (percent-encoded, as received, without query or fragment), or `AMBIGUOUS`
   * (see the class comment). Plain paths (lower-case, unencoded, no empty or dot segments) are looked up once when no
   * key has a capital.
   */
  matchPath(method: string, rawPath: string): PathMatch {
    if (this.empty) return undefined;
    if (rawPath.charCodeAt(0) !== 0x2f) return AMBIGUOUS; // "*" (OPTIONS *) or worse: no route pattern names it
    const written = rawSegments(rawPath);
    const asWritten = this.lookup(method, written, false);
    if (!this.keysHaveCapitals && isPlain(rawPath)) return asWritten;
    const loosest = this.lookup(method, looseSegments(rawPath), true);
    return asWritten === loosest ? asWritten : AMBIGUOUS;
  }

  /**
   * True when the table can read a framework's route pattern: every segment literal text or a whole parameter or
   * wildcard (`:id`, `*`, `*splat`, `(.*)`). Optional parts and inline syntax (`/docs{/:page}`, `:page?`, `ab?cd`)
   * match paths `matchRoute` cannot tell apart, so the router's answer is then taken as unknown.
   */
  readsRoutePattern(routePattern: string): boolean {
    return splitSegments(routePattern).every((s) => !SPECIAL.test(s) || PARAM.test(s) || WILDCARD_SEGMENT.test(s));
  }

  /**
   * True when a path that resolved to `entry` is also matched by another pattern with a different entry. Express and
   * Koa try routes in registration order, so which of the two handlers runs is the router's to say: the adapter is
   * then asked for the route it will match (`ShieldRequest.findRoute`).
   */
  entryContested(method: string, rawPath: string, entry: RouteEntry): boolean {
    const loose = looseSegments(rawPath);
    for (const p of this.patterns) {
      if (p.entry === entry) continue;
      if (p.method !== undefined && p.method !== method && !(method === 'HEAD' && p.method === 'GET')) continue;
      if (matchSegments(p.lower, loose)) return true;
    }
    return false;
  }

  private lookup(method: string, segments: readonly string[], lowerCase: boolean): RouteEntry | undefined {
    const exact = lowerCase ? this.exactLower : this.exact;
    if (!segments.includes(DYNAMIC)) {
      const path = `/${segments.join('/')}`;
      const found =
        exact.get(`${method} ${path}`) ?? (method === 'HEAD' ? exact.get(`GET ${path}`) : undefined) ?? exact.get(`* ${path}`);
      if (found !== undefined) return found;
    }
    for (const p of this.patterns) {
      if (p.method !== undefined && p.method !== method && !(method === 'HEAD' && p.method === 'GET')) continue;
      if (matchSegments(lowerCase ? p.lower : p.segments, segments)) return p.entry;
    }
    return undefined;
  }
}

/** Stands for a framework pattern's parameter or wildcard segment: only `:param` and `*` keys match it. */
const DYNAMIC = '\u0000dynamic';

/** Parses `'GET /a/:b'`, `'* /a'` or `'/a'`; undefined when it is none of these. */
function parseKey(key: string): { method: string | undefined; path: string } | undefined {
  const trimmed = key.trim();
  const space = trimmed.search(/\s/);
  const method = space === -1 ? undefined : trimmed.slice(0, space);
  const path = space === -1 ? trimmed : trimmed.slice(space + 1).trim();
  if (method !== undefined && !METHOD.test(method)) return undefined;
  if (!path.startsWith('/') || /\s/.test(path)) return undefined;
  const upper = method?.toUpperCase();
  return { method: upper === '*' ? undefined : upper, path };
}

/** A key's or a route pattern's segments; a trailing slash is ignored (keys and patterns name routes, not spellings). */
function splitSegments(path: string): string[] {
  const segments = path.split('/').slice(1);
  if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  return segments;
}

/** The segments of a path exactly as written: nothing decoded, case kept, empty segments kept. */
function rawSegments(path: string): string[] {
  const segments = path.split('/').slice(1);
  if (segments.length === 1 && segments[0] === '') segments.pop(); // "/" is the root, not one empty segment
  return segments;
}

/** The loosest reading of a path: decoded (also `%2F`), lower-cased, empty and `.` segments dropped, `..` applied. */
function looseSegments(path: string): string[] {
  let decoded = path;
  if (path.includes('%')) {
    try {
      decoded = decodeURIComponent(path);
    } catch {
      decoded = path.replace(/%[0-9A-Fa-f]{2}/g, (escape) => String.fromCharCode(parseInt(escape.slice(1), 16)));
    }
  }
  const out: string[] = [];
  for (const s of decoded.replace(/\\/g, '/').toLowerCase().split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  return out;
}

/** True when every reading of the path is the same: lower-case, unencoded, no empty, dot or trailing segments. */
function isPlain(path: string): boolean {
  let previous = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0x2f) {
      if (previous === 0x2f && i > 0) return false; // "//"
    } else if (c === 0x2e) {
      if (previous === 0x2f) return false; // "/." or "/.."
    } else if ((c >= 0x41 && c <= 0x5a) || c === 0x25 || c === 0x5c || c > 0x7e) {
      return false; // upper case, "%", "\", non-ASCII
    }
    previous = c;
  }
  return previous !== 0x2f || path.length === 1;
}

/** A whole wildcard segment of a framework's route pattern: `*`, `*name` (Express 5) or `(.*)`. */
const WILDCARD_SEGMENT = /^(?:\*(?:[A-Za-z_$][\w$]*)?|\(\.\*\))$/;

function isDynamicSegment(segment: string): boolean {
  return segment.startsWith(':') || segment.includes('*') || segment.includes('(') || segment.includes('{');
}

function matchSegments(pattern: readonly string[], segments: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    if (p === '*' && i === pattern.length - 1) return true;
    const s = segments[i];
    if (s === undefined || s === '') return false;
    if (p.startsWith(':')) continue;
    if (p !== s) return false;
  }
  return pattern.length === segments.length;
}
