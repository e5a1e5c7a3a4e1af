/** Matching of the `method` / `path` restrictions that exclusions and virtual patches may carry. */

/** A compiled method/path restriction. */
export type RouteMatcher = (method: string, path: string) => boolean;

/** Compiles `method` (exact) and `path` (exact, or prefix when it ends in `*`); both optional. */
export function compileRouteMatcher(method: string | undefined, path: string | undefined): RouteMatcher {
  if (method === undefined && path === undefined) return () => true;
  const prefix = path !== undefined && path.endsWith('*') ? path.slice(0, -1) : undefined;
  return (m, p) => {
    if (method !== undefined && m !== method) return false;
    if (path === undefined) return true;
    return prefix !== undefined ? p.startsWith(prefix) : p === path;
  };
}
