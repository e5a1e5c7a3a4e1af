/**
 * Virtual patches and custom rules. A patch with a `target` reads exactly that value (`body.user.role`); a patch
 * without one is a custom rule run on every inspected string. Matchers are compiled once: strings become
 * lower-case needles, regexes were checked for catastrophic backtracking and only see the first 4 KiB.
 */
import { compileTarget, type PathSegment } from './location.js';
import type { PatchMatcher, VirtualPatch } from './options.js';
import { compileRouteMatcher, type RouteMatcher } from './route-match.js';
import { USER_REGEX_INPUT_CAP, unsafeRegexReason } from './safe-regex.js';
import { SEVERITY } from './types.js';

/** A virtual patch ready to run. */
export interface CompiledPatch {
  readonly id: string;
  readonly route: RouteMatcher;
  /** Root (`body`, `query`...) and segments of the target; `'*'` segments match any key or index. */
  readonly target: { readonly root: string; readonly segments: readonly (string | '*')[] } | undefined;
  readonly targetMatcher: ((location: string) => boolean) | undefined;
  readonly test: (value: unknown) => boolean;
  readonly monitor: boolean;
  readonly severity: number;
}

function compileMatcher(match: PatchMatcher): (value: unknown) => boolean {
  if (typeof match === 'function') {
    return (value) => match(value) === true;
  }
  if (match instanceof RegExp) {
    const reason = unsafeRegexReason(match);
    if (reason) throw new Error(`unsafe regular expression in virtual patch: ${reason}`);
    // A fresh non-global copy: `lastIndex` state must not leak between requests.
    const regex = new RegExp(match.source, match.flags.replace(/[gy]/g, ''));
    return (value) => {
      const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
      return text !== undefined && regex.test(text.length > USER_REGEX_INPUT_CAP ? text.slice(0, USER_REGEX_INPUT_CAP) : text);
    };
  }
  const needle = match.toLowerCase();
  return (value) => {
    const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
    return text !== undefined && text.toLowerCase().includes(needle);
  };
}

/** Splits `body.items[*].name` / `header.x-foo` into a root and segments. */
export function parseTarget(target: string): { root: string; segments: (string | '*')[] } {
  const segments: (string | '*')[] = [];
  const firstDot = target.search(/[.[]/);
  const root = firstDot === -1 ? target : target.slice(0, firstDot);
  const rest = firstDot === -1 ? '' : target.slice(firstDot);
  const re = /\.([^.[\]]+)|\[(\*|\d+)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(rest)) !== null) segments.push(m[1] ?? (m[2] === '*' ? '*' : m[2]!));
  return { root, segments };
}

/** Compiles the patches (throws on an unsafe regex: configuration validation rejects those first). */
export function compilePatches(patches: readonly VirtualPatch[] | undefined): CompiledPatch[] {
  return (patches ?? []).map((p) => ({
    id: p.id,
    route: compileRouteMatcher(p.method, p.path),
    target: p.target === undefined ? undefined : parseTarget(p.target),
    targetMatcher: p.target === undefined ? undefined : compileTarget(p.target),
    test: compileMatcher(p.match),
    monitor: p.action === 'monitor',
    severity: p.severity ?? SEVERITY.critical,
  }));
}

/** Collects the values at a target path (with `*` wildcards) below `root`, with their concrete segments. */
export function resolveTarget(
  root: unknown,
  segments: readonly (string | '*')[],
  visit: (value: unknown, path: PathSegment[]) => void,
  path: PathSegment[] = [],
  depth = 0,
): void {
  if (depth === segments.length) {
    visit(root, path);
    return;
  }
  if (root === null || typeof root !== 'object') return;
  const segment = segments[depth]!;
  if (Array.isArray(root)) {
    if (segment === '*') {
      const n = Math.min(root.length, 10_000);
      for (let i = 0; i < n; i++) resolveTarget(root[i], segments, visit, [...path, i], depth + 1);
    } else if (/^\d+$/.test(segment)) {
      resolveTarget(root[Number(segment)], segments, visit, [...path, Number(segment)], depth + 1);
    }
    return;
  }
  if (Buffer.isBuffer(root)) return;
  const record = root as Record<string, unknown>;
  if (segment === '*') {
    for (const key of Object.keys(record)) resolveTarget(record[key], segments, visit, [...path, key], depth + 1);
  } else if (Object.prototype.hasOwnProperty.call(record, segment)) {
    resolveTarget(record[segment], segments, visit, [...path, segment], depth + 1);
  }
}
