/**
 * Exclusions: the tuning knob for false positives. An exclusion switches rules or whole categories off at given
 * locations, optionally only on one method/path. Compiled once; checked only when a rule has already matched.
 */
import { compileTarget } from './location.js';
import type { PayloadExclusion } from './options.js';
import { compileRouteMatcher, type RouteMatcher } from './route-match.js';
import type { Category } from './types.js';

interface CompiledExclusion {
  readonly route: RouteMatcher;
  readonly rules: ReadonlySet<string> | undefined;
  readonly categories: ReadonlySet<Category> | undefined;
  readonly targets: readonly ((location: string) => boolean)[] | undefined;
}

/** Decides whether a rule match at a location is excluded. */
export interface ExclusionSet {
  /** True when any exclusion turns `ruleId` (of `category`) off at `location` for this request. */
  excludes(method: string, path: string, ruleId: string, category: Category, location: string): boolean;
  readonly size: number;
}

/** Compiles exclusions (targets into matchers, lists into sets). */
export function compileExclusions(exclusions: readonly PayloadExclusion[] | undefined): ExclusionSet {
  const compiled: CompiledExclusion[] = (exclusions ?? []).map((e) => ({
    route: compileRouteMatcher(e.method, e.path),
    rules: e.rules && e.rules.length > 0 ? new Set(e.rules) : undefined,
    categories: e.categories && e.categories.length > 0 ? new Set(e.categories) : undefined,
    targets: e.targets && e.targets.length > 0 ? e.targets.map(compileTarget) : undefined,
  }));
  return {
    size: compiled.length,
    excludes(method, path, ruleId, category, location) {
      for (const e of compiled) {
        if (!e.route(method, path)) continue;
        const selective = e.rules !== undefined || e.categories !== undefined;
        const ruleMatches = !selective || (e.rules?.has(ruleId) ?? false) || (e.categories?.has(category) ?? false);
        if (!ruleMatches) continue;
        if (e.targets === undefined || e.targets.some((t) => t(location))) return true;
      }
      return false;
    },
  };
}
