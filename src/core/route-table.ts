import type { RouteOptions } from './route-options.js';

/** A route-table entry's options, or `false` to exempt the route from the shield. */
export type RouteEntry = RouteOptions | false;

interface CompiledPattern {
  readonly method: string | undefined;
  /** Lower-cased segments; ':name' matches one segment, a final '*' matches the rest (zero or more segments). */
  readonly segments: readonly string[];
  readonly entry: RouteEntry;
  readonly specificity: number;
  readonly order: number;
}

/**
 * The framework-free `routes` table: `'METHOD /path/:param'` (or `'/path'` for every method, `'* /path'` likewise)
 * mapped to route options. Matching is case-insensitive and ignores a trailing slash, as Express does by default,
 * and percent-decodes each segment, as Fastify does before routing; this way no spelling of a path reaches a handler
 * under looser options than the table gives it. When several patterns match, the most specific wins (static
 * segments over `:params` over `*`, then a named method over any method), ties by declaration order.
 */
export class RouteTable {
  private readonly exact = new Map<string, RouteEntry>();
  private readonly patterns: CompiledPattern[] = [];
  /** True when the table is empty: the hot path then skips matching entirely. */
  readonly empty: boolean;

  constructor(routes: Readonly<Record<string, RouteEntry>> = {}) {
    let order = 0;
    const compiled: CompiledPattern[] = [];
    for (const [pattern, entry] of Object.entries(routes)) {
      const { method, path } = parsePattern(pattern);
      const segments = splitPath(path.toLowerCase());
      const dynamic = segments.some((s) => s.startsWith(':') || s === '*');
      if (!dynamic) {
        const key = `${method ?? '*'} /${segments.join('/')}`;
        if (!this.exact.has(key)) this.exact.set(key, entry);
        continue;
      }
      let specificity = 0;
      for (const s of segments) specificity = specificity * 4 + (s === '*' ? 1 : s.startsWith(':') ? 2 : 3);
      compiled.push({ method, segments, entry, specificity: specificity * 2 + (method ? 1 : 0), order: order++ });
    }
    compiled.sort((a, b) => b.specificity - a.specificity || a.order - b.order);
    this.patterns = compiled;
    this.empty = this.exact.size === 0 && compiled.length === 0;
  }

  /** The entry for a request, or undefined when no pattern matches. */
  match(method: string, rawPath: string): RouteEntry | undefined {
    if (this.empty) return undefined;
    const segments = splitPath(normalisePath(rawPath));
    const joined = `/${segments.join('/')}`;
    const exact = this.exact.get(`${method} ${joined}`) ?? this.exact.get(`* ${joined}`);
    if (exact !== undefined) return exact;
    for (const p of this.patterns) {
      if (p.method !== undefined && p.method !== method) continue;
      if (matchSegments(p.segments, segments)) return p.entry;
    }
    return undefined;
  }
}

/** Parses `'GET /a/:b'`, `'* /a'` or `'/a'`; validated by the config schema before it gets here. */
function parsePattern(pattern: string): { method: string | undefined; path: string } {
  const trimmed = pattern.trim();
  const space = trimmed.indexOf(' ');
  if (space === -1) return { method: undefined, path: trimmed };
  const method = trimmed.slice(0, space).toUpperCase();
  return { method: method === '*' ? undefined : method, path: trimmed.slice(space + 1).trim() };
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function normalisePath(rawPath: string): string {
  let path = rawPath;
  if (path.includes('%')) {
    try {
      path = decodeURIComponent(path);
    } catch {
      // Malformed escapes: match on the raw text; a handler cannot be reached under a spelling the framework rejects.
    }
  }
  return path.toLowerCase();
}

function matchSegments(pattern: readonly string[], segments: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    if (p === '*' && i === pattern.length - 1) return true;
    const s = segments[i];
    if (s === undefined) return false;
    if (p.startsWith(':')) continue;
    if (p !== s) return false;
  }
  return pattern.length === segments.length;
}
