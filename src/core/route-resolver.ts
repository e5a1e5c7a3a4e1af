import type { ShieldRequest } from './request.js';
import type { ResolvedRouteOptions, RouteOptions } from './route-options.js';
import { AMBIGUOUS, RouteTable, type PathMatch, type RouteEntry } from './route-table.js';

/** A route on which the shield is off (`false` in the table or the adapter's options). */
export const DISABLED = false as const;
const EMPTY_ROUTE: ResolvedRouteOptions = Object.freeze({});

/**
 * Merges route options one level deep: a route's `token: { binding: false }` changes only that token option. Any
 * object merges, whatever its prototype: options built with `Object.create(null)` or as a class instance replaced
 * the table entry's section instead, dropping its body schema with it.
 */
function mergeRoute(base: ResolvedRouteOptions, over: RouteOptions): ResolvedRouteOptions {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prior = merged[key];
    merged[key] = isSection(prior) && isSection(value) ? { ...prior, ...value } : value;
  }
  return Object.freeze(merged) as ResolvedRouteOptions;
}

/** An options section (`token: {...}`): an object, not an array (`false` and lists replace). */
function isSection(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Resolves the options a request is checked under: the routes-table entry of the handler that runs (see
 * `RouteTable`) merged with the adapter's route-level options, each combination merged once and cached (bounded by
 * the application's routes and route-level option objects).
 */
export class RouteResolver {
  /**
   * @param parseOptions validates route options (throws `ShieldConfigError`), as the adapters do when a route is
   * declared; options the shield meets unvalidated (a Fastify route declared before the plugin, a direct
   * `shield.check`) go through it once, so a misspelt mode or option fails closed instead of loosening the route.
   */
  constructor(
    private readonly table: RouteTable,
    private readonly parseOptions: (route: unknown, where: string) => RouteOptions | false,
  ) {}

  /** Options that came out of `parse`: already validated. */
  private readonly validated = new WeakSet<object>();

  private readonly tableResolved = new Map<unknown, ResolvedRouteOptions | typeof DISABLED>();
  private readonly mergedByRoute = new WeakMap<object, Map<unknown, ResolvedRouteOptions>>();
  /** Table entries by the route pattern a framework matched; bounded by the application's routes. */
  private readonly byPattern = new Map<string, Map<string, RouteEntry | undefined>>();

  /** The table entry for a request: by the matched route pattern when the adapter knows it, else by the path. */
  private tableEntry(request: ShieldRequest): PathMatch {
    if (this.table.empty) return undefined;
    const pattern = request.route;
    if (typeof pattern !== 'string') {
      const entry = this.table.matchPath(request.method, request.path);
      if (entry === undefined || entry === AMBIGUOUS) return entry;
      // Express and Koa try routes in registration order, so another route than the entry's may run for the path
      // (`/products/:id` registered before an exempt `/products/featured`, in the table or not). The router is asked
      // for an exemption, and for an entry another table pattern with other options also matches. Its answer is a
      // lookahead (a plain middleware before that route may answer, the route may pass the request on), so it only
      // ever tightens:
      // - an exemption covers only its own route: another route's entry (or the global options) applies to it;
      // - a found route that is exempt does not loosen the path's entry (its handler may pass on to the path's);
      // - two different option sets: no guess, the request is refused as ambiguous.
      const contested = this.table.entryContested(request.method, request.path, entry);
      if (entry !== false && !contested) return entry;
      const found = request.findRoute?.();
      // The router cannot say (a plain middleware answers, a router it cannot read, a pattern with optional parts the
      // table cannot read): a contested entry is refused, an exemption or relaxation no other pattern contests stands.
      // (A relaxed entry kept here gave `{ token: false }` on `/files/public` to the `/files{/:id}` handler that ran.)
      if (typeof found !== 'string' || !this.table.readsRoutePattern(found)) return contested ? AMBIGUOUS : entry;
      const routed = this.table.matchRoute(request.method, found);
      if (routed === entry || routed === false) return entry;
      return entry === false ? routed : AMBIGUOUS;
    }
    let methods = this.byPattern.get(pattern);
    if (methods === undefined) this.byPattern.set(pattern, (methods = new Map()));
    if (methods.has(request.method)) return methods.get(request.method);
    const entry = this.table.matchRoute(request.method, pattern);
    methods.set(request.method, entry);
    return entry;
  }

  /** Validates route options once (see the constructor) and remembers the result as validated. */
  parse(route: unknown, where: string): RouteOptions | false {
    const parsed = this.parseOptions(route, where);
    if (parsed !== false) this.validated.add(parsed);
    return parsed;
  }

  resolve(request: ShieldRequest, route: RouteOptions | false | undefined): ResolvedRouteOptions | false | typeof AMBIGUOUS {
    if (route === false) return DISABLED;
    const entry = this.tableEntry(request);
    // A path whose spellings land on different table entries is refused: no guess about the handler that runs.
    if (entry === AMBIGUOUS) return AMBIGUOUS;
    let base: ResolvedRouteOptions | false;
    if (entry === undefined) base = EMPTY_ROUTE;
    else {
      let cached = this.tableResolved.get(entry);
      if (cached === undefined) {
        cached = entry === false ? DISABLED : mergeRoute(EMPTY_ROUTE, entry);
        this.tableResolved.set(entry, cached);
      }
      base = cached;
    }
    if (route === undefined) return base;
    // Route-level options given in code are the most specific: they apply even where the table exempts the path.
    let perRoute = this.mergedByRoute.get(route);
    if (!perRoute) this.mergedByRoute.set(route, (perRoute = new Map()));
    let merged = perRoute.get(entry);
    if (!merged) {
      // Once per route object and table entry: unvalidated options are validated (a throw is the core's 503).
      const options = this.validated.has(route) ? route : this.parse(route, 'route options');
      if (options === false) return DISABLED;
      perRoute.set(entry, (merged = mergeRoute(base === false ? EMPTY_ROUTE : base, options)));
    }
    return merged;
  }
}
