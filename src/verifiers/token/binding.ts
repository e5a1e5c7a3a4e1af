import { parseContentDigest, type ParsedContentDigest } from '../../core/content-digest.js';
import { headerText, type ShieldRequest } from '../../core/request.js';
import type { ResolvedRouteOptions } from '../../core/route-options.js';
import type { VerifierContext } from '../../core/verifier.js';
import type { TokenBindingOptions, TokenRouteOptions } from './options.js';

/** The header a binding lists to bind the body: RFC 9530's digest of the content (see docs/content-digest.md). */
export const CONTENT_DIGEST_HEADER = 'content-digest';

/** A binding with its defaults applied. */
export interface CompiledBinding {
  readonly claim: string;
  readonly headers: readonly string[];
  readonly allowMissingClaim: boolean;
  /** The binding covers `Content-Digest`: the body stage then checks that header against the body. */
  readonly bindsContentDigest: boolean;
}

/**
 * A header's value for the binding checks: as `headerValue` gives it (repeated headers joined with `, `), undefined
 * when absent, or null when it is neither a string nor strings. `shield.check()` takes hand-built requests: joining
 * anything else throws (and a failure to check must never let a bound token through) or, through an object's
 * `toString`, yields whatever value the caller chose.
 */
export function bindingHeaderValue(request: ShieldRequest, name: string): string | undefined | null {
  const value: unknown = request.headers[name];
  return value === undefined ? undefined : (headerText(value) ?? null);
}

/**
 * True when a token is exempt from its binding: `allowMissingClaim` is set and the token has no such claim at all.
 * The header stage skips the binding then, and the body stage (Content-Digest) must skip it with the same rule.
 */
export function bindingExempt(binding: CompiledBinding, claims: Readonly<Record<string, unknown>>): boolean {
  return binding.allowMissingClaim && claims[binding.claim] === undefined;
}

function compileBinding(binding: TokenBindingOptions | false | undefined): CompiledBinding | undefined {
  if (!binding) return undefined;
  const headers = binding.headers ?? ['authorization'];
  return {
    claim: binding.claim ?? 'pay',
    headers,
    allowMissingClaim: binding.allowMissingClaim === true,
    bindsContentDigest: headers.includes(CONTENT_DIGEST_HEADER),
  };
}

/**
 * Resolves the binding in force on a route: the global one, the route's merged over it, or none (`binding: false`).
 * Route bindings are compiled once per route options object.
 */
export function createBindingResolver(global: TokenBindingOptions | false | undefined): (route: ResolvedRouteOptions) => CompiledBinding | undefined {
  const globalBinding = compileBinding(global);
  const byRoute = new WeakMap<TokenBindingOptions, CompiledBinding>();
  return function bindingFor(route) {
    const routeToken = route.token as TokenRouteOptions | false | undefined;
    if (!routeToken || routeToken.binding === undefined) return globalBinding;
    if (routeToken.binding === false) return undefined;
    const routeBinding = routeToken.binding;
    let binding = byRoute.get(routeBinding);
    if (!binding) {
      binding = compileBinding({ ...(global || {}), ...routeBinding }) as CompiledBinding;
      byRoute.set(routeBinding, binding);
    }
    return binding;
  };
}

/**
 * True when a binding in the token config or in the routes table lists `content-digest`: the token module then adds
 * its body-stage verifier (and only then, so other shields keep no body stage and capture no bytes for it).
 */
export function contentDigestBound(binding: TokenBindingOptions | false | undefined, routes: unknown): boolean {
  if (binding && binding.headers?.includes(CONTENT_DIGEST_HEADER)) return true;
  if (routes === null || typeof routes !== 'object') return false;
  for (const route of Object.values(routes)) {
    const token = route ? (route as { token?: TokenRouteOptions | false }).token : undefined;
    if (token && token.binding && token.binding.headers?.includes(CONTENT_DIGEST_HEADER)) return true;
  }
  return false;
}

const CONTENT_DIGEST_MEMO = 'token:content-digest';

/**
 * The request's `Content-Digest` value parsed once per request: the header stage checks its syntax, the body stage
 * its digests against the body, on the same parse (kept on the request's memo with the value it was parsed from).
 */
export function contentDigestOf(ctx: VerifierContext, value: string): ParsedContentDigest {
  const cached = ctx.memo.get(CONTENT_DIGEST_MEMO) as { value: string; parsed: ParsedContentDigest } | undefined;
  if (cached !== undefined && cached.value === value) return cached.parsed;
  const parsed = parseContentDigest(value);
  ctx.memo.set(CONTENT_DIGEST_MEMO, { value, parsed });
  return parsed;
}
